# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Metering: lifecycle annotations -> priced usage rows -> an idempotent SQLite ledger.

Usage is cut into fixed UTC buckets (an hour or a day). A row is one environment's usage
inside one bucket, for one running segment (``compute``: GPUs, CPU, memory) or for the time
the environment existed (``storage``: its home volume, kept while stopped). Only buckets
that have ended are metered, so a row, once written, never changes: its natural key is
``(kind, namespace, environment, segment_start, bucket_start)`` and re-running any
window inserts nothing twice. Environments deleted since are read from the workspace's
lifecycle archive ConfigMap (``opsforge-lifecycle-archive``, written by ``gpu_environment``
on delete), so their last segment is metered too; the segment start keeps a re-created
environment of the same name apart from the old one.
"""

from __future__ import annotations

import datetime
import decimal
import os
import sqlite3

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import parse_quantity

UTC = datetime.timezone.utc
BUCKETS = {"hour": 3600, "day": 86400}
GIB = decimal.Decimal(2 ** 30)
MONEY = decimal.Decimal("0.000001")
HOURS = decimal.Decimal("0.000001")

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    workspace TEXT NOT NULL,
    namespace TEXT NOT NULL,
    environment TEXT NOT NULL,
    uid TEXT NOT NULL,
    owner TEXT NOT NULL,
    segment_start TEXT NOT NULL,
    bucket_start TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    seconds INTEGER NOT NULL,
    gpus INTEGER NOT NULL,
    gpu_model TEXT NOT NULL,
    resource_key TEXT NOT NULL,
    rate_item TEXT NOT NULL,
    gpu_hours TEXT NOT NULL,
    cpu_core_hours TEXT NOT NULL,
    memory_gib_hours TEXT NOT NULL,
    storage_gib_hours TEXT NOT NULL,
    gpu_cost TEXT NOT NULL,
    cpu_cost TEXT NOT NULL,
    memory_cost TEXT NOT NULL,
    storage_cost TEXT NOT NULL,
    cost TEXT NOT NULL,
    currency TEXT NOT NULL,
    UNIQUE (kind, namespace, environment, segment_start, bucket_start)
);
CREATE INDEX IF NOT EXISTS usage_by_workspace ON usage (workspace, bucket_start);
"""
COLUMNS = ("kind", "workspace", "namespace", "environment", "uid", "owner", "segment_start", "bucket_start", "start",
           "end", "seconds", "gpus", "gpu_model", "resource_key", "rate_item", "gpu_hours", "cpu_core_hours",
           "memory_gib_hours", "storage_gib_hours", "gpu_cost", "cpu_cost", "memory_cost", "storage_cost", "cost",
           "currency")


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
        raise K8sError("%s %r is not an RFC 3339 time (2026-11-01T00:00:00Z) or a date (2026-11-01)" % (what, value))


def iso(when):
    return C.rfc3339(when)


def floor_bucket(when, seconds):
    epoch = int(when.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % seconds, UTC)


# ------------------------------------------------------------------------------ rate card


class RateCard:
    """Prices per hour. See ``docs/gpu-platform.md`` for the format::

        {"currency": "USD",
         "gpu": {"NVIDIA-A100-SXM4-80GB": 2.5, "default": 1.8},
         "mig": {"1g.10gb": 0.4, "default": 0.5},
         "shared": 0.3, "cpu": 0.02, "memory": 0.005, "storage": 0.0002}
    """

    def __init__(self, card):
        if not isinstance(card, dict):
            raise K8sError("rate_card must be a dict (see the rate card format in the docs)")
        unknown = sorted(set(card) - {"currency", "gpu", "mig", "shared", "cpu", "memory", "storage"})
        if unknown:
            raise K8sError("rate_card has unknown keys: %s" % ", ".join(unknown))
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
            raise K8sError("rate_card.%s: %r is not a number" % (where, value))
        if price < 0 or not price.is_finite():
            raise K8sError("rate_card.%s: price %s must be zero or more" % (where, value))
        return price

    def _table(self, value, where):
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise K8sError("rate_card.%s must map a name to a price per hour" % where)
        return {str(k): self._price(v, "%s.%s" % (where, k)) for k, v in value.items()}

    def gpu_price(self, resource_key, gpu_model):
        """``(rate item, price per GPU-hour)`` for a resource key and GPU model."""
        if resource_key.startswith(C.MIG_RESOURCE_PREFIX):
            profile = resource_key[len(C.MIG_RESOURCE_PREFIX):]
            for key in (profile, "default"):
                if key in self.mig:
                    return "mig:%s" % profile, self.mig[key]
            raise K8sError("rate_card.mig has no price for MIG profile %s (and no default)" % profile)
        if resource_key == C.GPU_SHARED_RESOURCE:
            return "shared", self.shared
        for key in (gpu_model, "default"):
            if key and key in self.gpu:
                return "gpu:%s" % (gpu_model or "any"), self.gpu[key]
        raise K8sError("rate_card.gpu has no price for GPU model %r (and no default)" % (gpu_model or ""))


# ------------------------------------------------------------------------------ intervals


def segments(lifecycle, until):
    """Running segments ``[(start, end, event_dict)]`` and the existence span ``(start, end)``.

    A running event (created/started/restarted) opens a segment (closing an open one at the
    same instant, so a restart with new resources starts a new segment); stopped/deleted
    closes it. An open segment runs to ``until``. Events after ``until`` are ignored.
    """
    events = []
    for entry in lifecycle:
        try:
            events.append((C.parse_rfc3339(entry["at"]), entry))
        except (KeyError, ValueError, AttributeError):
            continue
    events.sort(key=lambda pair: pair[0])
    running, current, born, died = [], None, None, None
    for when, entry in events:
        if when > until:
            break
        name = entry.get("event")
        if born is None and name in C.RUNNING_EVENTS:
            born = when
        if name == "deleted":
            died = when
        if name in C.RUNNING_EVENTS:
            if current is not None and when > current[0]:
                running.append((current[0], when, current[1]))
            current = (when, entry)
        elif name in C.STOPPING_EVENTS and current is not None:
            if when > current[0]:
                running.append((current[0], when, current[1]))
            current = None
    if current is not None and until > current[0]:
        running.append((current[0], until, current[1]))
    existence = None
    if born is not None:
        end = died if died is not None else until
        if end > born:
            existence = (born, end)
    return running, existence


def _split(start, end, window_start, window_end, bucket):
    """Pieces ``(bucket_start, piece_start, piece_end)`` of [start, end) inside the window."""
    start, end = max(start, window_start), min(end, window_end)
    pieces = []
    cursor = start
    while cursor < end:
        bucket_start = floor_bucket(cursor, bucket)
        piece_end = min(end, bucket_start + datetime.timedelta(seconds=bucket))
        pieces.append((bucket_start, cursor, piece_end))
        cursor = piece_end
    return pieces


def _hours(seconds):
    return (dec(seconds) / dec(3600))


def environment_rows(sts, rate_card, window_start, window_end, bucket):
    """Priced rows of one StatefulSet (a dict as the API returns it)."""
    meta = sts.get("metadata") or {}
    labels = meta.get("labels") or {}
    namespace, name = meta.get("namespace") or "", meta.get("name") or ""
    base = {
        "workspace": labels.get(C.WORKSPACE_LABEL) or namespace,
        "namespace": namespace,
        "environment": labels.get(C.ENVIRONMENT_LABEL) or name,
        "uid": meta.get("uid") or "",
        "owner": labels.get(C.OWNER_LABEL) or "",
        "currency": rate_card.currency,
    }
    running, existence = segments(C.read_lifecycle(meta.get("annotations")), window_end)
    rows = []
    for seg_start, seg_end, event in running:
        gpus = int(event.get("gpus") or 0)
        model = event.get("gpu_model") or ""
        key = event.get("resource_key") or C.GPU_RESOURCE
        item, gpu_rate = rate_card.gpu_price(key, model) if gpus else ("none", dec(0))
        try:
            cpu = parse_quantity(event.get("cpu") or 0)
            mem_gib = parse_quantity(event.get("memory") or 0) / GIB
        except ValueError as exc:
            raise K8sError("environment %s/%s has an unreadable lifecycle quantity: %s" % (namespace, name, exc))
        for bucket_start, start, end in _split(seg_start, seg_end, window_start, window_end, bucket):
            hours = _hours((end - start).total_seconds())
            gpu_hours, cpu_hours, mem_hours = hours * gpus, hours * cpu, hours * mem_gib
            costs = (gpu_hours * gpu_rate, cpu_hours * rate_card.cpu, mem_hours * rate_card.memory)
            rows.append(dict(base, kind="compute", segment_start=iso(seg_start), bucket_start=iso(bucket_start),
                             start=iso(start), end=iso(end), seconds=int((end - start).total_seconds()), gpus=gpus,
                             gpu_model=model, resource_key=key, rate_item=item, gpu_hours=gpu_hours,
                             cpu_core_hours=cpu_hours, memory_gib_hours=mem_hours, storage_gib_hours=dec(0),
                             gpu_cost=costs[0], cpu_cost=costs[1], memory_cost=costs[2], storage_cost=dec(0),
                             cost=sum(costs, dec(0))))
    if existence is not None:
        lifecycle = C.read_lifecycle(meta.get("annotations"))
        storage_text = next((e.get("storage") for e in reversed(lifecycle) if e.get("storage")), "")
        try:
            storage_gib = parse_quantity(storage_text or 0) / GIB
        except ValueError as exc:
            raise K8sError("environment %s/%s has an unreadable storage quantity: %s" % (namespace, name, exc))
        if storage_gib:
            for bucket_start, start, end in _split(existence[0], existence[1], window_start, window_end, bucket):
                hours = _hours((end - start).total_seconds())
                cost = hours * storage_gib * rate_card.storage
                rows.append(dict(base, kind="storage", segment_start=iso(existence[0]), bucket_start=iso(bucket_start),
                                 start=iso(start), end=iso(end), seconds=int((end - start).total_seconds()), gpus=0,
                                 gpu_model="", resource_key="storage", rate_item="storage", gpu_hours=dec(0),
                                 cpu_core_hours=dec(0), memory_gib_hours=dec(0), storage_gib_hours=hours * storage_gib,
                                 gpu_cost=dec(0), cpu_cost=dec(0), memory_cost=dec(0), storage_cost=cost, cost=cost))
    return rows


def archived_environments(configmaps):
    """StatefulSet-shaped dicts for the lifecycles kept in the workspaces' archive ConfigMaps."""
    out = []
    for cm in configmaps:
        meta = cm.get("metadata") or {}
        if meta.get("name") != C.LIFECYCLE_ARCHIVE_CONFIGMAP:
            continue
        namespace = meta.get("namespace") or ""
        workspace = namespace[len(C.NAMESPACE_PREFIX):] if namespace.startswith(C.NAMESPACE_PREFIX) else namespace
        for name, text in sorted((cm.get("data") or {}).items()):
            labels = {C.WORKSPACE_LABEL: workspace, C.ENVIRONMENT_LABEL: name, C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE}
            out.append({"kind": "StatefulSet", "metadata": {
                "name": name, "namespace": namespace, "uid": "", "labels": labels,
                "annotations": {C.LIFECYCLE_ANNOTATION: text}}})
    return out


def meter(statefulsets, rate_card, window_start, window_end, bucket="hour", now=None, workspaces=None):
    """Rows for every environment, for the ended buckets of [window_start, window_end)."""
    if bucket not in BUCKETS:
        raise K8sError("bucket must be one of %s" % ", ".join(BUCKETS))
    seconds = BUCKETS[bucket]
    now = now or datetime.datetime.now(UTC)
    window_start = floor_bucket(window_start, seconds)
    window_end = min(window_end, floor_bucket(now, seconds))
    if window_end <= window_start:
        return [], (window_start, max(window_start, window_end))
    rows = []
    for sts in statefulsets:
        labels = (sts.get("metadata") or {}).get("labels") or {}
        if workspaces and labels.get(C.WORKSPACE_LABEL) not in workspaces:
            continue
        rows.extend(environment_rows(sts, rate_card, window_start, window_end, seconds))
    return rows, (window_start, window_end)


# --------------------------------------------------------------------------------- ledger


def _store(value):
    if isinstance(value, decimal.Decimal):
        return str(value.quantize(MONEY))
    return value


class Ledger:
    """The SQLite ledger file. Writes happen in one transaction."""

    def __init__(self, path):
        self.path = path

    def _connect(self, create):
        if not create and not os.path.exists(self.path):
            return None
        directory = os.path.dirname(os.path.abspath(self.path))
        if create and not os.path.isdir(directory):
            raise K8sError("the ledger's directory %s does not exist" % directory)
        try:
            conn = sqlite3.connect(self.path)
            if create:
                conn.executescript(SCHEMA)
            return conn
        except sqlite3.Error as exc:
            raise K8sError("cannot open the ledger %s: %s" % (self.path, exc), cause=exc)

    @staticmethod
    def key(row):
        return (row["kind"], row["namespace"], row["environment"], row["segment_start"], row["bucket_start"])

    def existing_keys(self, rows):
        """Keys of ``rows`` already in the ledger (read-only; used by check mode too)."""
        conn = self._connect(create=False)
        if conn is None or not rows:
            return set()
        try:
            starts = sorted({r["bucket_start"] for r in rows})
            try:
                found = conn.execute(
                    "SELECT kind, namespace, environment, segment_start, bucket_start FROM usage "
                    "WHERE bucket_start >= ? AND bucket_start <= ?", (starts[0], starts[-1])).fetchall()
            except sqlite3.OperationalError:  # an empty file: no table yet
                return set()
            return set(found)
        finally:
            conn.close()

    def append(self, rows):
        """Insert the rows not yet present; returns the number inserted."""
        conn = self._connect(create=True)
        try:
            with conn:
                before = conn.total_changes
                conn.executemany(
                    "INSERT OR IGNORE INTO usage (%s) VALUES (%s)" % (", ".join(COLUMNS), ", ".join("?" * len(COLUMNS))),
                    [tuple(_store(row[c]) for c in COLUMNS) for row in rows])
                return conn.total_changes - before
        except sqlite3.Error as exc:
            raise K8sError("cannot write the ledger %s: %s" % (self.path, exc), cause=exc)
        finally:
            conn.close()

    def rows(self, workspace=None, start=None, end=None):
        """Ledger rows (dicts, money as Decimal) with ``start <= bucket_start < end``."""
        conn = self._connect(create=False)
        if conn is None:
            return []
        try:
            query, args = "SELECT %s FROM usage WHERE 1=1" % ", ".join(COLUMNS), []
            if workspace:
                query += " AND workspace = ?"
                args.append(workspace)
            if start:
                query += " AND bucket_start >= ?"
                args.append(iso(start))
            if end:
                query += " AND bucket_start < ?"
                args.append(iso(end))
            try:
                found = conn.execute(query + " ORDER BY bucket_start, namespace, environment, kind", args).fetchall()
            except sqlite3.OperationalError:
                return []
        finally:
            conn.close()
        out = []
        for values in found:
            row = dict(zip(COLUMNS, values))
            for col in ("gpu_hours", "cpu_core_hours", "memory_gib_hours", "storage_gib_hours", "gpu_cost", "cpu_cost",
                        "memory_cost", "storage_cost", "cost"):
                row[col] = dec(row[col])
            out.append(row)
        return out

    def workspaces(self, start, end):
        return sorted({r["workspace"] for r in self.rows(start=start, end=end)})


def summarize(rows):
    """Totals per environment (GPU-hours, cost), for the module's return value."""
    envs = {}
    for row in rows:
        key = (row["workspace"], row["namespace"], row["environment"])
        entry = envs.setdefault(key, {"workspace": key[0], "namespace": key[1], "environment": key[2],
                                      "gpu_hours": dec(0), "cost": dec(0)})
        entry["gpu_hours"] += row["gpu_hours"]
        entry["cost"] += row["cost"]
    out = []
    for key in sorted(envs):
        entry = envs[key]
        entry["gpu_hours"] = float(entry["gpu_hours"].quantize(HOURS))
        entry["cost"] = float(entry["cost"].quantize(MONEY))
        out.append(entry)
    return out


# --------------------------------------------------------------------------------- service


def run_report(api, ledger_path, rate_card=None, window_start=None, window_end=None, bucket="hour", workspaces=None,
               do_meter=True, invoice_dir=None, invoice_months=None, check_mode=False, now=None):
    """What ``gpu_usage_report`` does: meter the window into the ledger, then render invoices.

    ``api`` is a :class:`K8sApi` (two list calls: StatefulSets and archive ConfigMaps), unused when
    ``do_meter`` is false. Every input is checked before the ledger or any file is written.
    Returns ``(changed, report, diff)``.
    """
    from ansible_collections.opsforge.infra.plugins.module_utils._k8s import invoice as inv

    now = now or datetime.datetime.now(UTC)
    ledger = Ledger(ledger_path)
    new_rows, computed, window = [], [], None
    if do_meter:
        if rate_card is None:
            raise K8sError("rate_card is required to meter usage (meter=false renders invoices from the ledger only)")
        card = RateCard(rate_card)
        start = parse_time(window_start, "window_start") if window_start else parse_time(inv.previous_month(now) + "-01")
        end = parse_time(window_end, "window_end") if window_end else now
        if end <= start:
            raise K8sError("window_end %s is not after window_start %s" % (iso(end), iso(start)))
        if invoice_dir is not None and not os.path.isdir(invoice_dir):
            raise K8sError("invoice_dir %s does not exist" % invoice_dir)
        managed = C.selector({C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE})
        items = api.list("StatefulSet", label_selector=managed)
        items += archived_environments(api.list("ConfigMap", label_selector=managed))
        computed, window = meter(items, card, start, end, bucket=bucket, now=now, workspaces=workspaces)
        unique = {}
        for row in computed:  # the same segment seen live and archived counts once
            unique.setdefault(Ledger.key(row), row)
        computed = list(unique.values())
        present = ledger.existing_keys(computed)
        new_rows = [r for r in computed if Ledger.key(r) not in present]
    months = list(invoice_months or [])
    if invoice_dir is not None and not months:
        months = [inv.previous_month(now)]
    bounds = [(m, inv.month_bounds(m)) for m in months]  # validates every month first
    if invoice_dir is not None and not os.path.isdir(invoice_dir):
        raise K8sError("invoice_dir %s does not exist" % invoice_dir)

    before_count = len(ledger.rows())
    added = 0
    if new_rows and not check_mode:
        added = ledger.append(new_rows)
    elif new_rows:
        added = len(new_rows)

    invoices = []
    for month, (m_start, m_end) in bounds:
        stored = ledger.rows(start=m_start, end=m_end)
        if check_mode:
            stored = stored + [_as_stored(r) for r in new_rows if m_start <= parse_time(r["bucket_start"]) < m_end]
        by_ws = {}
        for row in stored:
            if workspaces and row["workspace"] not in workspaces:
                continue
            by_ws.setdefault(row["workspace"], []).append(row)
        for workspace in sorted(by_ws):
            invoice = inv.build(workspace, month, by_ws[workspace])
            rendered = inv.render_all(invoice)
            paths = inv.file_paths(invoice_dir, invoice)
            written = inv.pending_writes(invoice_dir, invoice, rendered) if check_mode else inv.write(invoice_dir, invoice, rendered)
            invoices.append({"workspace": workspace, "month": month, "currency": invoice["currency"],
                             "total": invoice["totals"]["cost"], "gpu_hours": invoice["totals"]["gpu_hours"],
                             "files": paths, "changed_files": sorted(written)})
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


def _as_stored(row):
    """A computed row as it reads back from the ledger (money quantized)."""
    out = dict(row)
    for key, value in row.items():
        if isinstance(value, decimal.Decimal):
            out[key] = value.quantize(MONEY)
    return out
