#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_catalog_info
short_description: List AWS Lightsail blueprints, bundles, regions and availability zones
version_added: 0.1.0
description:
  - Returns what can be created, that is blueprints (images), bundles (sizes and prices) and regions with their availability zones.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  gather:
    description: Which parts to return (each is one or more API calls).
    type: list
    elements: str
    choices: [blueprints, bundles, regions]
    default: [blueprints, bundles, regions]
  include_inactive:
    description: Also return inactive blueprints and bundles.
    type: bool
    default: false
  platform:
    description: Only blueprints of, and bundles for, this platform.
    type: str
    choices: [LINUX_UNIX, WINDOWS]
seealso:
  - module: opsforge.infra.lightsail_instance
"""

EXAMPLES = r"""
- name: Linux bundles and blueprints
  opsforge.infra.lightsail_catalog_info:
    region: eu-west-1
    gather: [blueprints, bundles]
    platform: LINUX_UNIX
  register: catalog

- name: The cheapest bundle
  ansible.builtin.debug:
    msg: "{{ (catalog.bundles | sort(attribute='price') | first).bundle_id }}"
"""

RETURN = r"""
blueprints:
  description: Blueprints, in snake_case.
  returned: when V(blueprints) is in O(gather)
  type: list
  elements: dict
  sample:
    - {blueprint_id: debian_12, name: Debian, group: debian, type: os, platform: LINUX_UNIX, is_active: true, min_power: 0}
bundles:
  description: Bundles, in snake_case.
  returned: when V(bundles) is in O(gather)
  type: list
  elements: dict
  sample:
    - {bundle_id: nano_3_0, price: 5.0, cpu_count: 2, ram_size_in_gb: 0.5, disk_size_in_gb: 20, supported_platforms: [LINUX_UNIX]}
regions:
  description: Regions with their availability zones, in snake_case.
  returned: when V(regions) is in O(gather)
  type: list
  elements: dict
  sample:
    - {name: eu-west-1, display_name: Ireland, availability_zones: [{zone_name: eu-west-1a, state: available}]}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.catalog import CATALOG_PARTS  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.catalog import catalog_info  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(argument_spec=dict(
        gather=dict(type="list", elements="str", choices=list(CATALOG_PARTS), default=list(CATALOG_PARTS)),
        include_inactive=dict(type="bool", default=False),
        platform=dict(type="str", choices=["LINUX_UNIX", "WINDOWS"]),
    ))
    module.run_info(None, lambda: catalog_info(module.lightsail(), module.params["gather"], module.params["include_inactive"],
                                               module.params.get("platform")))


if __name__ == "__main__":
    main()
