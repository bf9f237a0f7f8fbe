# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_snapshot_rotation: Keep the newest N manual snapshots of AWS Lightsail instances or disks (Stubber)."""

from __future__ import annotations

import datetime

from ansible_collections.opsforge.infra.plugins.modules import lightsail_snapshot_rotation
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import operation
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import ops
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.snapshot import dsnap, isnap


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
