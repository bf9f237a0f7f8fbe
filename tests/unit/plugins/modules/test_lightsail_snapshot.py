# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_instance_snapshot, lightsail_disk_snapshot and lightsail_snapshot_rotation against Stubber."""

from __future__ import annotations

import datetime

from ansible_collections.opsforge.infra.plugins.modules import lightsail_disk_snapshot
from ansible_collections.opsforge.infra.plugins.modules import lightsail_instance_snapshot
from ansible_collections.opsforge.infra.plugins.modules import lightsail_snapshot_rotation
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import arn
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import operation
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import ops
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module


def isnap(name="web-1-snap", instance="web-1", state="available", tags=None, created=CREATED, region="us-east-1"):
    return {"name": name, "arn": arn("InstanceSnapshot", name, region), "createdAt": created, "resourceType": "InstanceSnapshot",
            "location": {"availabilityZone": "all", "regionName": region}, "state": state, "fromInstanceName": instance,
            "fromBlueprintId": "debian_12", "fromBundleId": "small_3_0", "isFromAutoSnapshot": False, "sizeInGb": 40,
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}


def dsnap(name="data-1-snap", disk="data-1", state="completed", tags=None, created=CREATED):
    return {"name": name, "arn": arn("DiskSnapshot", name), "createdAt": created, "resourceType": "DiskSnapshot",
            "location": {"availabilityZone": "us-east-1a", "regionName": "us-east-1"}, "state": state, "fromDiskName": disk,
            "sizeInGb": 32, "isFromAutoSnapshot": False, "progress": "100%",
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}


def run_i(params, stub, **kwargs):
    return run_module(lightsail_instance_snapshot.main, params, stub, **kwargs)


def run_d(params, stub, **kwargs):
    return run_module(lightsail_disk_snapshot.main, params, stub, **kwargs)


# -- instance snapshots ---------------------------------------------------------------------------
def test_instance_snapshot_create_waits_until_available():
    stub = Stubbed()
    stub.error("GetInstanceSnapshot", params={"instanceSnapshotName": "web-1-snap"})
    stub.add("CreateInstanceSnapshot", ops("CreateInstanceSnapshot", "web-1-snap", resource_type="InstanceSnapshot"),
             {"instanceSnapshotName": "web-1-snap", "instanceName": "web-1", "tags": [{"key": "rotation", "value": "daily"}]})
    stub.add("GetInstanceSnapshot", {"instanceSnapshot": isnap(state="pending", tags={"rotation": "daily"})})
    stub.add("GetInstanceSnapshot", {"instanceSnapshot": isnap(tags={"rotation": "daily"})})
    result = run_i({"name": "web-1-snap", "instance_name": "web-1", "tags": {"rotation": "daily"}}, stub)
    assert result["changed"] is True
    assert result["snapshot"]["state"] == "available"
    assert result["snapshot"]["from_instance_name"] == "web-1"
    assert result["snapshot"]["created_at"] == CREATED.isoformat()
    assert stub.slept  # polled the pending snapshot


def test_instance_snapshot_unchanged_one_read():
    stub = Stubbed()
    stub.add("GetInstanceSnapshot", {"instanceSnapshot": isnap(tags={"a": "1"})})
    result = run_i({"name": "web-1-snap", "instance_name": "web-1", "tags": {"a": "1"}}, stub)
    assert result["changed"] is False
    assert stub.calls == ["GetInstanceSnapshot"]


def test_instance_snapshot_update_tags_with_diff():
    stub = Stubbed()
    stub.add("GetInstanceSnapshot", {"instanceSnapshot": isnap(tags={"a": "1"})})
    stub.add("TagResource", ops("TagResource", "web-1-snap", resource_type="InstanceSnapshot"),
             {"resourceName": "web-1-snap", "tags": [{"key": "b", "value": "2"}]})
    stub.add("GetInstanceSnapshot", {"instanceSnapshot": isnap(tags={"a": "1", "b": "2"})})
    result = run_i({"name": "web-1-snap", "tags": {"b": "2"}, "purge_tags": False}, stub, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["tags"] == {"a": "1"}
    assert result["diff"]["after"]["tags"] == {"a": "1", "b": "2"}


def test_instance_snapshot_other_instance_is_immutable():
    stub = Stubbed()
    stub.add("GetInstanceSnapshot", {"instanceSnapshot": isnap()})
    result = run_i({"name": "web-1-snap", "instance_name": "web-2"}, stub)
    assert result["failed"] is True
    assert "fromInstanceName" in result["msg"] and "web-2" in result["msg"]
    assert stub.count(writes=True) == 0


def test_instance_snapshot_delete_and_missing_delete():
    stub = Stubbed()
    stub.add("GetInstanceSnapshot", {"instanceSnapshot": isnap()})
    stub.add("DeleteInstanceSnapshot", ops("DeleteInstanceSnapshot", "web-1-snap", resource_type="InstanceSnapshot"),
             {"instanceSnapshotName": "web-1-snap"})
    result = run_i({"name": "web-1-snap", "state": "absent"}, stub)
    assert result["changed"] is True and result["snapshot"] == {}
    stub = Stubbed()
    stub.error("GetInstanceSnapshot")
    result = run_i({"name": "web-1-snap", "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetInstanceSnapshot"]


def test_instance_snapshot_copy_across_regions_then_tag():
    stub = Stubbed(region="eu-central-1")
    stub.error("GetInstanceSnapshot")
    stub.add("CopySnapshot", ops("CopySnapshot", "web-1-dr", resource_type="InstanceSnapshot"),
             {"sourceRegion": "eu-west-1", "targetSnapshotName": "web-1-dr", "sourceSnapshotName": "web-1-snap"})
    stub.add("TagResource", ops("TagResource", "web-1-dr", resource_type="InstanceSnapshot"),
             {"resourceName": "web-1-dr", "tags": [{"key": "copy", "value": "dr"}]})
    stub.add("GetInstanceSnapshot", {"instanceSnapshot": isnap("web-1-dr", tags={"copy": "dr"}, region="eu-central-1")})
    result = run_i({"name": "web-1-dr", "source_region": "eu-west-1", "source_snapshot_name": "web-1-snap",
                    "tags": {"copy": "dr"}}, stub)
    assert result["changed"] is True
    assert result["actions"][0] == "copy snapshot web-1-snap from eu-west-1 to eu-central-1 web-1-dr"
    assert result["snapshot"]["location"]["region_name"] == "eu-central-1"


def test_copy_latest_auto_snapshot_check_mode():
    stub = Stubbed(region="eu-central-1")
    stub.error("GetInstanceSnapshot")
    result = run_i({"name": "web-1-dr", "source_region": "eu-west-1", "source_resource_name": "web-1",
                    "use_latest_restorable_auto_snapshot": True}, stub, check_mode=True, diff=True)
    assert result["changed"] is True
    assert stub.count(writes=True) == 0
    assert result["actions"] == ["copy latest automatic snapshot of web-1 from eu-west-1 to eu-central-1 web-1-dr"]
    assert result["diff"]["after"]["name"] == "web-1-dr"


def test_copy_auto_snapshot_needs_a_date():
    stub = Stubbed()
    stub.error("GetInstanceSnapshot")
    result = run_i({"name": "web-1-dr", "source_region": "eu-west-1", "source_resource_name": "web-1"}, stub)
    assert result["failed"] is True and "restore_date" in result["msg"]


def test_create_needs_instance():
    stub = Stubbed()
    stub.error("GetInstanceSnapshot")
    result = run_i({"name": "web-1-snap"}, stub)
    assert result["failed"] is True and "instance_name is required" in result["msg"]


def test_instance_snapshot_check_mode_create():
    stub = Stubbed()
    stub.error("GetInstanceSnapshot")
    result = run_i({"name": "web-1-snap", "instance_name": "web-1"}, stub, check_mode=True, diff=True)
    assert result["changed"] is True
    assert stub.calls == ["GetInstanceSnapshot"]
    assert result["diff"] == {"before": {}, "after": result["snapshot"]}
    assert result["snapshot"]["from_instance_name"] == "web-1"


def test_instance_snapshot_operation_failed():
    stub = Stubbed()
    stub.error("GetInstanceSnapshot")
    stub.add("CreateInstanceSnapshot", ops("CreateInstanceSnapshot", "web-1-snap", status="Started", resource_type="InstanceSnapshot"))
    stub.add("GetOperation", {"operation": operation("CreateInstanceSnapshot", "web-1-snap", status="Failed", resource_type="InstanceSnapshot",
                                                     errorCode="InstanceNotRunning", errorDetails="instance is stopping")})
    result = run_i({"name": "web-1-snap", "instance_name": "web-1"}, stub)
    assert result["failed"] is True
    assert "CreateInstanceSnapshot" in result["msg"] and "instance is stopping" in result["msg"]


def test_instance_snapshot_throttled_then_created():
    stub = Stubbed()
    stub.error("GetInstanceSnapshot")
    stub.error("CreateInstanceSnapshot", code="ThrottlingException", message="Rate exceeded")
    stub.add("CreateInstanceSnapshot", ops("CreateInstanceSnapshot", "web-1-snap", resource_type="InstanceSnapshot"))
    stub.add("GetInstanceSnapshot", {"instanceSnapshot": isnap()})
    result = run_i({"name": "web-1-snap", "instance_name": "web-1"}, stub)
    assert result["changed"] is True
    assert stub.count("CreateInstanceSnapshot") == 2


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


# -- rotation -------------------------------------------------------------------------------------
def day(n):
    return datetime.datetime(2026, 1, n, 3, 0, tzinfo=datetime.timezone.utc)


def snapshots_page():
    return [
        isnap("web-1-daily-01", created=day(1)), isnap("web-1-daily-02", created=day(2)),
        isnap("web-1-daily-03", created=day(3)), isnap("web-1-daily-04", created=day(4)),
        isnap("web-1-manual", created=day(1)),  # another name: kept by the prefix
        isnap("web-2-daily-01", instance="web-2", created=day(1)),  # another instance
    ]


def test_rotation_deletes_oldest_beyond_keep():
    stub = Stubbed()
    stub.add("GetInstanceSnapshots", {"instanceSnapshots": snapshots_page()[:3], "nextPageToken": "p2"})
    stub.add("GetInstanceSnapshots", {"instanceSnapshots": snapshots_page()[3:]}, {"pageToken": "p2"})
    stub.add("DeleteInstanceSnapshot", ops("DeleteInstanceSnapshot", "web-1-daily-02", resource_type="InstanceSnapshot"),
             {"instanceSnapshotName": "web-1-daily-02"})
    stub.add("DeleteInstanceSnapshot", ops("DeleteInstanceSnapshot", "web-1-daily-01", resource_type="InstanceSnapshot"),
             {"instanceSnapshotName": "web-1-daily-01"})
    result = run_module(lightsail_snapshot_rotation.main,
                        {"resource_names": ["web-1"], "keep": 2, "name_prefix": "web-1-daily-"}, stub, diff=True)
    assert result["changed"] is True
    assert result["deleted"] == ["web-1-daily-02", "web-1-daily-01"]
    assert result["kept"] == {"web-1": ["web-1-daily-04", "web-1-daily-03"]}
    assert result["diff"]["after"]["snapshots"]["web-1"] == ["web-1-daily-03", "web-1-daily-04"]
    assert len(result["diff"]["before"]["snapshots"]["web-1"]) == 4


def test_rotation_check_mode_shows_what_would_go():
    stub = Stubbed()
    stub.add("GetInstanceSnapshots", {"instanceSnapshots": snapshots_page()})
    result = run_module(lightsail_snapshot_rotation.main, {"resource_names": ["web-1", "web-2"], "keep": 1}, stub, check_mode=True)
    assert result["changed"] is True
    assert stub.calls == ["GetInstanceSnapshots"]
    assert sorted(result["deleted"]) == ["web-1-daily-01", "web-1-daily-02", "web-1-daily-03", "web-1-manual"]
    assert result["kept"]["web-2"] == ["web-2-daily-01"]
    assert "created 2026-01-01T03:00:00+00:00" in result["actions"][-1]


def test_rotation_nothing_to_do():
    stub = Stubbed()
    stub.add("GetInstanceSnapshots", {"instanceSnapshots": snapshots_page()})
    result = run_module(lightsail_snapshot_rotation.main, {"resource_names": ["web-1"], "keep": 5}, stub)
    assert result["changed"] is False and result["deleted"] == []
    assert stub.calls == ["GetInstanceSnapshots"]


def test_rotation_never_deletes_pending_disk_snapshots():
    stub = Stubbed()
    stub.add("GetDiskSnapshots", {"diskSnapshots": [dsnap("d3", created=day(3)), dsnap("d2", created=day(2), state="pending"),
                                                    dsnap("d1", created=day(1))]})
    stub.add("DeleteDiskSnapshot", ops("DeleteDiskSnapshot", "d1", resource_type="DiskSnapshot"), {"diskSnapshotName": "d1"})
    result = run_module(lightsail_snapshot_rotation.main, {"resource_type": "disk", "resource_names": ["data-1"], "keep": 1}, stub)
    assert result["deleted"] == ["d1"]
    assert result["skipped_pending"] == ["d2"]


def test_rotation_throttled_and_failed_delete():
    stub = Stubbed()
    stub.error("GetInstanceSnapshots", code="ThrottlingException", message="Rate exceeded")
    stub.add("GetInstanceSnapshots", {"instanceSnapshots": snapshots_page()})
    stub.add("DeleteInstanceSnapshot", ops("DeleteInstanceSnapshot", "web-1-daily-01", status="Started", resource_type="InstanceSnapshot"))
    stub.add("GetOperation", {"operation": operation("DeleteInstanceSnapshot", "web-1-daily-01", status="Failed",
                                                     resource_type="InstanceSnapshot", errorCode="InUse", errorDetails="being copied")})
    result = run_module(lightsail_snapshot_rotation.main, {"resource_names": ["web-1"], "keep": 3, "name_prefix": "web-1-daily-"}, stub)
    assert result["failed"] is True
    assert "DeleteInstanceSnapshot" in result["msg"] and "being copied" in result["msg"]


def test_rotation_negative_keep():
    stub = Stubbed()
    result = run_module(lightsail_snapshot_rotation.main, {"resource_names": ["web-1"], "keep": -1}, stub)
    assert result["failed"] is True and "keep" in result["msg"]
    assert stub.calls == []
