# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_container_service, lightsail_container_service_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn


NAME = "shop"


GET = {"serviceName": NAME}


DIGEST = "sha256:" + "a" * 64


def deployment(version=1, state="ACTIVE", image="nginx:1.27", env=None):
    return {"version": version, "state": state, "createdAt": CREATED,
            "containers": {"web": {"image": image, "environment": env or {"APP_ENV": "prod"}, "ports": {"8080": "HTTP"}}},
            "publicEndpoint": {"containerName": "web", "containerPort": 8080,
                               "healthCheck": {"path": "/healthz", "successCodes": "200-499", "intervalSeconds": 5, "timeoutSeconds": 2,
                                               "healthyThreshold": 2, "unhealthyThreshold": 2}}}


def service(**over):
    value = {"containerServiceName": NAME, "arn": arn("ContainerService", NAME), "createdAt": CREATED, "power": "micro", "scale": 2,
             "state": "RUNNING", "isDisabled": False, "tags": [], "url": "https://shop.x.cs.amazonlightsail.com/",
             "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "resourceType": "ContainerService",
             "publicDomainNames": {"shop-cert": ["shop.example.com"]}, "currentDeployment": deployment()}
    value.update(over)
    return {k: v for k, v in value.items() if v is not None}
