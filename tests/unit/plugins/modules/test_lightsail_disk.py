# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_disk: Manage AWS Lightsail block storage disks (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_disk

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, operation, ops, run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.disk import ZONE, disk


AUTO = [{"name": "AutoSnapshot", "status": "Enabled", "snapshotTimeOfDay": "06:00"}]


def run(params, stub, **kwargs):
    return run_module(lightsail_disk.main, params, stub, **kwargs)


def test_create_and_attach():
    stub = Stubbed()
    stub.error("GetDisk", params={"diskName": "data-1"})
    stub.add("CreateDisk", ops("CreateDisk", "data-1", resource_type="Disk"), {
        "diskName": "data-1", "availabilityZone": ZONE, "sizeInGb": 32, "tags": [{"key": "env", "value": "prod"}],
        "addOns": [{"addOnType": "AutoSnapshot", "autoSnapshotAddOnRequest": {"snapshotTimeOfDay": "06:00"}}]})
    stub.add("GetDisk", {"disk": disk(tags={"env": "prod"}, add_ons=AUTO)})  # wait: available before attach
    stub.add("AttachDisk", ops("AttachDisk", "data-1", resource_type="Disk"),
             {"diskName": "data-1", "instanceName": "web-1", "diskPath": "/dev/xvdf", "autoMounting": True})
    stub.add("GetDisk", {"disk": disk(tags={"env": "prod"}, add_ons=AUTO, attached_to="web-1", path="/dev/xvdf")})
    result = run({"name": "data-1", "zone": ZONE, "size_gb": 32, "tags": {"env": "prod"}, "auto_snapshot_time": "06:00",
                  "instance_name": "web-1", "disk_path": "/dev/xvdf", "auto_mount": True}, stub)
    assert result["changed"] is True, result
    assert result["disk"]["attached_to"] == "web-1"
    assert result["disk"]["add_ons"][0]["snapshot_time_of_day"] == "06:00"
    assert result["diff"]["before"] == {}
    assert result["actions"][0] == "create disk data-1 (32 GB) in us-east-1a"


def test_unchanged_reads_once():
    stub = Stubbed()
    stub.add("GetDisk", {"disk": disk(tags={"env": "prod"}, attached_to="web-1", path="/dev/xvdf", add_ons=AUTO)})
    result = run({"name": "data-1", "zone": ZONE, "size_gb": 32, "tags": {"env": "prod"}, "state": "attached",
                  "instance_name": "web-1", "disk_path": "/dev/xvdf", "auto_snapshot_time": "06:00"}, stub)
    assert result["changed"] is False
    assert stub.calls == ["GetDisk"]
    assert result["disk"]["tags"] == {"env": "prod"}


def test_update_tags_addon_and_move_attachment():
    stub = Stubbed()
    stub.add("GetDisk", {"disk": disk(tags={"env": "dev", "old": "x"}, attached_to="web-1", path="/dev/xvdf", add_ons=AUTO)})
    stub.add("UntagResource", ops("UntagResource", "data-1", resource_type="Disk"), {"resourceName": "data-1", "tagKeys": ["old"]})
    stub.add("TagResource", ops("TagResource", "data-1", resource_type="Disk"),
             {"resourceName": "data-1", "tags": [{"key": "env", "value": "prod"}]})
    stub.add("EnableAddOn", ops("EnableAddOn", "data-1", resource_type="Disk"), {
        "resourceName": "data-1", "addOnRequest": {"addOnType": "AutoSnapshot", "autoSnapshotAddOnRequest": {"snapshotTimeOfDay": "09:00"}}})
    stub.add("DetachDisk", ops("DetachDisk", "data-1", resource_type="Disk"), {"diskName": "data-1"})
    stub.add("GetDisk", {"disk": disk(tags={"env": "prod"})})
    stub.add("AttachDisk", ops("AttachDisk", "data-1", resource_type="Disk"),
             {"diskName": "data-1", "instanceName": "web-2", "diskPath": "/dev/xvdg"})
    stub.add("GetDisk", {"disk": disk(tags={"env": "prod"}, attached_to="web-2", path="/dev/xvdg",
                                      add_ons=[dict(AUTO[0], snapshotTimeOfDay="09:00")])})
    result = run({"name": "data-1", "tags": {"env": "prod"}, "state": "attached", "instance_name": "web-2",
                  "disk_path": "/dev/xvdg", "auto_snapshot_time": "09:00"}, stub, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["attached_to"] == "web-1"
    assert result["diff"]["after"]["attached_to"] == "web-2"
    assert result["diff"]["before"]["tags"] == {"env": "dev", "old": "x"}
    assert result["diff"]["after"]["tags"] == {"env": "prod"}
    assert stub.count(writes=True) == 5


def test_detached_state():
    stub = Stubbed()
    stub.add("GetDisk", {"disk": disk(attached_to="web-1", path="/dev/xvdf")})
    stub.add("DetachDisk", ops("DetachDisk", "data-1", resource_type="Disk"), {"diskName": "data-1"})
    stub.add("GetDisk", {"disk": disk()})
    stub.add("GetDisk", {"disk": disk()})
    result = run({"name": "data-1", "state": "detached"}, stub)
    assert result["changed"] is True
    assert result["disk"]["is_attached"] is False


def test_delete_detaches_first():
    stub = Stubbed()
    stub.add("GetDisk", {"disk": disk(attached_to="web-1", path="/dev/xvdf")})
    stub.add("DetachDisk", ops("DetachDisk", "data-1", resource_type="Disk"), {"diskName": "data-1"})
    stub.add("GetDisk", {"disk": disk()})
    stub.add("DeleteDisk", ops("DeleteDisk", "data-1", resource_type="Disk"), {"diskName": "data-1"})
    result = run({"name": "data-1", "state": "absent"}, stub)
    assert result["changed"] is True
    assert result["disk"] == {}
    assert result["actions"] == ["detach disk data-1 from web-1", "delete disk data-1"]


def test_delete_missing_is_unchanged():
    stub = Stubbed()
    stub.error("GetDisk")
    result = run({"name": "data-1", "state": "absent"}, stub)
    assert result["changed"] is False
    assert stub.calls == ["GetDisk"]


def test_throttling_then_success():
    stub = Stubbed()
    stub.error("GetDisk", code="ThrottlingException", message="Rate exceeded", status=400)
    stub.error("GetDisk")
    stub.error("CreateDisk", code="ThrottlingException", message="Rate exceeded", status=400)
    stub.add("CreateDisk", ops("CreateDisk", "data-1", resource_type="Disk"))
    stub.add("GetDisk", {"disk": disk()})
    result = run({"name": "data-1", "zone": ZONE, "size_gb": 32}, stub)
    assert result["changed"] is True
    assert stub.calls == ["GetDisk", "GetDisk", "CreateDisk", "CreateDisk", "GetDisk"]
    assert stub.slept  # jittered backoff happened


def test_operation_failed_is_clear():
    stub = Stubbed()
    stub.error("GetDisk")
    stub.add("CreateDisk", ops("CreateDisk", "data-1", status="Started", resource_type="Disk"))
    stub.add("GetOperation", {"operation": operation("CreateDisk", "data-1", status="Failed", resource_type="Disk",
                                                     errorCode="QuotaExceeded", errorDetails="too many disks")},
             {"operationId": "op-1"})
    result = run({"name": "data-1", "zone": ZONE, "size_gb": 32}, stub)
    assert result["failed"] is True
    assert "CreateDisk" in result["msg"] and "QuotaExceeded" in result["msg"] and "too many disks" in result["msg"]


def test_check_mode_makes_no_writes_and_predicts():
    stub = Stubbed()
    stub.error("GetDisk")
    result = run({"name": "data-1", "zone": ZONE, "size_gb": 32, "instance_name": "web-1", "disk_path": "/dev/xvdf"},
                 stub, check_mode=True, diff=True)
    assert result["changed"] is True
    assert stub.count(writes=True) == 0
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["attached_to"] == "web-1"
    assert result["diff"]["after"]["size_in_gb"] == 32
    assert len(result["actions"]) == 2


def test_check_mode_delete():
    stub = Stubbed()
    stub.add("GetDisk", {"disk": disk()})
    result = run({"name": "data-1", "state": "absent"}, stub, check_mode=True)
    assert result["changed"] is True
    assert stub.calls == ["GetDisk"]


def test_immutable_size_fails_before_writes():
    stub = Stubbed()
    stub.add("GetDisk", {"disk": disk()})
    result = run({"name": "data-1", "zone": ZONE, "size_gb": 64}, stub)
    assert result["failed"] is True
    assert "size_gb" in result["msg"] and "cannot change it in place" in result["msg"]
    assert stub.count(writes=True) == 0


def test_immutable_zone():
    stub = Stubbed()
    stub.add("GetDisk", {"disk": disk()})
    result = run({"name": "data-1", "zone": "us-east-1b"}, stub)
    assert result["failed"] is True and "zone" in result["msg"]


def test_bad_time_of_day_fails_before_any_call():
    stub = Stubbed()
    stub.error("GetDisk")
    result = run({"name": "data-1", "zone": ZONE, "size_gb": 8, "auto_snapshot_time": "6:30"}, stub)
    assert result["failed"] is True and "HH:00" in result["msg"]
    assert stub.count(writes=True) == 0


def test_create_needs_zone_and_size():
    stub = Stubbed()
    stub.error("GetDisk")
    result = run({"name": "data-1"}, stub)
    assert result["failed"] is True and "zone and size_gb are required" in result["msg"]


def test_create_from_snapshot_no_wait():
    stub = Stubbed()
    stub.error("GetDisk")
    stub.add("CreateDiskFromSnapshot", ops("CreateDiskFromSnapshot", "data-2", status="Started", resource_type="Disk"),
             {"diskName": "data-2", "availabilityZone": ZONE, "sizeInGb": 64, "diskSnapshotName": "snap-1"})
    stub.add("GetDisk", {"disk": disk("data-2", state="pending", size=64)})
    result = run({"name": "data-2", "zone": ZONE, "size_gb": 64, "snapshot_name": "snap-1", "wait": False}, stub)
    assert result["changed"] is True
    assert result["disk"]["state"] == "pending"


def test_disable_auto_snapshot():
    stub = Stubbed()
    stub.add("GetDisk", {"disk": disk(add_ons=AUTO)})
    stub.add("DisableAddOn", ops("DisableAddOn", "data-1", resource_type="Disk"),
             {"addOnType": "AutoSnapshot", "resourceName": "data-1"})
    stub.add("GetDisk", {"disk": disk()})
    result = run({"name": "data-1", "auto_snapshot": False}, stub)
    assert result["changed"] is True
    assert result["disk"]["add_ons"] == []


def test_attach_needs_a_path():
    stub = Stubbed()
    stub.add("GetDisk", {"disk": disk()})
    result = run({"name": "data-1", "instance_name": "web-1"}, stub)
    assert result["failed"] is True and "disk_path is required" in result["msg"]
    assert stub.count(writes=True) == 0


def test_state_attached_requires_instance_and_path():
    stub = Stubbed()
    result = run({"name": "data-1", "state": "attached"}, stub)
    assert result["failed"] is True and "instance_name" in result["msg"]
    assert stub.calls == []
