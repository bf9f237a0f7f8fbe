#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_container_service_info
short_description: Describe Amazon Lightsail container services, deployments, images and container logs
version_added: 0.1.0
description:
  - Returns one container service or all, optionally with their deployments, registered images and the log of one container.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of one service. Omit to list all.
    type: str
  deployments:
    description: Add RV(container_services[].deployments).
    type: bool
    default: false
  images:
    description: Add RV(container_services[].images) (registered images).
    type: bool
    default: false
  logs:
    description: Add RV(container_services[].container_logs), the log of one container.
    type: dict
    suboptions:
      container_name:
        description: The container.
        type: str
        required: true
      start_time:
        description: ISO 8601 or relative (V(-30m)).
        type: str
      end_time:
        description: ISO 8601 or relative; default now.
        type: str
      filter_pattern:
        description: Lightsail filter pattern, for example V(ERROR) or V(-healthz).
        type: str
      max_events:
        description: Stop after this many events.
        type: int
        default: 1000
  powers:
    description: Also return the available powers and the container API metadata.
    type: bool
    default: false
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Errors of the web container in the last 30 minutes
  opsforge.infra.lightsail_container_service_info:
    name: shop
    deployments: true
    logs:
      container_name: web
      start_time: "-30m"
      filter_pattern: ERROR
    region: eu-west-1
  register: shop
"""

RETURN = r"""
container_services:
  description: The services. Empty when O(name) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    deployments:
      description: Deployments, newest first.
      type: list
      elements: dict
      returned: when O(deployments=true)
    images:
      description: Registered images (C(image), C(digest), C(created_at)).
      type: list
      elements: dict
      returned: when O(images=true)
    container_logs:
      description: Log events (C(created_at), C(message)).
      type: list
      elements: dict
      returned: when O(logs) is set
powers:
  description: Available powers.
  returned: when O(powers=true)
  type: list
  elements: dict
api_metadata:
  description: Container API metadata (for example the lightsailctl version).
  returned: when O(powers=true)
  type: list
  elements: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.container_info import container_service_info
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def main():
    module = LightsailModule(argument_spec=dict(
        name=dict(type="str"),
        deployments=dict(type="bool", default=False),
        images=dict(type="bool", default=False),
        logs=dict(type="dict", options=dict(
            container_name=dict(type="str", required=True),
            start_time=dict(type="str"),
            end_time=dict(type="str"),
            filter_pattern=dict(type="str"),
            max_events=dict(type="int", default=1000),
        )),
        powers=dict(type="bool", default=False),
    ))
    p = module.params
    module.run_info(None, lambda: container_service_info(module.lightsail(), p["name"], p["deployments"], p["images"], p["logs"],
                                                         p["powers"]))


if __name__ == "__main__":
    main()
