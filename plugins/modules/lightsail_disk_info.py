#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lightsail_disk_info
short_description: List AWS Lightsail block storage disks
version_added: 0.1.0
description:
  - Return one Lightsail disk by name, or every disk of the region (all pages), optionally only
    those attached to one instance.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the disk. A missing disk gives an empty list. Omitted lists every disk.
    type: str
  instance_name:
    description: Only disks attached to this instance.
    type: str
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Disks attached to web-1
  opsforge.infra.lightsail_disk_info:
    instance_name: web-1
  register: web_disks

- name: One disk
  opsforge.infra.lightsail_disk_info:
    name: data-1
  register: data_disk
"""

RETURN = r"""
disks:
  description:
    - The disks, sorted by name, with snake_case keys (same shape as RV(opsforge.infra.lightsail_disk#module:disk)).
  returned: always
  type: list
  elements: dict
  sample:
    - name: data-1
      size_in_gb: 32
      state: in-use
      attached_to: web-1
      path: /dev/xvdf
      location: {availability_zone: us-east-1a, region_name: us-east-1}
      tags: {env: prod}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.disk import disk_info  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(spec=ArgumentSpec(dict(name=dict(type="str"), instance_name=dict(type="str"))))
    module.run(lambda: dict(disk_info(module.lightsail(), module.params), changed=False))


if __name__ == "__main__":
    main()
