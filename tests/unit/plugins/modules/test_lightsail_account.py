# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_vpc_peering, lightsail_account_info, lightsail_cost_estimate_info and lightsail_auto_snapshot (Stubber)."""

from __future__ import annotations

import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from lightsail_utils import ANY, CREATED, Stubbed, operation, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import (
    lightsail_account_info,
    lightsail_auto_snapshot,
    lightsail_cost_estimate_info,
    lightsail_vpc_peering,
)

UTC = datetime.timezone.utc


def peer_op(op_type, status="Succeeded"):
    return {"operation": operation(op_type, "vpc-0123", status=status, resource_type="PeeredVpc")}


# -- VPC peering ----------------------------------------------------------------------------------
def test_peer_then_unchanged_then_unpeer_then_unchanged():
    stub = Stubbed().add("IsVpcPeered", {"isPeered": False}, {})
    stub.add("PeerVpc", peer_op("PeerVpc", status="Started"), {})
    stub.add("GetOperation", peer_op("PeerVpc"), {"operationId": "op-1"})
    result = run_module(lightsail_vpc_peering.main, {}, stub, diff=True)
    assert result["changed"] is True and result["vpc_peering"] == {"peered": True, "region": "us-east-1"}
    assert result["actions"] == ["peer the Lightsail VPC of us-east-1 with the default VPC"]
    assert result["diff"] == {"before": {"peered": False, "region": "us-east-1"}, "after": {"peered": True, "region": "us-east-1"}}

    stub = Stubbed().add("IsVpcPeered", {"isPeered": True}, {})
    result = run_module(lightsail_vpc_peering.main, {}, stub)
    assert result["changed"] is False and stub.calls == ["IsVpcPeered"]

    stub = Stubbed().add("IsVpcPeered", {"isPeered": True}, {})
    stub.add("UnpeerVpc", peer_op("UnpeerVpc"), {})
    result = run_module(lightsail_vpc_peering.main, {"state": "absent"}, stub)
    assert result["changed"] is True and result["vpc_peering"]["peered"] is False

    stub = Stubbed().add("IsVpcPeered", {"isPeered": False}, {})
    assert run_module(lightsail_vpc_peering.main, {"state": "absent"}, stub)["changed"] is False


def test_peering_check_mode_writes_nothing_and_failure_is_clear():
    stub = Stubbed().add("IsVpcPeered", {"isPeered": False}, {})
    result = run_module(lightsail_vpc_peering.main, {}, stub, check_mode=True)
    assert result["changed"] is True and stub.calls == ["IsVpcPeered"]
    stub = Stubbed().add("IsVpcPeered", {"isPeered": False}, {})
    stub.add("PeerVpc", {"operation": operation("PeerVpc", "vpc-0123", status="Failed", resource_type="PeeredVpc",
                                                 errorCode="NoDefaultVpc", errorDetails="the account has no default VPC")})
    result = run_module(lightsail_vpc_peering.main, {}, stub)
    assert result["failed"] is True and "NoDefaultVpc: the account has no default VPC" in result["msg"]


# -- account info ---------------------------------------------------------------------------------
def test_account_info_reads_profile_peering_and_active_names_over_pages():
    stub = Stubbed()
    stub.add("GetProfile", {"profileType": "LightsailPartner",
                            "partner": {"enrolledAt": CREATED, "tierName": "Growth", "status": "Active"}}, {})
    stub.add("IsVpcPeered", {"isPeered": True}, {})
    stub.add("GetActiveNames", {"activeNames": ["web-1", "db-1"], "nextPageToken": "p2"}, {})
    stub.add("GetActiveNames", {"activeNames": ["lb-1"]}, {"pageToken": "p2"})
    result = run_module(lightsail_account_info.main, {}, stub, check_mode=True)
    assert result["changed"] is False
    assert result["profile"] == {"profile_type": "LightsailPartner",
                                 "partner": {"enrolled_at": "2026-01-02T03:04:05+00:00", "tier_name": "Growth", "status": "Active"}}
    assert result["vpc_peered"] is True and result["active_names"] == ["db-1", "lb-1", "web-1"]


# -- cost estimate --------------------------------------------------------------------------------
def _estimate(name, cost, unit="Hours"):
    return {"resourceName": name, "resourceType": "Instance", "startTime": datetime.datetime(2026, 11, 1, tzinfo=UTC),
            "endTime": datetime.datetime(2026, 11, 2, tzinfo=UTC),
            "costEstimates": [{"usageType": "Instance", "resultsByTime": [
                {"usageCost": cost, "pricingUnit": unit, "unit": 24.0, "currency": "USD",
                 "timePeriod": {"start": datetime.datetime(2026, 11, 1, tzinfo=UTC), "end": datetime.datetime(2026, 11, 2, tzinfo=UTC)}}]}]}


def test_cost_estimate_per_resource_with_totals():
    stub = Stubbed()
    stub.add("GetCostEstimate", {"resourcesBudgetEstimate": [_estimate("web-1", 0.168)]},
             {"resourceName": "web-1", "startTime": datetime.datetime(2026, 11, 1, tzinfo=UTC), "endTime": datetime.datetime(2026, 11, 2, tzinfo=UTC)})
    stub.add("GetCostEstimate", {"resourcesBudgetEstimate": [_estimate("db-1", 0.5)]}, {"resourceName": "db-1", "startTime": ANY, "endTime": ANY})
    result = run_module(lightsail_cost_estimate_info.main, {"resource_names": ["web-1", "db-1"], "start_time": "2026-11-01T00:00:00Z",
                                                            "end_time": "2026-11-02T00:00:00Z"}, stub)
    assert [e["resource_name"] for e in result["cost_estimates"]] == ["web-1", "db-1"]
    first = result["cost_estimates"][0]["cost_estimates"][0]["results_by_time"][0]
    assert first["usage_cost"] == 0.168 and first["currency"] == "USD"
    assert result["total"] == {"USD": 0.668}


def test_cost_estimate_bad_times_fail_before_any_call():
    result = run_module(lightsail_cost_estimate_info.main, {"resource_names": ["web-1"], "start_time": "-1d", "end_time": "-2d"}, Stubbed())
    assert result["failed"] is True and "start_time" in result["msg"]


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
