#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_instance_info
short_description: List AWS Lightsail instances
version_added: 0.1.0
description:
  - Returns the named Lightsail instances, or every instance of the region.
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
    description: Instances to return (one C(GetInstance) call each; missing ones are left out). Omit for all instances of the region.
    type: list
    elements: str
    aliases: [name]
  port_states:
    description:
      - Add RV(instances[].port_states), the firewall rules with their state (C(GetInstancePortStates), one call per instance).
    type: bool
    default: false
  auto_snapshots:
    description:
      - Add RV(instances[].auto_snapshots), the automatic snapshots of each instance (C(GetAutoSnapshots), one call per instance).
      - Their C(date) is what O(opsforge.infra.lightsail_instance#module:restore_date) takes.
    type: bool
    default: false
seealso:
  - module: opsforge.infra.lightsail_instance
  - plugin: opsforge.infra.lightsail
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: Every instance of the region
  opsforge.infra.lightsail_instance_info:
    region: eu-west-1
  register: all_instances

- name: Two of them
  opsforge.infra.lightsail_instance_info:
    region: eu-west-1
    names: [web-1, web-2]
  register: web

- name: Dates that can be restored from web-1's automatic snapshots
  opsforge.infra.lightsail_instance_info:
    region: eu-west-1
    names: [web-1]
    auto_snapshots: true
  register: web1

- name: Public addresses
  ansible.builtin.debug:
    msg: "{{ web.instances | map(attribute='public_ip_address') | list }}"
"""

RETURN = r"""
instances:
  description: The instances, in snake_case with C(tags) as a dict (see RV(opsforge.infra.lightsail_instance#module:instance)).
  returned: always
  type: list
  elements: dict
  sample:
    - name: web-1
      public_ip_address: 203.0.113.10
      state: {code: 16, name: running}
      tags: {env: prod}
  contains:
    port_states:
      description: Firewall rules with C(state) V(open) or V(closed).
      returned: when O(port_states=true)
      type: list
      elements: dict
      sample:
        - {from_port: 22, to_port: 22, protocol: tcp, state: open, cidrs: [0.0.0.0/0], ipv6_cidrs: ["::/0"]}
    auto_snapshots:
      description: Automatic snapshots, newest first as Lightsail lists them.
      returned: when O(auto_snapshots=true)
      type: list
      elements: dict
      sample:
        - {date: "2026-01-02", status: Success, created_at: "2026-01-02T03:00:00+00:00", from_attached_disks: []}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.instance import instance_info  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(argument_spec=dict(
        names=dict(type="list", elements="str", aliases=["name"]),
        port_states=dict(type="bool", default=False),
        auto_snapshots=dict(type="bool", default=False),
    ))
    p = module.params
    module.run_info("instances", lambda: instance_info(module.lightsail(), p.get("names"), p["port_states"], p["auto_snapshots"]))


if __name__ == "__main__":
    main()
