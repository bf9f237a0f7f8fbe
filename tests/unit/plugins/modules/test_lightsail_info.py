# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lightsail info modules: instance, catalog, operation."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from lightsail_utils import CREATED, Stubbed, operation, run_module
from test_lightsail_instance import INSTANCE

from ansible_collections.opsforge.infra.plugins.modules import (
    lightsail_catalog_info,
    lightsail_instance_info,
    lightsail_operation_info,
)

BLUEPRINTS = [{"blueprintId": "debian_12", "name": "Debian", "platform": "LINUX_UNIX", "isActive": True},
              {"blueprintId": "windows_2022", "name": "Windows", "platform": "WINDOWS", "isActive": True}]
BUNDLES = [{"bundleId": "nano_3_0", "price": 5.0, "supportedPlatforms": ["LINUX_UNIX"]},
           {"bundleId": "nano_win_3_0", "price": 9.5, "supportedPlatforms": ["WINDOWS"]}]


def test_instance_info_all_pages_and_named():
    stub = Stubbed()
    stub.add("GetInstances", {"instances": [INSTANCE], "nextPageToken": "p2"}, {})
    stub.add("GetInstances", {"instances": [dict(INSTANCE, name="web-2")]}, {"pageToken": "p2"})
    result = run_module(lightsail_instance_info.main, {}, stub)
    assert [i["name"] for i in result["instances"]] == ["web-1", "web-2"]
    assert result["instances"][0]["tags"] == {"env": "prod"}
    stub = Stubbed()
    stub.error("GetInstance", params={"instanceName": "nope"})
    assert run_module(lightsail_instance_info.main, {"names": ["nope"]}, stub)["instances"] == []


def test_instance_info_port_states():
    stub = Stubbed()
    stub.add("GetInstance", {"instance": INSTANCE}, {"instanceName": "web-1"})
    stub.add("GetInstancePortStates", {"portStates": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "state": "open",
                                                       "cidrs": ["0.0.0.0/0"]}]}, {"instanceName": "web-1"})
    result = run_module(lightsail_instance_info.main, {"names": ["web-1"], "port_states": True}, stub)
    assert result["instances"][0]["port_states"] == [{"from_port": 22, "to_port": 22, "protocol": "tcp", "state": "open",
                                                      "cidrs": ["0.0.0.0/0"]}]


def test_instance_info_auto_snapshots():
    stub = Stubbed()
    stub.add("GetInstance", {"instance": INSTANCE}, {"instanceName": "web-1"})
    stub.add("GetAutoSnapshots", {"resourceName": "web-1", "resourceType": "Instance", "autoSnapshots": [
        {"date": "2026-01-02", "status": "Success", "createdAt": CREATED}]}, {"resourceName": "web-1"})
    result = run_module(lightsail_instance_info.main, {"names": ["web-1"], "auto_snapshots": True}, stub)
    assert result["instances"][0]["auto_snapshots"] == [{"date": "2026-01-02", "status": "Success",
                                                         "created_at": "2026-01-02T03:04:05+00:00"}]


def test_catalog_filters_platform():
    stub = Stubbed()
    stub.add("GetBlueprints", {"blueprints": BLUEPRINTS}, {"includeInactive": False})
    stub.add("GetBundles", {"bundles": BUNDLES}, {"includeInactive": False})
    stub.add("GetRegions", {"regions": [{"name": "eu-west-1", "displayName": "Ireland",
                                         "availabilityZones": [{"zoneName": "eu-west-1a", "state": "available"}]}]},
             {"includeAvailabilityZones": True})
    result = run_module(lightsail_catalog_info.main, {"platform": "LINUX_UNIX"}, stub)
    assert [b["blueprint_id"] for b in result["blueprints"]] == ["debian_12"]
    assert [b["bundle_id"] for b in result["bundles"]] == ["nano_3_0"]
    assert result["regions"][0]["availability_zones"] == [{"zone_name": "eu-west-1a", "state": "available"}]


def test_catalog_only_regions():
    stub = Stubbed().add("GetRegions", {"regions": []})
    result = run_module(lightsail_catalog_info.main, {"gather": ["regions"]}, stub)
    assert result == {"changed": False, "regions": []}


def test_operation_info_by_id_resource_and_recent():
    stub = Stubbed().add("GetOperation", {"operation": operation("CreateInstance", "web-1")}, {"operationId": "op-1"})
    result = run_module(lightsail_operation_info.main, {"operation_id": "op-1"}, stub)
    assert result["operations"][0]["operation_type"] == "CreateInstance"
    stub = Stubbed().error("GetOperation", "NotFoundException")
    assert run_module(lightsail_operation_info.main, {"operation_id": "op-x"}, stub)["operations"] == []
    stub = Stubbed()
    stub.add("GetOperationsForResource", {"operations": [operation("StopInstance", "web-1")], "nextPageToken": "t"},
             {"resourceName": "web-1"})
    stub.add("GetOperationsForResource", {"operations": [operation("StartInstance", "web-1", op_id="op-2")]},
             {"resourceName": "web-1", "pageToken": "t"})
    result = run_module(lightsail_operation_info.main, {"resource_name": "web-1"}, stub)
    assert [o["operation_type"] for o in result["operations"]] == ["StopInstance", "StartInstance"]
    stub = Stubbed()
    stub.add("GetOperations", {"operations": [operation("StopInstance", "web-1"), operation("StartInstance", "web-1")],
                               "nextPageToken": "more"}, {})
    result = run_module(lightsail_operation_info.main, {"limit": 1}, stub)
    assert len(result["operations"]) == 1
