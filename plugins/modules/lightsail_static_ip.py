#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_static_ip
short_description: Allocate, attach, detach and release AWS Lightsail static IPs
version_added: 0.1.0
description:
  - Allocates a static IP, attaches it to an instance (moving it from another instance if needed),
    detaches it, or releases it.
  - Lightsail static IPs cannot be tagged.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  name:
    description: Name of the static IP.
    type: str
    required: true
  state:
    description: V(present) allocates the static IP if needed; V(absent) releases it (detaching it first if attached).
    type: str
    default: present
    choices: [present, absent]
  instance_name:
    description:
      - Instance the static IP should be attached to. An IP attached elsewhere is detached and attached here.
      - Omit to leave the attachment alone.
    type: str
  detach:
    description: Detach the static IP from whatever instance it is attached to.
    type: bool
    default: false
seealso:
  - module: opsforge.infra.lightsail_static_ip_info
  - module: opsforge.infra.lightsail_instance
"""

EXAMPLES = r"""
- name: A static IP for web-1
  opsforge.infra.lightsail_static_ip:
    name: web-1-ip
    region: eu-west-1
    instance_name: web-1
  register: ip

- name: Move it to the new server
  opsforge.infra.lightsail_static_ip:
    name: web-1-ip
    region: eu-west-1
    instance_name: web-2

- name: Detach it
  opsforge.infra.lightsail_static_ip:
    name: web-1-ip
    region: eu-west-1
    detach: true

- name: Release it
  opsforge.infra.lightsail_static_ip:
    name: web-1-ip
    region: eu-west-1
    state: absent
"""

RETURN = r"""
static_ip:
  description: The static IP after the run (predicted in check mode), in snake_case; V({}) when absent.
  returned: always
  type: dict
  sample:
    name: web-1-ip
    arn: arn:aws:lightsail:eu-west-1:123456789012:StaticIp/1b2c
    ip_address: 203.0.113.20
    is_attached: true
    attached_to: web-1
    location: {availability_zone: all, region_name: eu-west-1}
    created_at: "2026-01-02T03:04:05+00:00"
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: ["allocate static IP web-1-ip", "attach static IP web-1-ip to web-1"]
diff:
  description: The static IP before and after.
  returned: always
  type: dict
  contains:
    before:
      description: Before the run (V({}) when it did not exist).
      type: dict
    after:
      description: After the run (V({}) when released).
      type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.static_ip import StaticIp  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.static_ip import argument_spec  # noqa: E402


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: StaticIp(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
