# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_usage_report: a known lifecycle gives known GPU-hours and cost; re-running changes nothing."""

from __future__ import annotations

import base64
import csv
import datetime
import io
import json
import os
import re
import sqlite3

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import metering
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.modules import gpu_usage_report

UTC = datetime.timezone.utc
RATES = {
    "currency": "USD",
    "gpu": {"NVIDIA-A100-SXM4-80GB": 2.5, "default": 1.8},
    "mig": {"1g.10gb": 0.4},
    "shared": 0.3,
    "cpu": 0.02,
    "memory": 0.005,
    "storage": 0.0002,
}


def at(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)


def sts(workspace, name, events, uid=None):
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {
            "name": name, "namespace": "ws-" + workspace, "uid": uid or "uid-" + name,
            "labels": C.environment_labels(workspace, name, "alice"),
            "annotations": {C.LIFECYCLE_ANNOTATION: json.dumps(events)},
        },
        "spec": {"replicas": 1},
    }


A100 = dict(gpu_model="NVIDIA-A100-SXM4-80GB", resource_key=C.GPU_RESOURCE, cpu="8", memory="64Gi", storage="100Gi")
ENV_A = sts("ml", "train", [
    C.lifecycle_event("created", gpus=2, at="2026-10-01T09:00:00Z", **A100),
    C.lifecycle_event("stopped", gpus=2, at="2026-10-01T17:30:00Z", **A100),
    C.lifecycle_event("started", gpus=1, at="2026-10-02T10:00:00Z", **A100),
    C.lifecycle_event("deleted", gpus=1, at="2026-10-02T12:00:00Z", **A100),
])
ENV_B = sts("vision", "mig-dev", [
    C.lifecycle_event("created", gpus=1, gpu_model="", resource_key="nvidia.com/mig-1g.10gb", cpu="500m", memory="4Gi",
                      at="2026-10-31T22:00:00Z"),
])


class FakeApi:
    def __init__(self, items):
        self.items = items
        self.calls = []

    def list(self, kind, namespace=None, label_selector=None, field_selector=None):
        self.calls.append((kind, namespace, label_selector))
        return [i for i in self.items if i["kind"] == kind]


def report(tmp_path, items, now, check_mode=False, **kwargs):
    api = FakeApi(items)
    kwargs.setdefault("window_start", "2026-10-01")
    kwargs.setdefault("invoice_dir", str(tmp_path))
    kwargs.setdefault("invoice_months", ["2026-10"])
    result = metering.run_report(api, str(tmp_path / "ledger.sqlite"), rate_card=RATES, check_mode=check_mode, now=now, **kwargs)
    return api, result


def test_known_lifecycle_gives_known_hours_and_cost(tmp_path):
    api, (changed, rep, diff) = report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T01:30"))
    assert api.calls == [("StatefulSet", None, "app.kubernetes.io/managed-by=opsforge"),
                         ("ConfigMap", None, "app.kubernetes.io/managed-by=opsforge")]
    assert changed is True
    assert rep["window"] == {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T01:00:00Z"}
    envs = {e["environment"]: e for e in rep["environments"]}
    # train: 8.5 h x 2 GPUs + 2 h x 1 GPU = 19 GPU-hours at 2.50; 10.5 h x 8 cores at 0.02;
    # 10.5 h x 64 GiB at 0.005; it existed 27 h with 100 GiB of home at 0.0002
    assert envs["train"]["gpu_hours"] == 19.0
    assert envs["train"]["cost"] == pytest.approx(19 * 2.5 + 84 * 0.02 + 672 * 0.005 + 2700 * 0.0002)
    # mig-dev: 22:00 -> 01:00 (last ended hour) = 3 h of one 1g.10gb slice
    assert envs["mig-dev"]["gpu_hours"] == 3.0
    assert rep["rows_computed"] == rep["rows_added"] == 11 + 27 + 3
    assert diff == {"before": {"ledger_rows": 0, "invoice_files": []},
                    "after": {"ledger_rows": 41, "invoice_files": sorted(
                        str(tmp_path / ("%s-2026-10.%s" % (ws, ext))) for ws in ("ml", "vision") for ext in ("csv", "html", "json"))}}
    invoices = {i["workspace"]: i for i in rep["invoices"]}
    assert invoices["ml"]["total"] == "53.08"
    assert invoices["ml"]["gpu_hours"] == "19.000"
    # October holds only the two October hours of mig-dev: 2 x 0.40 + 1 core-hour x 0.02 + 8 GiB-hours x 0.005
    assert invoices["vision"]["total"] == "0.86"


def archive(namespace, lifecycles):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": C.LIFECYCLE_ARCHIVE_CONFIGMAP, "namespace": namespace,
                         "labels": {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE}},
            "data": {name: json.dumps(events) for name, events in lifecycles.items()}}


def test_deleted_environments_are_metered_from_the_archive_once(tmp_path):
    gone = [C.lifecycle_event("created", gpus=1, gpu_model="NVIDIA-T4", cpu="2", memory="8Gi", at="2026-10-05T00:00:00Z"),
            C.lifecycle_event("deleted", gpus=1, gpu_model="NVIDIA-T4", cpu="2", memory="8Gi", at="2026-10-05T06:00:00Z")]
    train = json.loads(ENV_A["metadata"]["annotations"][C.LIFECYCLE_ANNOTATION])
    # "train" is both live and archived (say, archived by a delete that was then re-run): counted once
    cm = archive("ws-ml", {"gone": gone, "train": train})
    _api, (_changed, rep, _diff) = report(tmp_path, [ENV_A, cm], now=at("2026-11-01T00:30"))
    envs = {e["environment"]: e for e in rep["environments"]}
    assert envs["gone"]["gpu_hours"] == 6.0
    # default GPU price 1.80 x 6 + 12 core-hours x 0.02 + 48 GiB-hours x 0.005
    assert envs["gone"]["cost"] == pytest.approx(6 * 1.8 + 12 * 0.02 + 48 * 0.005)
    assert envs["train"]["gpu_hours"] == 19.0
    assert {i["workspace"]: i["total"] for i in rep["invoices"]} == {"ml": "64.36"}  # 53.08 + 11.28


def test_invoice_files_are_readable(tmp_path):
    report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T01:30"))
    data = json.loads((tmp_path / "ml-2026-10.json").read_text())
    assert data["totals"]["cost"] == "53.08" and data["currency"] == "USD"
    assert [(ln["item"], ln["gpu_hours"]) for ln in data["lines"]] == [("gpu:NVIDIA-A100-SXM4-80GB", "19.000"), ("storage", "0.000")]
    assert [d["date"] for d in data["daily_gpu_hours"]] == ["2026-10-01", "2026-10-02"]
    assert data["daily_gpu_hours"][0]["by_environment"] == {"train": "17.000"}
    rows = list(csv.reader(io.StringIO((tmp_path / "ml-2026-10.csv").read_text())))
    assert rows[0][:5] == ["workspace", "month", "environment", "owner", "item"]
    assert rows[-1][2] == "TOTAL" and rows[-1][-2:] == ["53.08", "USD"]
    page = (tmp_path / "ml-2026-10.html").read_text()
    assert "Workspace <strong>ml</strong>, 2026-10" in page
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_rerunning_adds_nothing_and_rewrites_nothing(tmp_path):
    report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T01:30"))
    mtimes = {p: os.stat(p).st_mtime_ns for p in tmp_path.glob("*-2026-10.*")}
    _api, (changed, rep, diff) = report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T01:59"))
    assert changed is False and rep["rows_added"] == 0
    assert all(not i["changed_files"] for i in rep["invoices"])
    assert {p: os.stat(p).st_mtime_ns for p in tmp_path.glob("*-2026-10.*")} == mtimes
    assert diff == {"before": {"ledger_rows": 41, "invoice_files": []}, "after": {"ledger_rows": 41, "invoice_files": []}}
    # an overlapping, shifted window also adds nothing twice
    _api, (changed, rep, _diff) = report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T01:59"), window_start="2026-10-01T10:00:00Z")
    assert changed is False and rep["rows_added"] == 0
    with sqlite3.connect(str(tmp_path / "ledger.sqlite")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0] == 41


def test_later_run_adds_only_the_new_hours(tmp_path):
    report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T01:30"))
    _api, (changed, rep, _diff) = report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T03:10"))
    assert changed is True and rep["rows_added"] == 2  # mig-dev 01:00-02:00 and 02:00-03:00
    assert {i["workspace"]: i["changed_files"] for i in rep["invoices"]} == {"ml": [], "vision": []}  # October is closed


def test_check_mode_predicts_and_writes_nothing(tmp_path):
    _api, (changed, rep, _diff) = report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T01:30"), check_mode=True)
    assert changed is True and rep["rows_added"] == 41
    assert {i["workspace"]: i["total"] for i in rep["invoices"]} == {"ml": "53.08", "vision": "0.86"}
    assert sorted(os.listdir(tmp_path)) == []
    _api, (_changed, real, _diff) = report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T01:30"))
    assert real["rows_added"] == 41
    _api, (changed, again, _diff) = report(tmp_path, [ENV_A, ENV_B], now=at("2026-11-01T01:30"), check_mode=True)
    assert changed is False and again["rows_added"] == 0


def test_day_buckets_give_the_same_totals(tmp_path):
    _api, (_changed, rep, _diff) = report(tmp_path, [ENV_A], now=at("2026-11-01T01:30"), bucket="day")
    assert rep["environments"][0]["gpu_hours"] == 19.0
    assert rep["invoices"][0]["total"] == "53.08"
    assert rep["rows_added"] == 2 + 2  # two compute days, two storage days


def test_missing_price_fails_before_any_write(tmp_path):
    h100 = sts("ml", "h100", [C.lifecycle_event("created", gpus=8, gpu_model="NVIDIA-H100", at="2026-10-03T00:00:00Z")])
    card = dict(RATES, gpu={"NVIDIA-A100-SXM4-80GB": 2.5})
    with pytest.raises(K8sError, match=r"rate_card.gpu has no price for GPU model 'NVIDIA-H100' \(and no default\)"):
        metering.run_report(FakeApi([ENV_A, h100]), str(tmp_path / "l.sqlite"), rate_card=card, window_start="2026-10-01",
                            now=at("2026-11-01T00:00"))
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
    args = dict(rate_card=RATES, window_start="2026-10-01", now=at("2026-11-01T00:00"))
    args.update(kwargs)
    with pytest.raises(K8sError, match=re.escape(error)):
        metering.run_report(FakeApi([ENV_A]), str(tmp_path / "l.sqlite"), **args)
    assert not (tmp_path / "l.sqlite").exists()


def test_segments_restart_and_open_interval():
    events = [
        {"event": "created", "at": "2026-10-01T00:00:00Z", "gpus": 1},
        {"event": "restarted", "at": "2026-10-01T01:00:00Z", "gpus": 4},
        {"event": "stopped", "at": "2026-10-01T02:00:00Z"},
        {"event": "started", "at": "2026-10-01T03:00:00Z", "gpus": 2},
    ]
    running, existence = metering.segments(events, at("2026-10-01T05:00"))
    assert [(s.hour, e.hour, ev["gpus"]) for s, e, ev in running] == [(0, 1, 1), (1, 2, 4), (3, 5, 2)]
    assert existence == (at("2026-10-01T00:00"), at("2026-10-01T05:00"))


# -------------------------------------------------------------------------------- module


def test_module_meters_then_reports_no_change(tmp_path, monkeypatch):
    api = FakeApi([ENV_A])
    monkeypatch.setattr(gpu_usage_report, "get_api", lambda module, api_client=None: api)
    results = []

    def exit_json(self, **kwargs):
        results.append(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    args = {"ledger": str(tmp_path / "ledger.sqlite"), "rate_card": RATES, "window_start": "2026-10-01",
            "window_end": "2026-11-01", "invoice_dir": str(tmp_path), "invoice_months": ["2026-10"]}
    for _run in range(2):
        with patch_module_args(args), pytest.raises(SystemExit):
            gpu_usage_report.main()
    first, second = results
    assert first["changed"] is True and first["usage_report"]["invoices"][0]["total"] == "53.08"
    assert second["changed"] is False and second["usage_report"]["rows_added"] == 0
