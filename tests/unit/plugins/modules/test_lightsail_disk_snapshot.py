# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_disk_snapshot: Manage AWS Lightsail disk snapshots (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_disk_snapshot
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import ops
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.snapshot import dsnap


def run_d(params, stub, **kwargs):
    return run_module(lightsail_disk_snapshot.main, params, stub, **kwargs)


# -- disk snapshots -------------------------------------------------------------------------------
def test_disk_snapshot_create_completed():
    stub = Stubbed()
    stub.error("GetDiskSnapshot", params={"diskSnapshotName": "data-1-snap"})
    stub.add("CreateDiskSnapshot", ops("CreateDiskSnapshot", "data-1-snap", resource_type="DiskSnapshot"),
             {"diskSnapshotName": "data-1-snap", "diskName": "data-1"})
    stub.add("GetDiskSnapshot", {"diskSnapshot": dsnap()})
    result = run_d({"name": "data-1-snap", "disk_name": "data-1"}, stub)
    assert result["changed"] is True
    assert result["snapshot"]["state"] == "completed"


def test_disk_snapshot_of_system_disk():
    stub = Stubbed()
    stub.error("GetDiskSnapshot")
    stub.add("CreateDiskSnapshot", ops("CreateDiskSnapshot", "root", resource_type="DiskSnapshot"),
             {"diskSnapshotName": "root", "instanceName": "web-1"})
    system = dsnap("root")
    del system["fromDiskName"]
    system["fromInstanceName"] = "web-1"
    stub.add("GetDiskSnapshot", {"diskSnapshot": system})
    result = run_d({"name": "root", "instance_name": "web-1"}, stub)
    assert result["changed"] is True
    assert result["snapshot"]["from_instance_name"] == "web-1"


def test_disk_snapshot_unchanged_and_wrong_disk():
    stub = Stubbed()
    stub.add("GetDiskSnapshot", {"diskSnapshot": dsnap()})
    result = run_d({"name": "data-1-snap", "disk_name": "data-1"}, stub)
    assert result["changed"] is False and stub.calls == ["GetDiskSnapshot"]
    stub = Stubbed()
    stub.add("GetDiskSnapshot", {"diskSnapshot": dsnap()})
    result = run_d({"name": "data-1-snap", "disk_name": "data-2"}, stub)
    assert result["failed"] is True and "never retaken" in result["msg"]


def test_disk_snapshot_error_state_fails():
    stub = Stubbed()
    stub.error("GetDiskSnapshot")
    stub.add("CreateDiskSnapshot", ops("CreateDiskSnapshot", "data-1-snap", resource_type="DiskSnapshot"))
    stub.add("GetDiskSnapshot", {"diskSnapshot": dsnap(state="error")})
    result = run_d({"name": "data-1-snap", "disk_name": "data-1"}, stub)
    assert result["failed"] is True and "state error" in result["msg"]


def test_disk_snapshot_mutually_exclusive_sources():
    stub = Stubbed()
    result = run_d({"name": "x", "disk_name": "a", "instance_name": "b"}, stub)
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    assert stub.calls == []


def test_disk_snapshot_check_mode_predicts_create_and_tags_without_writing():
    stub = Stubbed()
    stub.error("GetDiskSnapshot", params={"diskSnapshotName": "data-1-snap"})
    result = run_d({"name": "data-1-snap", "disk_name": "data-1", "tags": {"env": "prod"}}, stub, check_mode=True, diff=True)
    assert result["changed"] is True and stub.calls == ["GetDiskSnapshot"]
    assert result["diff"]["before"] == {} and result["diff"]["after"]["name"] == "data-1-snap"
    stub = Stubbed()
    stub.add("GetDiskSnapshot", {"diskSnapshot": dsnap()})
    result = run_d({"name": "data-1-snap", "disk_name": "data-1", "tags": {"env": "prod"}}, stub, check_mode=True, diff=True)
    assert result["changed"] is True and stub.count(writes=True) == 0
    assert result["diff"]["before"]["tags"] == {} and result["diff"]["after"]["tags"] == {"env": "prod"}
    stub = Stubbed()
    stub.add("GetDiskSnapshot", {"diskSnapshot": dsnap(tags={"env": "prod"})})
    result = run_d({"name": "data-1-snap", "disk_name": "data-1", "tags": {"env": "prod"}}, stub, check_mode=True)
    assert result["changed"] is False and stub.calls == ["GetDiskSnapshot"]
