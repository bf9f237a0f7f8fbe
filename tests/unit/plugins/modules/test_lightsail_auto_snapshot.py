# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_auto_snapshot: Delete automatic snapshots of an AWS Lightsail instance or disk (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, Stubbed, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_auto_snapshot


# -- automatic snapshots --------------------------------------------------------------------------
def _autos(*dates):
    return {"resourceName": "web-1", "resourceType": "Instance", "autoSnapshots": [
        {"date": d, "createdAt": CREATED, "status": "Success", "fromAttachedDisks": []} for d in dates]}


def test_auto_snapshot_delete_dates_and_keep_last():
    stub = Stubbed().add("GetAutoSnapshots", _autos("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"), {"resourceName": "web-1"})
    stub.add("DeleteAutoSnapshot", ops("DeleteAutoSnapshot", "web-1"), {"resourceName": "web-1", "date": "2026-11-01"})
    stub.add("DeleteAutoSnapshot", ops("DeleteAutoSnapshot", "web-1"), {"resourceName": "web-1", "date": "2026-11-02"})
    result = run_module(lightsail_auto_snapshot.main, {"resource_name": "web-1", "keep_last": 2}, stub)
    assert result["changed"] is True and result["deleted"] == ["2026-11-01", "2026-11-02"]
    assert [a["date"] for a in result["auto_snapshots"]] == ["2026-11-03", "2026-11-04"]

    stub = Stubbed().add("GetAutoSnapshots", _autos("2026-11-03", "2026-11-04"), {"resourceName": "web-1"})
    result = run_module(lightsail_auto_snapshot.main, {"resource_name": "web-1", "keep_last": 2, "delete_dates": ["2026-11-01"]}, stub)
    assert result["changed"] is False and result["deleted"] == [] and stub.calls == ["GetAutoSnapshots"]


def test_auto_snapshot_check_mode_and_bad_date():
    stub = Stubbed().add("GetAutoSnapshots", _autos("2026-11-03", "2026-11-04"), {"resourceName": "web-1"})
    result = run_module(lightsail_auto_snapshot.main, {"resource_name": "web-1", "delete_dates": ["2026-11-03"]}, stub, check_mode=True)
    assert result["changed"] is True and result["deleted"] == ["2026-11-03"] and stub.count(writes=True) == 0
    result = run_module(lightsail_auto_snapshot.main, {"resource_name": "web-1", "delete_dates": ["3 Nov"]}, Stubbed())
    assert result["failed"] is True and "YYYY-MM-DD" in result["msg"]
