# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The metric chart is readable at a glance: axis labels with units and UTC, the period in the title, percent from 0."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail import chart, metric

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 11, 1, 22, 0, tzinfo=UTC)


def _series(values, step=5):
    return {"Average": [(T0 + datetime.timedelta(minutes=step * i), float(v)) for i, v in enumerate(values)]}


@pytest.fixture
def figure():
    made = []
    yield lambda *args, **kwargs: made.append(chart.build_figure(*args, **kwargs)) or made[-1]
    for fig in made:
        chart._pyplot().close(fig)


def test_axes_are_labelled_with_unit_and_utc_and_period_in_title(figure):
    fig = figure(_series([31, 42, 57]), title="instance web-1 CPUUtilization", unit="Percent", period=300)
    axes = fig.axes[0]
    assert axes.get_xlabel() == "Time (UTC)"
    assert axes.get_ylabel() == "Percent (%)"
    assert axes.get_title() == "instance web-1 CPUUtilization, 5-minute period"
    assert axes.get_ylim()[0] == 0 and axes.get_ylim()[1] >= 57


@pytest.mark.parametrize("values", [[31, 42, 57], [99.5, 99.7, 99.9], [0.1, 0.2]])
def test_percent_axis_starts_at_zero_and_never_passes_100_for_percentages(figure, values):
    axes = figure(_series(values), title="t", unit="Percent", period=60).axes[0]
    bottom, top = axes.get_ylim()
    assert bottom == 0 and max(values) <= top <= 100


def test_tick_labels_are_utc_even_for_other_time_zones(figure):
    # 22:00 UTC is 07:00 the next day in Tokyo: the labels must say 22:00, not the local or Tokyo time
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    series = {"Average": [(T0.astimezone(tokyo) + datetime.timedelta(minutes=5 * i), 1.0) for i in range(3)]}
    fig = figure(series, title="t", unit="Count", period=300)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels and any("22:" in label for label in labels) and not any("07:" in label for label in labels)


@pytest.mark.parametrize("period, text", [(60, "1-minute period"), (300, "5-minute period"), (3600, "1-hour period"),
                                          (86400, "1-day period"), (120, "2-minute period")])
def test_period_wording(period, text):
    assert chart.period_text(period) == text


def test_other_units_are_on_the_axis_and_counts_start_at_zero(figure):
    axes = figure(_series([5, 9]), title="t", unit="Bytes", period=3600).axes[0]
    assert axes.get_ylabel() == "Bytes" and axes.get_ylim()[0] == 0


def test_metric_data_passes_the_period_and_metric_to_the_chart(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(chart, "render_chart", lambda path, series, **kw: seen.update(kw) or dict(path=path, width=1, height=1, size=1, points=0))

    class Client:
        def call(self, op, **params):
            return {"metricName": "CPUUtilization", "metricData": []}

    metric.metric_data(Client(), "instance", "web-1", "CPUUtilization", 300, ["Average"], "Percent", "-1h", "now",
                       chart={"path": str(tmp_path / "c.png")})
    assert seen["period"] == 300 and seen["unit"] == "Percent" and seen["title"] == "instance web-1 CPUUtilization"


def test_large_byte_values_are_readable_without_an_exponent(figure):
    fig = figure(_series([2.0e7, 3.5e7]), title="t", unit="Bytes", period=3600)
    fig.canvas.draw()
    axes = fig.axes[0]
    labels = [t.get_text() for t in axes.get_yticklabels() if t.get_text()]
    assert any(label.endswith("MB") for label in labels) and axes.yaxis.get_offset_text().get_text() == ""
