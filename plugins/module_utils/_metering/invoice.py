# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Monthly invoices per workspace, from the metering ledger: JSON, CSV and an HTML page
with a daily GPU-hours chart (matplotlib, embedded as a PNG data URI).

Everything rendered depends only on the ledger rows (sorted here, whatever order they come
in), so re-issuing the same month gives byte-identical files, and files are rewritten only
when their content changes. Money follows one rule (:data:`ROUNDING_RULE`): each line's
amount is its printed quantity times its printed rate, rounded half up to cents, and the
total is the sum of the printed amounts, so a reader can check every figure.
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
from ansible_collections.opsforge.infra.plugins.module_utils._metering.errors import MeteringError
from ansible_collections.opsforge.infra.plugins.module_utils._metering.metering import GPU_UNITS, UTC

matplotlib = LazyLibrary("matplotlib", pip_name="matplotlib")

CENTS = decimal.Decimal("0.01")
QTY = decimal.Decimal("0.000001")
ROUNDING = decimal.ROUND_HALF_UP
ROUNDING_RULE = ("quantity = exact usage in the unit, rounded half up to 6 decimals; "
                 "amount = quantity x rate, rounded half up to cents; total = sum of the amounts")
COLUMNS = ("environment", "owner", "item", "quantity", "unit", "rate", "amount")


def month_bounds(month):
    """``"2026-10"`` -> (2026-10-01T00:00Z, 2026-11-01T00:00Z)."""
    try:
        start = datetime.datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        raise MeteringError("invoice month %r is not YYYY-MM" % (month,))
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, end


def previous_month(now):
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


def _unit_hours(unit_seconds, divisor):
    """Exact usage in the unit (unit-seconds / 3600 / divisor), rounded once to :data:`QTY`."""
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        return (decimal.Decimal(unit_seconds) / (3600 * divisor)).quantize(QTY, rounding=ROUNDING)


def line_amount(quantity, rate):
    """The one rounding rule of money: ``quantity x rate`` rounded half up to cents."""
    return (quantity * decimal.Decimal(rate)).quantize(CENTS, rounding=ROUNDING)


def build(workspace, month, rows):
    """The invoice dict of one workspace and month from its ledger rows.

    One line per environment, owner, item and rate: ``quantity`` (in ``unit``), ``rate``
    (per unit) and ``amount``; the total is the sum of the line amounts (:data:`ROUNDING_RULE`).
    """
    start, end = month_bounds(month)
    currencies = sorted({r["currency"] for r in rows})
    if len(currencies) > 1:
        raise MeteringError("ledger rows of %s in %s mix currencies (%s): re-meter with one rate card currency" % (
            workspace, month, ", ".join(currencies)))
    usage, daily = {}, {}
    for row in rows:
        name = (row["environment"], row["owner"], row["item"], row["unit"], row["divisor"], decimal.Decimal(row["rate"]))
        usage[name] = usage.get(name, 0) + row["quantity"] * row["seconds"]
        if row["unit"] in GPU_UNITS:
            per_day = daily.setdefault(row["hour_start"][:10], {})
            per_day[row["environment"]] = per_day.get(row["environment"], 0) + row["quantity"] * row["seconds"]
    lines, envs, gpu_hours = [], {}, decimal.Decimal(0)
    for (env, owner, item, unit, divisor, rate), unit_seconds in sorted(usage.items()):
        quantity = _unit_hours(unit_seconds, divisor)
        amount = line_amount(quantity, rate)
        lines.append({"environment": env, "owner": owner, "item": item, "quantity": str(quantity), "unit": unit,
                      "rate": str(rate), "amount": str(amount)})
        envs[(env, owner)] = envs.get((env, owner), decimal.Decimal(0)) + amount
        if unit in GPU_UNITS:
            gpu_hours += quantity
    return {
        "workspace": workspace,
        "month": month,
        "period": {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "currency": currencies[0] if currencies else "",
        "rounding": ROUNDING_RULE,
        "lines": lines,
        "environments": [{"environment": k[0], "owner": k[1], "amount": str(v)} for k, v in sorted(envs.items())],
        "daily_gpu_hours": [{"date": day, "by_environment": {e: str(_unit_hours(s, 1)) for e, s in sorted(v.items())}}
                            for day, v in sorted(daily.items())],
        "gpu_hours": str(gpu_hours),
        "total": str(sum((decimal.Decimal(ln["amount"]) for ln in lines), decimal.Decimal("0.00"))),
    }


def render_json(invoice):
    return (json.dumps(invoice, indent=2, sort_keys=True) + "\n").encode("utf-8")


def render_csv(invoice):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["workspace", "month"] + list(COLUMNS) + ["currency"])
    for line in invoice["lines"]:
        writer.writerow([invoice["workspace"], invoice["month"]] + [line[k] for k in COLUMNS] + [invoice["currency"]])
    writer.writerow([invoice["workspace"], invoice["month"], "TOTAL", "", "", "", "", "", invoice["total"],
                     invoice["currency"]])
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
        "<tr><td>%s</td><td>%s</td><td>%s</td><td class=n>%s</td><td>%s</td><td class=n>%s</td><td class=n>%s</td></tr>\n" % (
            esc(ln["environment"]), esc(ln["owner"]), esc(ln["item"]), ln["quantity"], esc(ln["unit"]), ln["rate"],
            ln["amount"]) for ln in invoice["lines"])
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
<thead><tr><th>environment</th><th>owner</th><th>item</th><th class=n>quantity</th><th>unit</th>
<th class=n>rate ({cur} per unit)</th><th class=n>amount ({cur})</th></tr></thead>
<tbody>
{rows}</tbody>
<tfoot><tr><td colspan=6>total</td><td class=n>{total}</td></tr></tfoot>
</table>
<p>Rounding: {rule}.</p>
</body></html>
""".format(ws=esc(invoice["workspace"]), month=esc(invoice["month"]), start=invoice["period"]["start"],
           end=invoice["period"]["end"], cur=cur, chart=chart, rows=rows, total=invoice["total"], rule=esc(invoice["rounding"]))
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
        raise MeteringError("invoice_dir %s does not exist" % directory)
    paths = file_paths(directory, invoice)
    todo = pending_writes(directory, invoice, rendered)
    for ext, path in paths.items():
        if path in todo:
            tmp = path + ".tmp"
            with open(tmp, "wb") as handle:
                handle.write(rendered[ext])
            os.replace(tmp, path)
    return todo
