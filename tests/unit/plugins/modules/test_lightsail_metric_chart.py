# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The PNG chart renderer and the metric request builder (no network)."""

from __future__ import annotations

import datetime
import zlib

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail import chart, metric
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def _known_series():
    return {
        "Average": [(T0 + datetime.timedelta(minutes=5 * i), float(v)) for i, v in enumerate([3, 7, 12, 40, 22, 9])],
        "Maximum": [(T0 + datetime.timedelta(minutes=5 * i), float(v)) for i, v in enumerate([5, 11, 30, 88, 35, 12])],
    }


def _png_chunks(data):
    pos = 8
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        crc = int.from_bytes(data[pos + 8 + length:pos + 12 + length], "big")
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, "bad CRC in chunk %r" % kind
        yield kind, body
        pos += 12 + length


def test_chart_is_a_valid_png_of_the_requested_size(tmp_path):
    path = tmp_path / "cpu.png"
    facts = chart.render_chart(str(path), _known_series(), title="web-1 CPUUtilization", unit="Percent", width=640, height=320)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 5000  # two plotted lines, axes and a legend: not an empty canvas
    assert chart.png_size(data) == (640, 320)
    kinds = [kind for kind, _body in _png_chunks(data)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    assert facts == dict(path=str(path), width=640, height=320, size=len(data), points=12)
    assert [p.name for p in tmp_path.iterdir()] == ["cpu.png"]  # no temporary file left behind


def test_chart_differs_with_data(tmp_path):
    chart.render_chart(str(tmp_path / "a.png"), _known_series())
    chart.render_chart(str(tmp_path / "b.png"), {"Average": []})
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b.png").read_bytes()
    assert chart.png_size((tmp_path / "b.png").read_bytes()) == (800, 400)


def test_png_size_rejects_other_files():
    with pytest.raises(ValueError):
        chart.png_size(b"GIF89a" + b"\0" * 30)


def test_build_request_relative_times_and_validation():
    now = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    op, params = metric.build_request("database", "db1", "CPUUtilization", 300, ["Average"], "Percent", "-3h", "now", now=now)
    assert op == "GetRelationalDatabaseMetricData"
    assert params["relationalDatabaseName"] == "db1"
    assert params["startTime"] == now - datetime.timedelta(hours=3) and params["endTime"] == now
    op, params = metric.build_request("container_service", "svc", "CPUUtilization", 60, ["Maximum"], None,
                                      "2026-11-01T00:00:00Z", "2026-11-01T01:00:00Z", now=now)
    assert op == "GetContainerServiceMetricData" and "unit" not in params
    with pytest.raises(LightsailError, match="start_time"):
        metric.build_request("instance", "i", "CPUUtilization", 300, ["Average"], "Percent", "-1h", "-2h", now=now)
    with pytest.raises(LightsailError, match="multiple of 60"):
        metric.build_request("instance", "i", "CPUUtilization", 90, ["Average"], "Percent", "-1h", "now", now=now)
    with pytest.raises(LightsailError, match="unit is required"):
        metric.build_request("bucket", "b", "BucketSizeBytes", 86400, ["Average"], None, "-2d", "now", now=now)
    with pytest.raises(LightsailError, match="cannot parse"):
        metric.build_request("bucket", "b", "BucketSizeBytes", 86400, ["Average"], "Bytes", "yesterday", "now", now=now)


def test_missing_matplotlib_is_a_clear_error(tmp_path, monkeypatch):
    from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary

    monkeypatch.setattr(chart, "MATPLOTLIB", LazyLibrary("matplotlib_not_installed_here", pip_name="matplotlib"))
    with pytest.raises(ImportError):
        chart.render_chart(str(tmp_path / "x.png"), {"Average": []})
    points = [{"timestamp": T0, "average": 1.0}]
    with pytest.raises(LightsailError, match="pip install matplotlib"):
        metric.metric_data(_FakeClient(points), "instance", "web-1", "CPUUtilization", 300, ["Average"], "Percent", "-1h", "now",
                           chart={"path": str(tmp_path / "x.png")})
    assert not (tmp_path / "x.png").exists()


class _FakeClient:
    def __init__(self, points):
        self.points = points

    def call(self, op, **params):
        return {"metricName": params["metricName"], "metricData": self.points}
