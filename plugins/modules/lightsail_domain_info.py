#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lightsail_domain_info
short_description: List AWS Lightsail DNS zones and their records
version_added: 0.1.0
description:
  - Return one Lightsail DNS zone with its records, or every zone of the account (all pages).
  - Lightsail serves its DNS API in V(us-east-1) only.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: The domain name. A missing zone gives an empty list. Omitted lists every zone.
    type: str
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Records of example.com
  opsforge.infra.lightsail_domain_info:
    region: us-east-1
    name: example.com
  register: zone

- name: Show the A records
  ansible.builtin.debug:
    msg: "{{ zone.domains[0].domain_entries | selectattr('type', 'eq', 'A') | map(attribute='target') | list }}"
"""

RETURN = r"""
domains:
  description:
    - The zones, sorted by name, with snake_case keys (same shape as RV(opsforge.infra.lightsail_domain#module:domain)).
  returned: always
  type: list
  elements: dict
  sample:
    - name: example.com
      domain_entries:
        - {id: "-1234", name: example.com, type: A, target: 203.0.113.10, is_alias: false}
      tags: {}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.domain import domain_info  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(spec=ArgumentSpec(dict(name=dict(type="str"))))
    module.run(lambda: dict(domain_info(module.lightsail(), module.params), changed=False))


if __name__ == "__main__":
    main()
