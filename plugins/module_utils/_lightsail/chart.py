# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Render Lightsail metric series to a PNG chart with matplotlib (Agg backend, imported lazily)."""

from __future__ import annotations

import os
import struct
import tempfile

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


def render_chart(path, series, title=None, unit=None, width=800, height=400, dpi=100):
    """Write a line chart of ``series`` to ``path`` (PNG) and return its facts.

    ``series`` maps a label (a statistic such as ``Average``) to a list of ``(datetime, value)``
    pairs. The picture is exactly ``width`` x ``height`` pixels. The file is written to a
    temporary name and renamed, so a reader never sees half a PNG.
    """
    plt = _pyplot()
    fig = plt.figure(figsize=(width / float(dpi), height / float(dpi)), dpi=dpi)
    try:
        axes = fig.add_subplot(1, 1, 1)
        points = 0
        for label in sorted(series):
            pairs = sorted(series[label], key=lambda pair: pair[0])
            points += len(pairs)
            if pairs:
                axes.plot([p[0] for p in pairs], [p[1] for p in pairs], marker="o", markersize=3, label=label)
        if points == 0:
            axes.text(0.5, 0.5, "no data points", ha="center", va="center", transform=axes.transAxes)
        if title:
            axes.set_title(title)
        if unit:
            axes.set_ylabel(unit)
        axes.grid(True, alpha=0.3)
        if points:
            axes.legend(loc="best")
        fig.autofmt_xdate()
        directory = os.path.dirname(os.path.abspath(path))
        handle, tmp = tempfile.mkstemp(prefix=".chart-", suffix=".png", dir=directory)
        os.close(handle)
        try:
            # no bbox_inches="tight": it would change the pixel size
            fig.savefig(tmp, format="png", dpi=dpi)
            os.chmod(tmp, 0o644)
            os.rename(tmp, path)
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    finally:
        plt.close(fig)
    with open(path, "rb") as handle:
        data = handle.read()
    png_width, png_height = png_size(data)
    return dict(path=path, width=png_width, height=png_height, size=len(data), points=points)
