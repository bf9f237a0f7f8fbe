# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_container_service_info: Describe Amazon Lightsail container services, deployments, images and container logs (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import ANY, CREATED, Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_container_service_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.container import DIGEST, GET, NAME, deployment, service
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_info_with_logs_deployments_images_powers():
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    stub.add("GetContainerServiceDeployments", {"deployments": [deployment(1)]}, GET)
    stub.add("GetContainerImages", {"containerImages": [{"image": ":shop.web.1", "digest": DIGEST, "createdAt": CREATED}]}, GET)
    stub.add("GetContainerLog", {"logEvents": [{"createdAt": CREATED, "message": "a"}], "nextPageToken": "n"},
             {"serviceName": NAME, "containerName": "web", "startTime": ANY, "filterPattern": "ERROR"})
    stub.add("GetContainerLog", {"logEvents": [{"createdAt": CREATED, "message": "b"}]})
    stub.add("GetContainerServicePowers", {"powers": [{"powerId": "micro-1", "price": 10.0, "cpuCount": 0.5, "ramSizeInGb": 1.0,
                                                       "name": "micro", "isActive": True}]})
    stub.add("GetContainerAPIMetadata", {"metadata": [{"lightsailctlVersion": "v1.0.7"}]})
    result = run_module(lightsail_container_service_info.main, {"name": NAME, "deployments": True, "images": True, "powers": True,
                                                                "logs": {"container_name": "web", "start_time": "-30m",
                                                                         "filter_pattern": "ERROR"}}, stub)
    svc = result["container_services"][0]
    assert [e["message"] for e in svc["container_logs"]] == ["a", "b"]
    assert svc["deployments"][0]["containers"]["web"]["environment"] == {"APP_ENV": "prod"}
    assert svc["images"][0]["image"] == ":shop.web.1"
    assert result["powers"][0]["power_id"] == "micro-1" and result["api_metadata"] == [{"lightsailctlVersion": "v1.0.7"}]


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
        stub.add("GetContainerServiceDeployments", {"deployments": [deployment(1)]}, GET)
    result = run_read_only(lightsail_container_service_info.main, {"name": NAME, "deployments": True}, queue)
    assert result["container_services"][0]["deployments"][0]["containers"]["web"]["environment"] == {"APP_ENV": "prod"}
