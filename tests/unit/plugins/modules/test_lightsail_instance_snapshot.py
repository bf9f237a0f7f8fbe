# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_instance_snapshot: Manage AWS Lightsail instance snapshots (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_instance_snapshot
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import operation
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import ops
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.snapshot import isnap


def run_i(params, stub, **kwargs):
    return run_module(lightsail_instance_snapshot.main, params, stub, **kwargs)


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
