# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_usage_report: what ran (Pods, PVCs) gives known hours and money; re-running changes nothing."""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import io
import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from gpu_sim import SimCluster, SimPod, SimPvc, at

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._metering import invoice, metering
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.modules import gpu_usage_report

RATES = {
    "currency": "USD",
    "gpu": {"NVIDIA-A100-SXM4-80GB": 2.5, "default": 1.8},
    "mig": {"1g.10gb": 0.4},
    "shared": 0.3,
    "cpu": 0.02,
    "memory": 0.005,
    "storage": 0.0002,
}
TWO = {C.GPU_RESOURCE: 2}
MIG = {"nvidia.com/mig-1g.10gb": 1}


def train():
    """Oct 1 09:00-17:30 with 2 A100s, Oct 2 10:00-12:00 with one; home volume Oct 1 09:00 - Oct 2 12:00."""
    return SimCluster(pods=[SimPod("p1", "train", at(9), at(9), at(17.5), TWO, cpu="8", memory="64Gi"),
                            SimPod("p2", "train", at(34), at(34), at(36), cpu="8", memory="64Gi")],
                      pvcs=[SimPvc("v1", "train", at(9), at(36))])


def mig_dev():
    return SimPod("p3", "mig-dev", at(742), at(742), None, MIG, cpu="500m", memory="4Gi", workspace="vision")


def meter_at(tmp_path, cluster, when, check_mode=False, **kwargs):
    """One gpu_usage_report run at ``when`` (the cluster as it is then)."""
    cluster.now = when
    kwargs.setdefault("window_start", "2026-10-01")
    kwargs.setdefault("rate_card", RATES)
    return metering.run_report(cluster, str(tmp_path / "ledger.sqlite"), check_mode=check_mode, now=when, **kwargs)


def observe_ends(tmp_path, cluster, **kwargs):
    """Meter at every instant something stopped (what a frequent schedule sees)."""
    ends = sorted({p.ended for p in cluster.pods if p.ended} | {v.deleted for v in cluster.pvcs if v.deleted})
    for when in ends:
        meter_at(tmp_path, cluster, when, **kwargs)


def ledger_total(tmp_path, resource=None):
    with sqlite3.connect(str(tmp_path / "ledger.sqlite")) as conn:
        query = "SELECT COALESCE(SUM(quantity * seconds), 0) FROM pieces"
        if resource:
            return conn.execute(query + " WHERE resource = ?", (resource,)).fetchone()[0]
        return conn.execute(query).fetchone()[0]


def test_known_usage_gives_known_hours_and_money(tmp_path):
    cluster = train()
    cluster.pods.append(mig_dev())
    observe_ends(tmp_path, cluster)
    changed, rep, _diff = meter_at(tmp_path, cluster, at(745.5), invoice_dir=str(tmp_path), invoice_months=["2026-10"])
    assert cluster.calls[-3:] == ["Pod", "PersistentVolumeClaim", "Node"]
    assert changed is True
    assert rep["window"] == {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T01:00:00Z"}
    envs = {e["environment"]: e for e in rep["environments"]}
    # train: 8.5 h x 2 GPUs + 2 h x 1 GPU = 19 GPU-hours at 2.50; 10.5 h x 8 cores at 0.02;
    # 10.5 h x 64 GiB at 0.005; its home volume existed 27 h with 100 GiB at 0.0002
    assert envs["train"]["gpu_hours"] == 19.0
    assert envs["train"]["cost"] == pytest.approx(19 * 2.5 + 84 * 0.02 + 672 * 0.005 + 2700 * 0.0002)
    assert envs["mig-dev"]["gpu_hours"] == 3.0  # 22:00 -> 01:00, the last ended hour
    invoices = {i["workspace"]: i for i in rep["invoices"]}
    assert invoices["ml"]["total"] == "53.08" and invoices["ml"]["gpu_hours"] == "19.000000"
    # October holds the two October hours of mig-dev: 2 x 0.40 + 1 core-hour x 0.02 + 8 GiB-hours x 0.005
    assert invoices["vision"]["total"] == "0.86"


def test_pending_pod_costs_nothing(tmp_path):
    """A Pod that never started a container (unschedulable, capacity_check: false) is billed nothing,
    whatever the lifecycle annotation of its StatefulSet says."""
    annotated = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {
        "name": "stuck", "namespace": "ws-ml", "uid": "sts-stuck", "labels": C.environment_labels("ml", "stuck", "alice"),
        "annotations": {C.LIFECYCLE_ANNOTATION: json.dumps([C.lifecycle_event("created", gpus=8, at=at(1))])}},
        "spec": {"replicas": 1}}
    cluster = SimCluster(pods=[SimPod("p9", "stuck", at(1), None, None, {C.GPU_RESOURCE: 8})], extra=[annotated])
    _changed, rep, _diff = meter_at(tmp_path, cluster, at(30), invoice_dir=str(tmp_path), invoice_months=["2026-10"])
    assert rep["rows_computed"] == 0 and rep["environments"] == [] and rep["invoices"] == []


def test_scale_outside_the_collection_is_billed(tmp_path):
    """kubectl scale --replicas=1 on a stopped environment: no lifecycle event, the Pod ran, it is billed."""
    stopped = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {
        "name": "dev", "namespace": "ws-ml", "uid": "sts-dev", "labels": C.environment_labels("ml", "dev", "alice"),
        "annotations": {C.LIFECYCLE_ANNOTATION: json.dumps([
            C.lifecycle_event("created", gpus=1, at=at(0)),
            C.lifecycle_event("stopped", gpus=1, at=at(1)),
        ])}},
        "spec": {"replicas": 1}}
    cluster = SimCluster(pods=[SimPod("p1", "dev", at(0), at(0), at(1)), SimPod("p2", "dev", at(5), at(5.25), None)],
                         extra=[stopped])
    meter_at(tmp_path, cluster, at(1))
    _changed, rep, _diff = meter_at(tmp_path, cluster, at(8.5))
    assert rep["environments"][0]["gpu_hours"] == 1.0 + 2.75  # 00:00-01:00, then 05:15-08:00 (08:00-08:30 comes later)


def test_partial_trailing_bucket_is_metered_later_not_frozen(tmp_path):
    cluster = SimCluster(pods=[SimPod("p1", "dev", at(9), at(9), at(16))])
    meter_at(tmp_path, cluster, at(16))  # the Pod is seen ending at 16:00
    meter_at(tmp_path, cluster, at(40), window_end="2026-10-01T10:30:00Z")
    meter_at(tmp_path, cluster, at(40), window_end="2026-10-02T00:00:00Z")
    assert ledger_total(tmp_path, C.GPU_RESOURCE) == 7 * 3600


@pytest.mark.parametrize("buckets", [("hour", "day"), ("day", "hour"), ("day", "day", "hour", "hour")])
def test_remetering_with_another_bucket_does_not_double_bill(tmp_path, buckets):
    cluster = train()
    observe_ends(tmp_path, cluster)
    for bucket in buckets:
        meter_at(tmp_path, cluster, at(72), bucket=bucket)
    assert ledger_total(tmp_path, C.GPU_RESOURCE) == 19 * 3600
    _changed, rep, _diff = meter_at(tmp_path, cluster, at(72), bucket="day", invoice_dir=str(tmp_path),
                                    invoice_months=["2026-10"])
    assert rep["rows_added"] == 0 and rep["invoices"][0]["total"] == "53.08"


def test_recreated_environment_is_two_lives(tmp_path):
    """Deleted at 03:00 and re-created under the same name at 05:00: 2 + 1 hours, the gap is free."""
    cluster = SimCluster(pods=[SimPod("p1", "dev", at(1), at(1), at(3), env_uid="sts-1"),
                               SimPod("p2", "dev", at(5), at(5), at(6), env_uid="sts-2")],
                         pvcs=[SimPvc("v1", "dev", at(1), at(3)), SimPvc("v2", "dev", at(5), at(6))])
    observe_ends(tmp_path, cluster)
    _changed, rep, _diff = meter_at(tmp_path, cluster, at(24))
    assert rep["environments"][0]["gpu_hours"] == 3.0
    assert ledger_total(tmp_path, C.GPU_RESOURCE) == 3 * 3600
    assert ledger_total(tmp_path, "storage") == 3 * 3600 * 100 * 2 ** 30


def test_pod_gone_unseen_is_billed_to_its_last_observation(tmp_path):
    cluster = SimCluster(pods=[SimPod("p1", "dev", at(1), at(1), at(7.5))])
    meter_at(tmp_path, cluster, at(4))
    _changed, rep, _diff = meter_at(tmp_path, cluster, at(10))  # the Pod is gone: it ended between 04:00 and 10:00
    assert rep["environments"][0]["gpu_hours"] == 3.0


class KsmPrometheus:
    """kube-state-metrics as Prometheus returns it: raw samples of kube_pod_status_phase by Pod UID."""

    def __init__(self, running):
        self.running = running  # {uid: (first, last)} instants the Pod was scraped Running
        self.asked = []

    def samples(self, selector, seconds, when):
        self.asked.append((selector, seconds, when))
        out = []
        for uid, (first, last) in sorted(self.running.items()):
            if 'uid=~"' in selector and uid in selector.split('uid=~"')[1].split('"')[0].split("|"):
                points = [(ts, 1.0) for ts in range(int(first.timestamp()), int(last.timestamp()) + 1, 30)
                          if when.timestamp() - seconds <= ts <= when.timestamp()]
                out.append(({"__name__": "kube_pod_status_phase", "phase": "Running", "uid": uid}, points))
        return out


def test_kube_state_metrics_narrow_the_end_of_a_pod_gone_unseen(tmp_path):
    cluster = SimCluster(pods=[SimPod("p1", "dev", at(1), at(1), at(7.5)), SimPod("p2", "dev", at(2), at(2), None)])
    prom = KsmPrometheus({"p1": (at(1), at(7.5) - datetime.timedelta(seconds=20)), "p2": (at(2), at(10))})
    meter_at(tmp_path, cluster, at(4), prometheus=prom)
    assert prom.asked == []  # nothing vanished: no query
    meter_at(tmp_path, cluster, at(10), prometheus=prom)
    (selector, seconds, _when), = prom.asked
    assert selector == 'kube_pod_status_phase{phase="Running", uid=~"p1"}' and seconds == 6 * 3600 + 60
    # the last Running sample of p1 was scraped at 07:29:30: billed to there, not to the 04:00 observation
    assert ledger_total(tmp_path, C.GPU_RESOURCE) == (6 * 3600 + 29 * 60 + 30) + 8 * 3600


def test_invoice_lines_add_up_to_the_total():
    """Three lines of 0.004 each: 0.00 + 0.00 + 0.00 is 0.00, not 0.01 or 0.02."""
    rows = [{"environment": env, "owner": "alice", "item": "cpu", "unit": "core-hour", "divisor": 1000, "rate": "0.02",
             "quantity": 200, "seconds": 3600, "hour_start": "2026-10-01T00:00:00Z", "currency": "USD"}
            for env in ("a", "b", "c")]
    rows[0]["quantity"] = 249
    built = invoice.build("ml", "2026-10", rows)
    assert [ln["amount"] for ln in built["lines"]] == ["0.00", "0.00", "0.00"]
    assert built["total"] == "0.00"
    # exactly half a cent each (the case: half-to-even showed 0.00 three times and a TOTAL of 0.02)
    for row in rows:
        row["quantity"] = 250
    built = invoice.build("ml", "2026-10", rows)
    assert [ln["amount"] for ln in built["lines"]] == ["0.01", "0.01", "0.01"] and built["total"] == "0.03"
    for line in built["lines"]:  # every amount is its printed quantity x printed rate, rounded half up
        expected = (decimal.Decimal(line["quantity"]) * decimal.Decimal(line["rate"])).quantize(
            decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
        assert decimal.Decimal(line["amount"]) == expected


def test_invoice_files_are_checkable(tmp_path):
    cluster = train()
    observe_ends(tmp_path, cluster)
    meter_at(tmp_path, cluster, at(745), invoice_dir=str(tmp_path), invoice_months=["2026-10"])
    data = json.loads((tmp_path / "ml-2026-10.json").read_text())
    assert data["total"] == "53.08" and data["currency"] == "USD"
    assert [(ln["item"], ln["quantity"], ln["unit"], ln["rate"], ln["amount"]) for ln in data["lines"]] == [
        ("cpu", "84.000000", "core-hour", "0.02", "1.68"),
        ("gpu:NVIDIA-A100-SXM4-80GB", "19.000000", "GPU-hour", "2.5", "47.50"),
        ("memory", "672.000000", "GiB-hour", "0.005", "3.36"),
        ("storage", "2700.000000", "GiB-hour", "0.0002", "0.54")]
    assert [d["date"] for d in data["daily_gpu_hours"]] == ["2026-10-01", "2026-10-02"]
    assert data["daily_gpu_hours"][0]["by_environment"] == {"train": "17.000000"}
    rows = list(csv.reader(io.StringIO((tmp_path / "ml-2026-10.csv").read_text())))
    assert rows[0] == ["workspace", "month", "environment", "owner", "item", "quantity", "unit", "rate", "amount", "currency"]
    assert sum(decimal.Decimal(r[8]) for r in rows[1:-1]) == decimal.Decimal(rows[-1][8]) == decimal.Decimal("53.08")
    assert rows[-1][2] == "TOTAL"
    page = (tmp_path / "ml-2026-10.html").read_text()
    assert "Workspace <strong>ml</strong>, 2026-10" in page and "<td class=n>53.08</td>" in page
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_reissuing_a_period_is_byte_identical(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    cluster = train()
    observe_ends(first, cluster)
    meter_at(first, cluster, at(745), invoice_dir=str(first), invoice_months=["2026-10"])
    meter_at(first, cluster, at(745), bucket="day", invoice_dir=str(second), invoice_months=["2026-10"])
    for ext in ("json", "csv", "html"):
        assert (first / ("ml-2026-10." + ext)).read_bytes() == (second / ("ml-2026-10." + ext)).read_bytes()


def test_reissuing_in_another_process_is_byte_identical(tmp_path):
    """Another process (another hash seed, fresh matplotlib) renders the same bytes from the same ledger."""
    cluster = train()
    observe_ends(tmp_path, cluster)
    meter_at(tmp_path, cluster, at(745), invoice_dir=str(tmp_path), invoice_months=["2026-10"])
    again = tmp_path / "again"
    again.mkdir()
    code = ("import sys; sys.path[:0] = %r; from ansible_collections.opsforge.infra.plugins.module_utils._metering import metering; "
            "metering.run_report(None, %r, do_meter=False, invoice_dir=%r, invoice_months=['2026-10'])") % (
                [p for p in sys.path if p.endswith("collections")], str(tmp_path / "ledger.sqlite"), str(again))
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, PYTHONHASHSEED="12345"), timeout=120)
    for ext in ("json", "csv", "html"):
        assert (tmp_path / ("ml-2026-10." + ext)).read_bytes() == (again / ("ml-2026-10." + ext)).read_bytes()


def test_rerunning_adds_nothing_and_rewrites_nothing(tmp_path):
    cluster = train()
    observe_ends(tmp_path, cluster)
    meter_at(tmp_path, cluster, at(745.5), invoice_dir=str(tmp_path), invoice_months=["2026-10"])
    mtimes = {p: os.stat(p).st_mtime_ns for p in tmp_path.glob("*-2026-10.*")}
    count = ledger_total(tmp_path)
    changed, rep, diff = meter_at(tmp_path, cluster, at(745.9), invoice_dir=str(tmp_path), invoice_months=["2026-10"])
    assert changed is False and rep["rows_added"] == 0
    assert {p: os.stat(p).st_mtime_ns for p in tmp_path.glob("*-2026-10.*")} == mtimes
    assert diff["before"]["ledger_rows"] == diff["after"]["ledger_rows"]
    changed, rep, _diff = meter_at(tmp_path, cluster, at(745.9), window_start="2026-10-01T10:00:00Z")
    assert changed is False and rep["rows_added"] == 0 and ledger_total(tmp_path) == count


def test_check_mode_predicts_and_writes_nothing(tmp_path):
    cluster = SimCluster(pods=[SimPod("p1", "dev", at(1), at(1), None)])
    changed, rep, _diff = meter_at(tmp_path, cluster, at(5.5), check_mode=True, invoice_dir=str(tmp_path),
                                   invoice_months=["2026-10"])
    assert changed is True and rep["rows_added"] == 4 * 3  # 4 hours x GPU, CPU, memory
    assert rep["invoices"][0]["gpu_hours"] == "4.000000"
    assert os.listdir(tmp_path) == []
    _changed, real, _diff = meter_at(tmp_path, cluster, at(5.5))
    assert real["rows_added"] == 12
    changed, again, _diff = meter_at(tmp_path, cluster, at(5.5), check_mode=True)
    assert changed is False and again["rows_added"] == 0


def test_missing_price_fails_before_any_write(tmp_path):
    cluster = SimCluster(pods=[SimPod("p1", "dev", at(1), at(1), None, node="gpu-t4")])
    card = dict(RATES, gpu={"NVIDIA-A100-SXM4-80GB": 2.5})
    with pytest.raises(K8sError, match=r"rate_card.gpu has no price for GPU model 'NVIDIA-T4' \(and no default\)"):
        meter_at(tmp_path, cluster, at(5), rate_card=card)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kwargs, error", [
    ({"rate_card": dict(RATES, cpu=-1)}, "rate_card.cpu: price -1 must be zero or more"),
    ({"rate_card": dict(RATES, gpus={})}, "rate_card has unknown keys: gpus"),
    ({"window_start": "yesterday"}, "window_start 'yesterday' is not an RFC 3339 time"),
    ({"window_start": "2026-10-05", "window_end": "2026-10-04"}, "is not after window_start"),
    ({"invoice_months": ["2026/10"], "invoice_dir": "."}, "invoice month '2026/10' is not YYYY-MM"),
    ({"invoice_dir": "/nonexistent/dir"}, "invoice_dir /nonexistent/dir does not exist"),
])
def test_bad_input_is_refused_before_any_write(tmp_path, kwargs, error):
    with pytest.raises(K8sError, match=re.escape(error)):
        meter_at(tmp_path, train(), at(744), **kwargs)
    assert not (tmp_path / "ledger.sqlite").exists()


# -------------------------------------------------------------------------------- module


def test_module_meters_then_reports_no_change(tmp_path, monkeypatch):
    cluster = train()
    observe_ends(tmp_path, cluster)
    cluster.now = at(745)
    monkeypatch.setattr(gpu_usage_report, "get_api", lambda module, api_client=None: cluster)
    results = []

    def exit_json(self, **kwargs):
        results.append(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    args = {"ledger": str(tmp_path / "ledger.sqlite"), "rate_card": RATES, "window_start": "2026-10-01",
            "window_end": "2026-11-01", "invoice_dir": str(tmp_path), "invoice_months": ["2026-10"]}
    for _run in range(2):
        with patch_module_args(args), pytest.raises(SystemExit):
            gpu_usage_report.main(now=at(745))
    first, second = results
    assert first["changed"] is True and first["usage_report"]["invoices"][0]["total"] == "53.08"
    assert second["changed"] is False and second["usage_report"]["rows_added"] == 0


def test_module_passes_prometheus_and_hides_its_token(tmp_path, monkeypatch):
    cluster = SimCluster(pods=[SimPod("p1", "dev", at(1), at(1), at(7.5))])
    meter_at(tmp_path, cluster, at(4))
    cluster.now = at(10)
    made = []

    class Recorder(KsmPrometheus):
        def __init__(self, url, token=None, validate_certs=True):
            super().__init__({"p1": (at(1), at(6))})
            made.append((url, token, validate_certs))

    monkeypatch.setattr(gpu_usage_report, "get_api", lambda module, api_client=None: cluster)
    monkeypatch.setattr(gpu_usage_report.idle, "Prometheus", Recorder)
    out = {}

    def exit_json(self, **kwargs):
        out.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    args = {"ledger": str(tmp_path / "ledger.sqlite"), "rate_card": RATES, "window_start": "2026-10-01",
            "prometheus_url": "https://prom.example:9090", "prometheus_token": "T0KEN-SECRET"}
    with patch_module_args(args), pytest.raises(SystemExit):
        gpu_usage_report.main(now=at(10))
    assert made == [("https://prom.example:9090", "T0KEN-SECRET", True)]
    assert out["usage_report"]["environments"][0]["gpu_hours"] == 5.0  # to the last Running sample at 06:00
    assert "T0KEN-SECRET" not in json.dumps(out)


def test_module_without_metering_never_connects_and_reports_from_the_ledger(tmp_path, monkeypatch):
    cluster = train()
    observe_ends(tmp_path, cluster)
    cluster.now = at(745)
    meter_at(tmp_path, cluster, at(745), window_start="2026-10-01", window_end="2026-11-01")

    def no_api(module, api_client=None):
        raise AssertionError("meter=false must not build an API client")

    monkeypatch.setattr(gpu_usage_report, "get_api", no_api)
    out = {}

    def exit_json(self, **kwargs):
        out.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    args = {"ledger": str(tmp_path / "ledger.sqlite"), "meter": False, "invoice_dir": str(tmp_path),
            "invoice_months": ["2026-10"], "_ansible_check_mode": True}
    with patch_module_args(args), pytest.raises(SystemExit):
        gpu_usage_report.main(now=at(746))
    assert out["usage_report"]["rows_computed"] == 0 and out["usage_report"]["window"] is None
    assert out["usage_report"]["invoices"][0]["total"] == "53.08"
    assert out["diff"]["before"]["ledger_rows"] == out["diff"]["after"]["ledger_rows"] > 0
