# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Monthly invoices per workspace, from the metering ledger: JSON, CSV and an HTML page
with a daily GPU-hours chart (matplotlib, embedded as a PNG data URI).

Everything rendered depends only on the ledger rows, so re-rendering the same month gives
the same bytes and the files are rewritten only when their content changes.
"""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import html
import io
import json
import os

from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.metering import UTC, dec

matplotlib = LazyLibrary("matplotlib", pip_name="matplotlib")

CENTS = decimal.Decimal("0.01")
QTY = decimal.Decimal("0.001")
QUANTITIES = ("gpu_hours", "cpu_core_hours", "memory_gib_hours", "storage_gib_hours")
COSTS = ("gpu_cost", "cpu_cost", "memory_cost", "storage_cost", "cost")


def month_bounds(month):
    """``"2026-10"`` -> (2026-10-01T00:00Z, 2026-11-01T00:00Z)."""
    try:
        start = datetime.datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        raise K8sError("invoice month %r is not YYYY-MM" % (month,))
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, end


def previous_month(now):
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


def _zero():
    return dict((k, dec(0)) for k in QUANTITIES + COSTS)


def _add(target, row):
    for key in QUANTITIES + COSTS:
        target[key] += row[key]


def _fmt(values):
    out = {}
    for key in QUANTITIES:
        out[key] = str(values[key].quantize(QTY))
    for key in COSTS:
        out[key] = str(values[key].quantize(CENTS))
    return out


def build(workspace, month, rows):
    """The invoice dict of one workspace and month from its ledger rows."""
    start, end = month_bounds(month)
    currencies = sorted({r["currency"] for r in rows})
    if len(currencies) > 1:
        raise K8sError("ledger rows of %s in %s mix currencies (%s): re-meter with one rate card currency" % (
            workspace, month, ", ".join(currencies)))
    lines, envs, daily, totals = {}, {}, {}, _zero()
    for row in rows:
        key = (row["environment"], row["owner"], row["rate_item"])
        _add(lines.setdefault(key, _zero()), row)
        _add(envs.setdefault((row["environment"], row["owner"]), _zero()), row)
        _add(totals, row)
        day = row["bucket_start"][:10]
        per_day = daily.setdefault(day, {})
        per_day[row["environment"]] = per_day.get(row["environment"], dec(0)) + row["gpu_hours"]
    return {
        "workspace": workspace,
        "month": month,
        "period": {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "currency": currencies[0] if currencies else "",
        "lines": [dict(environment=k[0], owner=k[1], item=k[2], **_fmt(v)) for k, v in sorted(lines.items())],
        "environments": [dict(environment=k[0], owner=k[1], **_fmt(v)) for k, v in sorted(envs.items())],
        "daily_gpu_hours": [{"date": day, "by_environment": {e: str(h.quantize(QTY)) for e, h in sorted(v.items())}}
                            for day, v in sorted(daily.items())],
        "totals": _fmt(totals),
    }


def render_json(invoice):
    return (json.dumps(invoice, indent=2, sort_keys=True) + "\n").encode("utf-8")


def render_csv(invoice):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["workspace", "month", "environment", "owner", "item"] + list(QUANTITIES) + list(COSTS) + ["currency"])
    for line in invoice["lines"]:
        writer.writerow([invoice["workspace"], invoice["month"], line["environment"], line["owner"], line["item"]]
                        + [line[k] for k in QUANTITIES + COSTS] + [invoice["currency"]])
    writer.writerow([invoice["workspace"], invoice["month"], "TOTAL", "", ""]
                    + [invoice["totals"][k] for k in QUANTITIES + COSTS] + [invoice["currency"]])
    return buf.getvalue().encode("utf-8")


def render_chart(invoice):
    """PNG bytes: GPU-hours per day of the month, stacked by environment."""
    matplotlib.use("Agg")
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    start, end = month_bounds(invoice["month"])
    days = [(start + datetime.timedelta(days=i)).strftime("%Y-%m-%d") for i in range((end - start).days)]
    per_day = {d["date"]: d["by_environment"] for d in invoice["daily_gpu_hours"]}
    environments = sorted({e for d in invoice["daily_gpu_hours"] for e in d["by_environment"]})
    fig, axis = pyplot.subplots(figsize=(9, 3.2), dpi=100)
    try:
        bottom = [0.0] * len(days)
        for env in environments:
            values = [float(per_day.get(day, {}).get(env, 0)) for day in days]
            axis.bar(range(1, len(days) + 1), values, bottom=bottom, label=env, width=0.8)
            bottom = [b + v for b, v in zip(bottom, values)]
        axis.set_xlim(0.3, len(days) + 0.7)
        axis.set_xlabel("day of %s" % invoice["month"])
        axis.set_ylabel("GPU-hours")
        axis.set_title("GPU-hours per day, workspace %s" % invoice["workspace"])
        if environments:
            axis.legend(fontsize="small", ncol=min(4, len(environments)), loc="upper left")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        return buf.getvalue()
    finally:
        pyplot.close(fig)


def render_html(invoice, chart_png):
    esc = html.escape
    cur = esc(invoice["currency"])
    rows = "".join(
        "<tr><td>%s</td><td>%s</td><td>%s</td><td class=n>%s</td><td class=n>%s</td><td class=n>%s</td>"
        "<td class=n>%s</td><td class=n>%s</td></tr>\n" % (
            esc(ln["environment"]), esc(ln["owner"]), esc(ln["item"]), ln["gpu_hours"], ln["cpu_core_hours"],
            ln["memory_gib_hours"], ln["storage_gib_hours"], ln["cost"]) for ln in invoice["lines"])
    totals = invoice["totals"]
    chart = base64.b64encode(chart_png).decode("ascii")
    page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Invoice {ws} {month}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} th, td {{ border-bottom: 1px solid #ccc; padding: .3em .8em; text-align: left; }}
td.n, th.n {{ text-align: right; font-variant-numeric: tabular-nums; }} tfoot td {{ font-weight: bold; }}
</style></head><body>
<h1>GPU platform invoice</h1>
<p>Workspace <strong>{ws}</strong>, {month} ({start} to {end}), amounts in {cur}.</p>
<p><img alt="GPU-hours per day" src="data:image/png;base64,{chart}"></p>
<table>
<thead><tr><th>environment</th><th>owner</th><th>item</th><th class=n>GPU-hours</th><th class=n>CPU core-hours</th>
<th class=n>memory GiB-hours</th><th class=n>storage GiB-hours</th><th class=n>cost ({cur})</th></tr></thead>
<tbody>
{rows}</tbody>
<tfoot><tr><td colspan=3>total</td><td class=n>{gh}</td><td class=n>{ch}</td><td class=n>{mh}</td><td class=n>{sh}</td>
<td class=n>{total}</td></tr></tfoot>
</table>
</body></html>
""".format(ws=esc(invoice["workspace"]), month=esc(invoice["month"]), start=invoice["period"]["start"],
           end=invoice["period"]["end"], cur=cur, chart=chart, rows=rows, gh=totals["gpu_hours"],
           ch=totals["cpu_core_hours"], mh=totals["memory_gib_hours"], sh=totals["storage_gib_hours"], total=totals["cost"])
    return page.encode("utf-8")


def render_all(invoice):
    """``{"json": bytes, "csv": bytes, "html": bytes}``."""
    return {"json": render_json(invoice), "csv": render_csv(invoice), "html": render_html(invoice, render_chart(invoice))}


def file_paths(directory, invoice):
    stem = "%s-%s" % (invoice["workspace"], invoice["month"])
    return dict((ext, os.path.join(directory, "%s.%s" % (stem, ext))) for ext in ("json", "csv", "html"))


def pending_writes(directory, invoice, rendered):
    """The paths whose content differs from ``rendered`` (what a write would change)."""
    changed = []
    for ext, path in sorted(file_paths(directory, invoice).items()):
        try:
            with open(path, "rb") as handle:
                if handle.read() == rendered[ext]:
                    continue
        except FileNotFoundError:
            pass
        changed.append(path)
    return changed


def write(directory, invoice, rendered):
    """Write the files that differ (atomically); returns their paths."""
    if not os.path.isdir(directory):
        raise K8sError("invoice_dir %s does not exist" % directory)
    paths = file_paths(directory, invoice)
    todo = pending_writes(directory, invoice, rendered)
    for ext, path in paths.items():
        if path in todo:
            tmp = path + ".tmp"
            with open(tmp, "wb") as handle:
                handle.write(rendered[ext])
            os.replace(tmp, path)
    return todo
