# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The usage ledger (SQLite): observed lives, and their usage cut on one canonical grid.

Exact by construction:

- **One segmentation.** Every life is cut at UTC hour boundaries, whatever report bucket is
  asked for (``hour`` and ``day`` only group hours). A piece is keyed by
  ``(life uid, resource, hour_start)``: metering by day after metering by hour finds the
  same keys and adds nothing.
- **Final pieces only.** A piece is written once its hour is over for that life: the hour
  has ended inside the window, or the life ended inside it. A partial trailing hour (a
  window ending at 10:30, or a life still running) is not written, so a later run writes it
  whole. Windows are aligned to the bucket (start and end rounded down).
- **Integers.** A piece holds its ``seconds`` and the life's ``quantity`` in base units (GPUs,
  millicores, bytes), so usage sums are exact; the rate is stored with it as decimal text.
  Money is computed only on invoices (see :mod:`.invoice` for the one rounding rule).
- **Lives by UID.** A Pod or PVC re-created under the same name has a new UID: a new life.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import sqlite3

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._metering.errors import MeteringError
from ansible_collections.opsforge.infra.plugins.module_utils._metering.usage import resources_text

UTC = datetime.timezone.utc
HOUR = 3600
BUCKETS = {"hour": 3600, "day": 86400}

SCHEMA = """
CREATE TABLE IF NOT EXISTS lives (
    uid TEXT PRIMARY KEY, kind TEXT NOT NULL, workspace TEXT NOT NULL, namespace TEXT NOT NULL,
    environment TEXT NOT NULL, env_uid TEXT NOT NULL, owner TEXT NOT NULL, gpu_model TEXT NOT NULL,
    resources TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT, last_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pieces (
    life_uid TEXT NOT NULL, resource TEXT NOT NULL, hour_start TEXT NOT NULL,
    kind TEXT NOT NULL, workspace TEXT NOT NULL, namespace TEXT NOT NULL, environment TEXT NOT NULL,
    env_uid TEXT NOT NULL, owner TEXT NOT NULL, item TEXT NOT NULL, unit TEXT NOT NULL,
    start TEXT NOT NULL, "end" TEXT NOT NULL, seconds INTEGER NOT NULL, quantity INTEGER NOT NULL,
    divisor INTEGER NOT NULL, rate TEXT NOT NULL, currency TEXT NOT NULL,
    PRIMARY KEY (life_uid, resource, hour_start)
);
CREATE INDEX IF NOT EXISTS pieces_by_hour ON pieces (hour_start, workspace);
"""
LIFE_COLUMNS = ("uid", "kind", "workspace", "namespace", "environment", "env_uid", "owner", "gpu_model", "resources",
                "start", "end", "last_seen")
PIECE_COLUMNS = ("life_uid", "resource", "hour_start", "kind", "workspace", "namespace", "environment", "env_uid", "owner",
                 "item", "unit", "start", "end", "seconds", "quantity", "divisor", "rate", "currency")


def iso(when):
    return C.rfc3339(when)


def floor_to(when, seconds):
    epoch = int(when.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def align_window(start, end, bucket, now):
    """``[start, end)`` rounded down to ``bucket`` boundaries and never past ``now``'s bucket."""
    if bucket not in BUCKETS:
        raise MeteringError("bucket must be one of %s" % ", ".join(BUCKETS))
    size = BUCKETS[bucket]
    start = floor_to(start, size)
    end = floor_to(min(end, now), size)
    return start, max(start, end)


# ------------------------------------------------------------------------------ lives


def merge_lives(stored, observed, now):
    """The lives after one observation at ``now`` (pure).

    ``stored``: ``{uid: life}`` from the ledger; ``observed``: lives visible now. A life seen
    again keeps its earliest start; a stored open life not seen any more is closed at its
    last observation. Returns ``{uid: life}``.
    """
    out = {uid: dict(life) for uid, life in stored.items()}
    seen = set()
    for life in observed:
        uid = life["uid"]
        seen.add(uid)
        old = out.get(uid)
        new = dict(life, last_seen=max(now, old["last_seen"]) if old else now)
        if old is not None:
            new["start"] = min(old["start"], life["start"])
            new["gpu_model"] = old["gpu_model"] or life["gpu_model"]
            if new["end"] is None and old["end"] is not None:
                new["end"] = old["end"]
        out[uid] = new
    for uid, life in out.items():
        if uid not in seen and life["end"] is None:
            life["end"] = max(life["start"], life["last_seen"])
            life["vanished"] = True  # closed by this observation: a later source may push the end up to ``now``
    return out


def pieces(life, window_start, window_end):
    """``[(hour_start, start, end)]`` of the final pieces of ``life`` inside the (hour-aligned) window."""
    known = life["end"] if life["end"] is not None else life["last_seen"]
    closed = life["end"] is not None
    stop = min(known, window_end)
    cursor = max(life["start"], window_start)
    out = []
    while cursor < stop:
        hour = floor_to(cursor, HOUR)
        hour_end = hour + datetime.timedelta(seconds=HOUR)
        end = min(stop, hour_end)
        if end < hour_end and not (closed and end == known):
            break  # the rest of this hour is not known yet: a later run writes it whole
        out.append((hour, cursor, end))
        cursor = end
    return out


def priced_pieces(lives, rate_card, window_start, window_end, workspaces=None):
    """Ledger rows (dicts) of the final pieces of ``lives`` in the window, priced with ``rate_card``."""
    rows = []
    for life in sorted(lives, key=lambda lf: lf["uid"]):
        if workspaces and life["workspace"] not in workspaces:
            continue
        cut = pieces(life, window_start, window_end)
        if not cut:
            continue
        for resource, quantity in sorted(life["resources"].items()):
            item, unit, divisor, rate = rate_card.price(resource, life["gpu_model"])
            for hour, start, end in cut:
                rows.append({
                    "life_uid": life["uid"], "resource": resource, "hour_start": iso(hour), "kind": life["kind"],
                    "workspace": life["workspace"], "namespace": life["namespace"], "environment": life["environment"],
                    "env_uid": life["env_uid"], "owner": life["owner"], "item": item, "unit": unit, "start": iso(start),
                    "end": iso(end), "seconds": int((end - start).total_seconds()), "quantity": int(quantity),
                    "divisor": divisor, "rate": str(rate), "currency": rate_card.currency})
    return rows


def exact_cost(row):
    """The exact (unrounded) cost of a row: quantity x seconds x rate / (3600 x divisor)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        return decimal.Decimal(row["quantity"] * row["seconds"]) * decimal.Decimal(row["rate"]) / (HOUR * row["divisor"])


def key(row):
    return (row["life_uid"], row["resource"], row["hour_start"])


# ----------------------------------------------------------------------------- SQLite


def _life_to_db(life):
    values = dict(life, resources=resources_text(life["resources"]), start=iso(life["start"]),
                  end=iso(life["end"]) if life["end"] is not None else None, last_seen=iso(life["last_seen"]))
    return tuple(values[c] for c in LIFE_COLUMNS)


def _life_from_db(values):
    life = dict(zip(LIFE_COLUMNS, values))
    life["resources"] = json.loads(life["resources"])
    for col in ("start", "end", "last_seen"):
        life[col] = C.parse_rfc3339(life[col]) if life[col] else None
    return life


class Ledger:
    """The SQLite ledger file. Each write is one transaction."""

    def __init__(self, path):
        self.path = path

    def _connect(self, create):
        if not create and not os.path.exists(self.path):
            return None
        directory = os.path.dirname(os.path.abspath(self.path))
        if create and not os.path.isdir(directory):
            raise MeteringError("the ledger's directory %s does not exist" % directory)
        try:
            conn = sqlite3.connect(self.path)
            if create:
                conn.executescript(SCHEMA)
            return conn
        except sqlite3.Error as exc:
            raise MeteringError("cannot open the ledger %s: %s" % (self.path, exc), cause=exc)

    def _read(self, query, args=()):
        conn = self._connect(create=False)
        if conn is None:
            return []
        try:
            return conn.execute(query, args).fetchall()
        except sqlite3.OperationalError:  # no table yet
            return []
        finally:
            conn.close()

    def lives(self):
        return {values[0]: _life_from_db(values) for values in self._read(
            "SELECT %s FROM lives" % ", ".join('"%s"' % c for c in LIFE_COLUMNS))}

    def existing_keys(self, rows):
        if not rows:
            return set()
        hours = sorted(r["hour_start"] for r in rows)
        return set(self._read("SELECT life_uid, resource, hour_start FROM pieces WHERE hour_start >= ? AND hour_start <= ?",
                              (hours[0], hours[-1])))

    def count(self):
        found = self._read("SELECT COUNT(*) FROM pieces")
        return found[0][0] if found else 0

    def write(self, lives, rows):
        """Save the observed lives and insert the rows not yet present; returns the number inserted."""
        conn = self._connect(create=True)
        try:
            with conn:
                conn.executemany("INSERT OR REPLACE INTO lives (%s) VALUES (%s)" % (
                    ", ".join('"%s"' % c for c in LIFE_COLUMNS), ", ".join("?" * len(LIFE_COLUMNS))),
                    [_life_to_db(life) for life in lives])
                before = conn.total_changes
                conn.executemany("INSERT OR IGNORE INTO pieces (%s) VALUES (%s)" % (
                    ", ".join('"%s"' % c for c in PIECE_COLUMNS), ", ".join("?" * len(PIECE_COLUMNS))),
                    [tuple(row[c] for c in PIECE_COLUMNS) for row in rows])
                return conn.total_changes - before
        except sqlite3.Error as exc:
            raise MeteringError("cannot write the ledger %s: %s" % (self.path, exc), cause=exc)
        finally:
            conn.close()

    def rows(self, start=None, end=None, workspace=None):
        """Rows with ``start <= hour_start < end``, in one fixed order."""
        query, args = "SELECT %s FROM pieces WHERE 1=1" % ", ".join('"%s"' % c for c in PIECE_COLUMNS), []
        for clause, value in (("hour_start >= ?", iso(start) if start else None), ("hour_start < ?", iso(end) if end else None),
                              ("workspace = ?", workspace)):
            if value:
                query += " AND " + clause
                args.append(value)
        found = self._read(query + " ORDER BY hour_start, life_uid, resource", args)
        return [dict(zip(PIECE_COLUMNS, values)) for values in found]
