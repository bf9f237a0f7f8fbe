# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Render Lightsail metric series to a PNG chart with matplotlib (Agg backend, imported lazily)."""

from __future__ import annotations

import datetime
import io
import struct

from ansible_collections.opsforge.infra.plugins.module_utils._common.files import atomic_write
from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary

MATPLOTLIB = LazyLibrary("matplotlib", pip_name="matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _pyplot():
    """Import pyplot on the non-interactive Agg backend (no display needed)."""
    matplotlib = MATPLOTLIB._load()
    if matplotlib is None:
        raise ImportError(MATPLOTLIB.error or "matplotlib is required")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    return plt


def png_size(data):
    """Return ``(width, height)`` of PNG bytes, or raise ``ValueError`` when not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return struct.unpack(">II", data[16:24])


def period_text(seconds):
    """``300`` -> ``"5-minute period"`` (the aggregation period of each data point)."""
    for size, word in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds and seconds % size == 0:
            return "%d-%s period" % (seconds // size, word)
    return "%s-second period" % seconds


def _value_axis(axes, unit, values):
    """Label the value axis with its unit; start it at 0 (percentages end at 100 at most)."""
    if unit == "Percent":
        axes.set_ylabel("Percent (%)")
        top = max(values or [0])
        axes.set_ylim(0, min(100.0, top * 1.1) if top > 0 else 100.0)
    else:
        if unit:
            axes.set_ylabel(unit)
        if unit == "Bytes":  # 20 MB rather than 2.0 with a "1e7" in the corner
            from matplotlib.ticker import EngFormatter  # pylint: disable=import-outside-toplevel

            axes.yaxis.set_major_formatter(EngFormatter(unit="B"))
        else:
            axes.ticklabel_format(axis="y", style="plain", useOffset=False)
        if not values or min(values) >= 0:
            axes.set_ylim(bottom=0, top=max(values) * 1.1 if values and max(values) > 0 else 1.0)


def build_figure(series, title=None, unit=None, period=None, width=800, height=400, dpi=100):
    """The matplotlib figure of ``series`` (see :func:`render_chart`): time on x in UTC, the unit on y,
    the period in the title; the caller closes it."""
    plt = _pyplot()
    from matplotlib import dates as mdates  # pylint: disable=import-outside-toplevel

    fig = plt.figure(figsize=(width / float(dpi), height / float(dpi)), dpi=dpi)
    axes = fig.add_subplot(1, 1, 1)
    values = []
    for label in sorted(series):
        pairs = sorted(series[label], key=lambda pair: pair[0])
        values.extend(p[1] for p in pairs)
        if pairs:
            axes.plot([p[0] for p in pairs], [p[1] for p in pairs], marker="o", markersize=3, label=label)
    if not values:
        axes.text(0.5, 0.5, "no data points", ha="center", va="center", transform=axes.transAxes)
    parts = [p for p in (title, period_text(period) if period else None) if p]
    if parts:
        axes.set_title(", ".join(parts))
    axes.set_xlabel("Time (UTC)")
    locator = mdates.AutoDateLocator(tz=datetime.timezone.utc)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=datetime.timezone.utc))
    _value_axis(axes, unit, values)
    axes.grid(True, alpha=0.3)
    if values:
        axes.legend(loc="best")
    fig.tight_layout()
    return fig


def render_chart(path, series, title=None, unit=None, width=800, height=400, dpi=100, period=None):
    """Write a line chart of ``series`` to ``path`` (PNG) and return its facts.

    ``series`` maps a label (a statistic such as ``Average``) to a list of ``(datetime, value)``
    pairs. The picture is exactly ``width`` x ``height`` pixels: x is the time in UTC, y the ``unit``
    (from 0; percentages up to 100 at most), the title ends with the ``period`` (seconds) of each
    point. The file is written to a temporary name and renamed, so a reader never sees half a PNG.
    """
    plt = _pyplot()
    fig = build_figure(series, title=title, unit=unit, period=period, width=width, height=height, dpi=dpi)
    points = sum(len(pairs) for pairs in series.values())
    try:
        png = io.BytesIO()
        # no bbox_inches="tight": it would change the pixel size
        fig.savefig(png, format="png", dpi=dpi)
        atomic_write(path, png.getvalue(), mode=0o644, make_dirs=False)
    finally:
        plt.close(fig)
    with open(path, "rb") as handle:
        data = handle.read()
    png_width, png_height = png_size(data)
    return dict(path=path, width=png_width, height=png_height, size=len(data), points=points)
