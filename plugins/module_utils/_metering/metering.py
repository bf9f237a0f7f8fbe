# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Metering: what ran (:mod:`.usage`) -> priced hour pieces in the ledger (:mod:`.ledger`) -> invoices.

One run observes the platform with three list calls (managed Pods, managed PVCs, Nodes for
the GPU model), records the lives it saw in the ledger, then writes the final hour pieces of
the window. The lifecycle annotation users can edit is never read for billing.
"""

from __future__ import annotations

import datetime
import decimal
import os
import re

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._metering import ledger as L
from ansible_collections.opsforge.infra.plugins.module_utils._metering import usage
from ansible_collections.opsforge.infra.plugins.module_utils._metering.errors import MeteringError

UTC = datetime.timezone.utc
BUCKETS = L.BUCKETS
GIB = 2 ** 30
HOURS = decimal.Decimal("0.000001")
GPU_UNITS = ("GPU-hour", "MIG-instance-hour", "share-hour")
KSM_RUNNING = 'kube_pod_status_phase{phase="Running", uid=~"%s"}'
SAFE_UID = re.compile(r"^[A-Za-z0-9-]+$")


def dec(value):
    return decimal.Decimal(str(value))


def parse_time(value, what="time"):
    """RFC 3339 text, ``YYYY-MM-DD`` or a datetime -> aware UTC datetime."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    try:
        if len(text) == 10:
            return datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return C.parse_rfc3339(text)
    except ValueError:
        raise MeteringError("%s %r is not an RFC 3339 time (2026-11-01T00:00:00Z) or a date (2026-11-01)" % (what, value))


iso = L.iso


class RateCard:
    """Prices per hour. See ``docs/gpu-platform.md`` for the format::

        {"currency": "USD",
         "gpu": {"NVIDIA-A100-SXM4-80GB": 2.5, "default": 1.8},
         "mig": {"1g.10gb": 0.4, "default": 0.5},
         "shared": 0.3, "cpu": 0.02, "memory": 0.005, "storage": 0.0002}
    """

    def __init__(self, card):
        if not isinstance(card, dict):
            raise MeteringError("rate_card must be a dict (see the rate card format in the docs)")
        unknown = sorted(set(card) - {"currency", "gpu", "mig", "shared", "cpu", "memory", "storage"})
        if unknown:
            raise MeteringError("rate_card has unknown keys: %s" % ", ".join(unknown))
        self.currency = str(card.get("currency") or "USD")
        self.gpu = self._table(card.get("gpu"), "gpu")
        self.mig = self._table(card.get("mig"), "mig")
        self.shared = self._price(card.get("shared", 0), "shared")
        self.cpu = self._price(card.get("cpu", 0), "cpu")
        self.memory = self._price(card.get("memory", 0), "memory")
        self.storage = self._price(card.get("storage", 0), "storage")

    @staticmethod
    def _price(value, where):
        try:
            price = dec(value)
        except (decimal.InvalidOperation, ValueError):
            raise MeteringError("rate_card.%s: %r is not a number" % (where, value))
        if not price.is_finite() or price < 0:
            raise MeteringError("rate_card.%s: price %s must be zero or more" % (where, value))
        return price.normalize() if price else decimal.Decimal(0)

    def _table(self, value, where):
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise MeteringError("rate_card.%s must map a name to a price per hour" % where)
        return {str(k): self._price(v, "%s.%s" % (where, k)) for k, v in value.items()}

    def price(self, resource, gpu_model):
        """``(item, unit, divisor, price per unit-hour)`` of a resource (GPU key, cpu, memory, storage)."""
        if resource == "cpu":
            return "cpu", "core-hour", 1000, self.cpu
        if resource == "memory":
            return "memory", "GiB-hour", GIB, self.memory
        if resource == "storage":
            return "storage", "GiB-hour", GIB, self.storage
        if resource.startswith(C.MIG_RESOURCE_PREFIX):
            profile = resource[len(C.MIG_RESOURCE_PREFIX):]
            for name in (profile, "default"):
                if name in self.mig:
                    return "mig:%s" % profile, "MIG-instance-hour", 1, self.mig[name]
            raise MeteringError("rate_card.mig has no price for MIG profile %s (and no default)" % profile)
        if resource == C.GPU_SHARED_RESOURCE:
            return "shared", "share-hour", 1, self.shared
        for name in (gpu_model, "default"):
            if name and name in self.gpu:
                return "gpu:%s" % (gpu_model or "any"), "GPU-hour", 1, self.gpu[name]
        raise MeteringError("rate_card.gpu has no price for GPU model %r (and no default)" % (gpu_model or ""))


def summarize(rows):
    """Usage per environment (GPU-hours and exact cost as floats), for the module's return value."""
    envs = {}
    for row in rows:
        name = (row["workspace"], row["namespace"], row["environment"])
        entry = envs.setdefault(name, [decimal.Decimal(0), decimal.Decimal(0)])
        if row["unit"] in GPU_UNITS:
            entry[0] += decimal.Decimal(row["quantity"] * row["seconds"]) / L.HOUR
        entry[1] += L.exact_cost(row)
    return [{"workspace": k[0], "namespace": k[1], "environment": k[2], "gpu_hours": float(v[0].quantize(HOURS)),
             "cost": float(v[1].quantize(HOURS))} for k, v in sorted(envs.items())]


def observe_platform(api):
    """The lives visible now: three list calls (managed Pods and PVCs, Nodes)."""
    managed = C.selector({C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE})
    pods = api.list("Pod", label_selector=managed)
    pvcs = api.list("PersistentVolumeClaim", label_selector=managed)
    nodes = api.list("Node")
    return usage.observe(pods, pvcs, nodes)


def refine_vanished(lives, prometheus, now):
    """Move the end of the Pods gone since the last run to the last kube-state-metrics sample that saw them Running.

    A life closed by this observation ended somewhere between its last observation and ``now``;
    ``kube_pod_status_phase{phase="Running"}`` (kube-state-metrics, keyed by Pod UID) narrows that to
    the scrape interval. The end only moves later, never past ``now``. One query; returns the lives moved.
    """
    gone = [life for life in lives.values() if life.get("vanished") and life["kind"] == "compute" and SAFE_UID.match(life["uid"])]
    if prometheus is None or not gone:
        return 0
    since = min(life["last_seen"] for life in gone)
    series = prometheus.samples(KSM_RUNNING % "|".join(sorted(life["uid"] for life in gone)),
                                (now - since).total_seconds() + 60, now)
    last = {}
    for labels, points in series:
        running = [t for t, value in points if value == 1]
        if running and labels.get("uid"):
            last[labels["uid"]] = max(running + [last.get(labels["uid"], 0)])
    moved = 0
    for life in gone:
        if life["uid"] in last:
            seen = datetime.datetime.fromtimestamp(int(last[life["uid"]]), UTC)
            end = min(now, max(life["end"], seen))
            moved += end != life["end"]
            life["end"] = end
    return moved


def meter(ledger, observed, rate_card, window_start, window_end, bucket, now, workspaces=None, prometheus=None):
    """``(lives, rows, window)``: the lives after this observation and the final priced pieces of the window."""
    lives = L.merge_lives(ledger.lives(), observed, now)
    refine_vanished(lives, prometheus, now)
    window = L.align_window(window_start, window_end, bucket, now)
    return lives, L.priced_pieces(lives.values(), rate_card, window[0], window[1], workspaces), window


def _check_inputs(rate_card, window_start, window_end, invoice_dir, invoice_months, now):
    from ansible_collections.opsforge.infra.plugins.module_utils._metering import invoice as inv

    card = RateCard(rate_card) if rate_card is not None else None
    start = parse_time(window_start, "window_start") if window_start else parse_time(inv.previous_month(now) + "-01")
    end = parse_time(window_end, "window_end") if window_end else now
    if end <= start:
        raise MeteringError("window_end %s is not after window_start %s" % (iso(end), iso(start)))
    if invoice_dir is not None and not os.path.isdir(invoice_dir):
        raise MeteringError("invoice_dir %s does not exist" % invoice_dir)
    months = list(invoice_months or [])
    if invoice_dir is not None and not months:
        months = [inv.previous_month(now)]
    return card, start, end, [(m, inv.month_bounds(m)) for m in months]


def run_report(api, ledger_path, rate_card=None, window_start=None, window_end=None, bucket="hour", workspaces=None,
               do_meter=True, invoice_dir=None, invoice_months=None, check_mode=False, now=None, prometheus=None):
    """What ``gpu_usage_report`` does: observe, meter the window into the ledger, render invoices.

    ``prometheus`` (an :class:`.idle.Prometheus`, optional) holds kube-state-metrics: it narrows
    the end of Pods that disappeared between two runs (:func:`refine_vanished`).

    Every input is checked, and every piece priced, before the ledger or any file is written.
    Returns ``(changed, report, diff)``.
    """
    from ansible_collections.opsforge.infra.plugins.module_utils._metering import invoice as inv

    now = now or datetime.datetime.now(UTC)
    if do_meter and rate_card is None:
        raise MeteringError("rate_card is required to meter usage (meter=false renders invoices from the ledger only)")
    card, start, end, bounds = _check_inputs(rate_card, window_start, window_end, invoice_dir, invoice_months, now)
    if bucket not in BUCKETS:
        raise MeteringError("bucket must be one of %s" % ", ".join(BUCKETS))
    ledger = L.Ledger(ledger_path)
    before_count = ledger.count()
    new_rows, computed, window, lives = [], [], None, {}
    if do_meter:
        lives, computed, window = meter(ledger, observe_platform(api), card, start, end, bucket, now, workspaces, prometheus)
        present = ledger.existing_keys(computed)
        new_rows = [r for r in computed if L.key(r) not in present]
    added = len(new_rows)
    if do_meter and not check_mode:
        added = ledger.write(lives.values(), new_rows)

    invoices = []
    for month, (m_start, m_end) in bounds:
        stored = ledger.rows(start=m_start, end=m_end)
        if check_mode:
            stored += [r for r in new_rows if iso(m_start) <= r["hour_start"] < iso(m_end)]
        invoices.extend(_invoices(inv, invoice_dir, month, stored, workspaces, check_mode))
    changed = bool(added) or any(i["changed_files"] for i in invoices)
    report = {
        "ledger": ledger_path,
        "window": {"start": iso(window[0]), "end": iso(window[1])} if window else None,
        "bucket": bucket,
        "rows_computed": len(computed),
        "rows_added": added,
        "environments": summarize(computed),
        "invoices": invoices,
    }
    diff = {
        "before": {"ledger_rows": before_count, "invoice_files": []},
        "after": {"ledger_rows": before_count + added,
                  "invoice_files": sorted(p for i in invoices for p in i["changed_files"])},
    }
    return changed, report, diff


def usage_report(params, connect, prometheus_class, check_mode=False, now=None):
    """The ``gpu_usage_report`` module's one call: :func:`run_report` with its options ``params``.

    ``connect()`` returns the API client, called only when metering; ``prometheus_class(url, token=...,
    validate_certs=...)`` is built when ``prometheus_url`` is set. Returns the module's result.
    """
    prometheus = None
    if params["prometheus_url"]:
        prometheus = prometheus_class(params["prometheus_url"], token=params["prometheus_token"],
                                      validate_certs=params["prometheus_validate_certs"])
    api = connect() if params["meter"] else None
    changed, report, diff = run_report(
        api, params["ledger"], rate_card=params["rate_card"], window_start=params["window_start"],
        window_end=params["window_end"], bucket=params["bucket"], workspaces=params["workspaces"],
        do_meter=params["meter"], invoice_dir=params["invoice_dir"], invoice_months=params["invoice_months"],
        check_mode=check_mode, now=now, prometheus=prometheus)
    return {"changed": changed, "usage_report": report, "diff": diff}


def _invoices(inv, invoice_dir, month, stored, workspaces, check_mode):
    by_ws = {}
    for row in stored:
        if not workspaces or row["workspace"] in workspaces:
            by_ws.setdefault(row["workspace"], []).append(row)
    out = []
    for workspace in sorted(by_ws):
        invoice = inv.build(workspace, month, by_ws[workspace])
        rendered = inv.render_all(invoice)
        paths = inv.file_paths(invoice_dir, invoice)
        written = inv.pending_writes(invoice_dir, invoice, rendered) if check_mode else inv.write(invoice_dir, invoice, rendered)
        out.append({"workspace": workspace, "month": month, "currency": invoice["currency"], "total": invoice["total"],
                    "gpu_hours": invoice["gpu_hours"], "files": paths, "changed_files": sorted(written)})
    return out
