#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_static_ip_info
short_description: List AWS Lightsail static IPs
version_added: 0.1.0
description:
  - Returns the named Lightsail static IPs, or every static IP of the region.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  names:
    description: Static IPs to return (missing ones are left out). Omit for all of the region.
    type: list
    elements: str
    aliases: [name]
seealso:
  - module: opsforge.infra.lightsail_static_ip
"""

EXAMPLES = r"""
- name: Static IPs that are not attached (they cost money)
  opsforge.infra.lightsail_static_ip_info:
    region: eu-west-1
  register: ips

- name: Show them
  ansible.builtin.debug:
    msg: "{{ ips.static_ips | rejectattr('is_attached') | map(attribute='name') | list }}"
"""

RETURN = r"""
static_ips:
  description: The static IPs, in snake_case.
  returned: always
  type: list
  elements: dict
  sample:
    - name: web-1-ip
      ip_address: 203.0.113.20
      is_attached: true
      attached_to: web-1
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.static_ip import static_ip_info  # noqa: E402


def main():
    module = LightsailModule(argument_spec=dict(names=dict(type="list", elements="str", aliases=["name"])))
    module.run_info("static_ips", lambda: static_ip_info(module.lightsail(), module.params.get("names")))


if __name__ == "__main__":
    main()
