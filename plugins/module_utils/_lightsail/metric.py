# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Metric data of Lightsail resources (``Get*MetricData``) and its PNG chart."""

from __future__ import annotations

import datetime

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.distribution import DISTRIBUTION_REGION
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError

# resource type -> (operation, name parameter, whether the operation takes ``unit``)
METRIC_OPERATIONS = {
    "instance": ("GetInstanceMetricData", "instanceName", True),
    "bucket": ("GetBucketMetricData", "bucketName", True),
    "load_balancer": ("GetLoadBalancerMetricData", "loadBalancerName", True),
    "distribution": ("GetDistributionMetricData", "distributionName", True),
    "database": ("GetRelationalDatabaseMetricData", "relationalDatabaseName", True),
    "container_service": ("GetContainerServiceMetricData", "serviceName", False),
}

STATISTICS = ["Minimum", "Maximum", "Sum", "Average", "SampleCount"]


def _utc(value):
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def parse_time(value, now):
    """Parse an absolute ISO 8601 time or a relative one (``-3h``, ``-2d``, ``-30m``, ``now``)."""
    if value is None or value == "now":
        return now
    text = str(value).strip()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    if text.startswith("-") and text[-1:] in units and text[1:-1].isdigit():
        return now - datetime.timedelta(seconds=int(text[1:-1]) * units[text[-1]])
    try:
        return _utc(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise LightsailError("cannot parse time %r: use ISO 8601 (2024-05-01T10:00:00Z) or a relative time like -3h" % value)


def build_request(resource_type, name, metric, period, statistics, unit, start_time, end_time, now=None):
    """Return ``(operation, params)`` for the metric request, validating the input first."""
    if resource_type not in METRIC_OPERATIONS:
        raise LightsailError("unknown resource_type %r" % resource_type)
    operation, name_key, takes_unit = METRIC_OPERATIONS[resource_type]
    now = _utc(now or datetime.datetime.now(datetime.timezone.utc))
    start = parse_time(start_time, now)
    end = parse_time(end_time, now)
    if start >= end:
        raise LightsailError("start_time (%s) must be before end_time (%s)" % (start.isoformat(), end.isoformat()))
    if period < 60 or period % 60:
        raise LightsailError("period must be a multiple of 60 seconds, got %d" % period)
    params = {
        name_key: name,
        "metricName": metric,
        "period": period,
        "startTime": start,
        "endTime": end,
        "statistics": list(statistics),
    }
    if takes_unit:
        if not unit:
            raise LightsailError("unit is required for resource_type=%s (for example Percent, Bytes, Count)" % resource_type)
        params["unit"] = unit
    return operation, params


def normalize_datapoints(datapoints):
    """Sort datapoints by time and turn them into snake_case dicts with ISO timestamps."""
    out = []
    for point in sorted(datapoints or [], key=lambda p: p.get("timestamp")):
        item = {"timestamp": _utc(point["timestamp"]).isoformat() if point.get("timestamp") else None}
        for key in ("average", "maximum", "minimum", "sum", "sampleCount", "unit"):
            if key in point:
                item["sample_count" if key == "sampleCount" else key] = point[key]
        out.append(item)
    return out


def series_for_chart(datapoints, statistics):
    """``{statistic: [(datetime, value), ...]}`` from raw datapoints, for :func:`chart.render_chart`."""
    keys = {"Minimum": "minimum", "Maximum": "maximum", "Sum": "sum", "Average": "average", "SampleCount": "sampleCount"}
    series = {}
    for stat in statistics:
        key = keys[stat]
        series[stat] = [(_utc(p["timestamp"]), p[key]) for p in datapoints or [] if key in p and p.get("timestamp")]
    return series


def metric_data(client, resource_type, name, metric, period, statistics, unit, start_time, end_time, chart=None, check_mode=False, now=None):
    """Read one metric series and, when ``chart`` (``path``, ``width``, ``height``, ``title``) is given, draw it."""
    operation, params = build_request(resource_type, name, metric, period, statistics, unit, start_time, end_time, now=now)
    response = client.call(operation, **params)
    raw = response.get("metricData") or []
    result = {
        "metric_name": response.get("metricName") or metric,
        "resource_type": resource_type,
        "resource_name": name,
        "period": period,
        "statistics": list(statistics),
        "unit": unit,
        "start_time": params["startTime"].isoformat(),
        "end_time": params["endTime"].isoformat(),
        "datapoints": normalize_datapoints(raw),
    }
    if chart and chart.get("path"):
        if check_mode:
            result["chart"] = {"path": chart["path"], "written": False}
        else:
            from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.chart import render_chart  # pylint: disable=import-outside-toplevel

            title = chart.get("title") or "%s %s %s" % (resource_type, name, metric)
            try:
                facts = render_chart(chart["path"], series_for_chart(raw, statistics), title=title, unit=unit, period=period,
                                     width=chart.get("width") or 800, height=chart.get("height") or 400)
            except ImportError as exc:
                raise LightsailError("matplotlib is required to draw charts: pip install matplotlib", code="MissingLibrary", cause=exc)
            except (OSError, ValueError) as exc:
                raise LightsailError("cannot write chart %s: %s" % (chart["path"], exc), code="Invalid", cause=exc)
            facts["written"] = True
            result["chart"] = facts
    return result


def metric_info(lightsail, params, check_mode=False):
    """``lightsail_metric_info``'s read of :func:`metric_data`. ``lightsail(region=...)`` gives the client
    (``LightsailModule.lightsail``): distribution metrics are read in us-east-1, the others in the task's region."""
    region = DISTRIBUTION_REGION if params["resource_type"] == "distribution" else None
    return metric_data(lightsail(region=region), params["resource_type"], params["name"], params["metric_name"], params["period"],
                       params["statistics"], params["unit"], params["start_time"], params["end_time"], chart=params["chart"],
                       check_mode=check_mode)
