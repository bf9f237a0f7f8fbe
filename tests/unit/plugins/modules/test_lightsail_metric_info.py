# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_metric_info against a Stubber-checked botocore client, with a real PNG chart."""

from __future__ import annotations

import datetime

import pytest
from lightsail_utils import ANY, Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.chart import png_size
from ansible_collections.opsforge.infra.plugins.modules import lightsail_metric_info

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
POINTS = [{"timestamp": T0 + datetime.timedelta(minutes=5 * i), "average": avg, "maximum": mx, "unit": "Percent"}
          for i, (avg, mx) in enumerate([(3.0, 5.0), (7.0, 11.0), (12.0, 30.0), (40.0, 88.0), (22.0, 35.0), (9.0, 12.0)])]

CASES = [
    ("instance", "GetInstanceMetricData", "instanceName", "CPUUtilization", "Percent"),
    ("bucket", "GetBucketMetricData", "bucketName", "BucketSizeBytes", "Bytes"),
    ("load_balancer", "GetLoadBalancerMetricData", "loadBalancerName", "RequestCount", "Count"),
    ("distribution", "GetDistributionMetricData", "distributionName", "Requests", "None"),
    ("database", "GetRelationalDatabaseMetricData", "relationalDatabaseName", "CPUUtilization", "Percent"),
    ("container_service", "GetContainerServiceMetricData", "serviceName", "MemoryUtilization", None),
]


@pytest.mark.parametrize("resource_type, operation, name_key, metric, unit", CASES)
def test_every_resource_type(resource_type, operation, name_key, metric, unit):
    stub = Stubbed()
    expected = {name_key: "res", "metricName": metric, "period": 300, "startTime": ANY, "endTime": ANY, "statistics": ["Average", "Maximum"]}
    if unit:
        expected["unit"] = unit
    stub.add(operation, {"metricName": metric, "metricData": list(reversed(POINTS))}, expected)
    params = {"resource_type": resource_type, "name": "res", "metric_name": metric, "statistics": ["Average", "Maximum"], "start_time": "-3h"}
    if unit:
        params["unit"] = unit
    result = run_module(lightsail_metric_info.main, params, stub)
    assert result["changed"] is False and stub.calls == [operation]
    assert [p["average"] for p in result["datapoints"]] == [3.0, 7.0, 12.0, 40.0, 22.0, 9.0]  # sorted oldest first
    assert result["datapoints"][0] == {"timestamp": T0.isoformat(), "average": 3.0, "maximum": 5.0, "unit": "Percent"}
    start = datetime.datetime.fromisoformat(result["start_time"])
    end = datetime.datetime.fromisoformat(result["end_time"])
    assert end - start == datetime.timedelta(hours=3)
    if resource_type == "distribution":
        assert stub.client_kwargs[0]["region_name"] == "us-east-1"


def test_chart_png_for_known_series(tmp_path):
    path = tmp_path / "reports" / "cpu.png"
    path.parent.mkdir()
    stub = Stubbed()
    stub.add("GetInstanceMetricData", {"metricName": "CPUUtilization", "metricData": POINTS})
    result = run_module(lightsail_metric_info.main, {"resource_type": "instance", "name": "web-1", "metric_name": "CPUUtilization",
                                                     "unit": "Percent", "statistics": ["Average", "Maximum"],
                                                     "chart": {"path": str(path), "width": 900, "height": 300}}, stub)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert png_size(data) == (900, 300)
    assert result["chart"] == {"path": str(path), "width": 900, "height": 300, "size": len(data), "points": 12, "written": True}
    assert result["changed"] is False


def test_chart_not_written_in_check_mode(tmp_path):
    path = tmp_path / "cpu.png"
    stub = Stubbed()
    stub.add("GetInstanceMetricData", {"metricName": "CPUUtilization", "metricData": POINTS})
    result = run_module(lightsail_metric_info.main, {"resource_type": "instance", "name": "web-1", "metric_name": "CPUUtilization",
                                                     "unit": "Percent", "chart": {"path": str(path)}}, stub, check_mode=True)
    assert result["chart"] == {"path": str(path), "written": False} and not path.exists()
    assert result["datapoints"]


def test_unwritable_chart_path_is_a_clear_error(tmp_path):
    stub = Stubbed()
    stub.add("GetInstanceMetricData", {"metricName": "CPUUtilization", "metricData": POINTS})
    result = run_module(lightsail_metric_info.main, {"resource_type": "instance", "name": "web-1", "metric_name": "CPUUtilization",
                                                     "unit": "Percent", "chart": {"path": str(tmp_path / "nope" / "x.png")}}, stub)
    assert result["failed"] is True and "cannot write chart" in result["msg"]


def test_not_found_throttle_and_bad_input():
    stub = Stubbed()
    stub.error("GetRelationalDatabaseMetricData", "NotFoundException", "The Relational Database does not exist")
    result = run_module(lightsail_metric_info.main, {"resource_type": "database", "name": "gone", "metric_name": "CPUUtilization",
                                                     "unit": "Percent"}, stub)
    assert result["failed"] is True and "does not exist" in result["msg"] and result["error_code"] == "NotFoundException"
    stub = Stubbed()
    stub.error("GetBucketMetricData", "ThrottlingException")
    stub.add("GetBucketMetricData", {"metricName": "NumberOfObjects", "metricData": []})
    result = run_module(lightsail_metric_info.main, {"resource_type": "bucket", "name": "acme-assets", "metric_name": "NumberOfObjects", "unit": "Count",
                                                     "period": 86400, "start_time": "-7d"}, stub)
    assert result["datapoints"] == [] and stub.calls == ["GetBucketMetricData", "GetBucketMetricData"]
    stub = Stubbed()
    result = run_module(lightsail_metric_info.main, {"resource_type": "instance", "name": "i", "metric_name": "CPUUtilization"}, stub)
    assert result["failed"] is True and "unit is required" in result["msg"] and stub.calls == []
