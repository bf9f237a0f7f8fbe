# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_cost_estimate_info: Read AWS Lightsail cost estimates of resources for a time range (Stubber)."""

from __future__ import annotations

import datetime

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import ANY, Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_cost_estimate_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


UTC = datetime.timezone.utc


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


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetCostEstimate", {"resourcesBudgetEstimate": [_estimate("web-1", 0.168)]},
                 {"resourceName": "web-1", "startTime": ANY, "endTime": ANY})
    result = run_read_only(lightsail_cost_estimate_info.main, {"resource_names": ["web-1"], "start_time": "2026-11-01T00:00:00Z",
                                                               "end_time": "2026-11-02T00:00:00Z"}, queue)
    assert result["total"] == {"USD": 0.168}
