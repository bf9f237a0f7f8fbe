# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property: for random lifecycles (start, stop, scale, delete, re-create, Pending, MIG,
time-sliced) and random sequences of metering windows and bucket sizes, the ledger holds
exactly the integral of what ran, priced exactly by the rate card, and re-running any window
adds nothing."""

from __future__ import annotations

import datetime
import os
import sys
import fractions
import sqlite3
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "modules"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "modules"))
from gpu_sim import SimCluster, SimPod, SimPvc, at
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._metering import invoice, metering

RATES = {"currency": "USD", "gpu": {"default": "1.37"}, "mig": {"default": "0.41"}, "shared": "0.29", "cpu": "0.013",
         "memory": "0.0051", "storage": "0.00021"}
END = 96  # hours: every scenario is over by then
GPU_KEYS = [C.GPU_RESOURCE, "nvidia.com/mig-1g.10gb", "nvidia.com/mig-3g.40gb", C.GPU_SHARED_RESOURCE]
seconds = st.integers(min_value=0, max_value=60 * 3600)


@st.composite
def pods(draw, index):
    created = draw(seconds) / 3600
    pending = draw(st.one_of(st.none(), st.integers(0, 3 * 3600)))  # None: never leaves Pending
    started = None if pending is None else created + pending / 3600
    ran = draw(st.one_of(st.none(), st.integers(1, 30 * 3600)))  # None: still running at the end
    ended = None if ran is None else (started if started is not None else created) + ran / 3600
    key = draw(st.sampled_from(GPU_KEYS))
    return SimPod("pod-%d" % index, draw(st.sampled_from(["a", "b"])), at(created), None if started is None else at(started),
                  None if ended is None else at(ended), {key: draw(st.integers(1, 4))}, cpu=draw(st.sampled_from(["500m", "4", "1250m"])),
                  memory=draw(st.sampled_from(["3Gi", "16Gi", "1500Mi"])), node=draw(st.sampled_from(["gpu-a100", "gpu-t4"])),
                  env_uid="sts-%d" % draw(st.integers(0, 2)))


@st.composite
def scenarios(draw):
    count = draw(st.integers(1, 5))
    sim_pods = [draw(pods(i)) for i in range(count)]
    sim_pvcs = []
    for i in range(draw(st.integers(0, 2))):
        created = draw(seconds) / 3600
        gone = draw(st.one_of(st.none(), st.integers(1, 30 * 3600)))
        sim_pvcs.append(SimPvc("pvc-%d" % i, "a", at(created), None if gone is None else at(created + gone / 3600),
                               size=draw(st.sampled_from(["10Gi", "100Gi", "1536Mi"]))))
    runs = draw(st.lists(st.tuples(st.integers(0, END * 3600), st.integers(0, END * 3600), st.integers(1, END * 3600),
                                   st.sampled_from(["hour", "day"])), max_size=5))
    return sim_pods, sim_pvcs, runs


def truth(sim_pods, sim_pvcs, end):
    """``{(uid, resource): unit-seconds}`` of what ran before ``end``."""
    out = {}
    for pod in sim_pods:
        if pod.started is None or pod.started >= end:
            continue
        span = int(((min(pod.ended, end) if pod.ended else end) - pod.started).total_seconds())
        resources = dict(pod.resources, cpu=int(metering.dec(pod.cpu[:-1]) if pod.cpu.endswith("m") else int(pod.cpu) * 1000))
        resources["memory"] = int(pod.memory[:-2]) * (2 ** 30 if pod.memory.endswith("Gi") else 2 ** 20)
        for resource, quantity in resources.items():
            out[(pod.uid, resource)] = quantity * span
    for pvc in sim_pvcs:
        span = int(((min(pvc.deleted, end) if pvc.deleted else end) - pvc.created).total_seconds())
        out[(pvc.uid, "storage")] = span * int(pvc.size[:-2]) * (2 ** 30 if pvc.size.endswith("Gi") else 2 ** 20)
    return {k: v for k, v in out.items() if v}


def run(cluster, path, now, start, end, bucket):
    cluster.now = now
    return metering.run_report(cluster, path, rate_card=RATES, window_start=start, window_end=end, bucket=bucket, now=now)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
@example(([SimPod("pod-0", "a", at(0), at(0), at(1.5))], [SimPvc("pvc-0", "a", at(0), at(0.25))], []))  # starts at T0
def test_ledger_is_the_integral_of_what_ran(scenario):
    sim_pods, sim_pvcs, runs = scenario
    cluster = SimCluster(sim_pods, sim_pvcs)
    # a schedule that observes every instant something stops, plus the random metering runs
    stops = [(p.ended, p.ended, p.ended, "hour") for p in sim_pods if p.ended] + \
            [(v.deleted, v.deleted, v.deleted, "day") for v in sim_pvcs if v.deleted]
    randoms = [(at(now / 3600), at(min(a, b) / 3600), at((max(a, b) + 1) / 3600), bucket) for now, a, b, bucket in runs]
    final = at(END)
    with tempfile.TemporaryDirectory() as tmp:
        path = tmp + "/ledger.sqlite"
        done = []
        for now, start, end, bucket in sorted(stops + randoms, key=lambda r: r[0]):
            _changed, first, _diff = run(cluster, path, now, start - datetime.timedelta(hours=1), end, bucket)
            _changed, again, _diff = run(cluster, path, now, start - datetime.timedelta(hours=1), end, bucket)
            assert again["rows_added"] == 0
            done.append((start - datetime.timedelta(hours=1), end, bucket))
        run(cluster, path, final, at(0), final, "day")
        for start, end, bucket in done:  # re-running any earlier window adds nothing
            assert run(cluster, path, final, start, end, bucket)[1]["rows_added"] == 0
        with sqlite3.connect(path) as conn:
            ledger = conn.execute("SELECT life_uid, resource, SUM(quantity * seconds), COUNT(*) FROM pieces "
                                  "GROUP BY life_uid, resource").fetchall()
            rows = [dict(zip(("quantity", "seconds", "rate", "divisor"), r))
                    for r in conn.execute("SELECT quantity, seconds, rate, divisor FROM pieces")]
    assert {(uid, res): total for uid, res, total, _n in ledger} == truth(sim_pods, sim_pvcs, final)
    card = metering.RateCard(RATES)
    expected = fractions.Fraction(0)
    for (_uid, resource), unit_seconds in truth(sim_pods, sim_pvcs, final).items():
        _item, _unit, divisor, rate = card.price(resource, "")  # only default prices: the model does not matter
        expected += fractions.Fraction(unit_seconds) * fractions.Fraction(rate) / (3600 * divisor)
    assert sum(fractions.Fraction(r["quantity"] * r["seconds"]) * fractions.Fraction(r["rate"]) / (3600 * r["divisor"])
               for r in rows) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10 ** 7), st.sampled_from(["0.013", "1.37", "0.0051", "2.5"]),
                          st.sampled_from([1, 1000, 2 ** 30])), min_size=1, max_size=12))
def test_invoice_lines_always_add_up_to_the_total(pieces):
    rows = [{"environment": "env%d" % (i % 4), "owner": "o", "item": "item%d" % i, "unit": "u", "divisor": div, "rate": rate,
             "quantity": 1, "seconds": secs, "hour_start": "2026-10-01T00:00:00Z", "currency": "USD"}
            for i, (secs, rate, div) in enumerate(pieces)]
    built = invoice.build("ws", "2026-10", rows)
    amounts = [metering.dec(ln["amount"]) for ln in built["lines"]]
    assert sum(amounts) == metering.dec(built["total"])
    for line in built["lines"]:
        assert invoice.line_amount(metering.dec(line["quantity"]), line["rate"]) == metering.dec(line["amount"])
