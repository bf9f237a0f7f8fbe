# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_instance_info: List AWS Lightsail instances (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, Stubbed, run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.instance import INSTANCE

from ansible_collections.opsforge.infra.plugins.modules import lightsail_instance_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


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


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetInstances", {"instances": [INSTANCE]}, {})
    result = run_read_only(lightsail_instance_info.main, {}, queue)
    assert [i["name"] for i in result["instances"]] == ["web-1"] and result["instances"][0]["tags"] == {"env": "prod"}
