# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Metering with a real Prometheus (Debian ``prometheus``) holding kube-state-metrics samples:
a Pod that disappeared between two runs is billed up to its last ``Running`` sample.

Prometheus listens on 127.0.0.1:20596; its TSDB is built with ``promtool tsdb
create-blocks-from openmetrics`` from ``kube_pod_status_phase`` series as kube-state-metrics
exports them (one per Pod and phase, with the Pod's UID), one sample every 30 s.
"""

from __future__ import annotations

import datetime
import shutil
import sqlite3
import sys
import uuid

import pytest

from lab import prometheus_with_samples

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import idle
from ansible_collections.opsforge.infra.plugins.module_utils._metering import metering

sys.path.insert(0, __file__.rsplit("/integration/", 1)[0] + "/unit/plugins/modules")
from gpu_sim import SimCluster, SimPod  # noqa: E402  pylint: disable=wrong-import-position

PORT = 20596
UTC = datetime.timezone.utc
NOW = datetime.datetime.now(UTC).replace(microsecond=0)
STEP = 30
GONE = str(uuid.UUID(int=0x1717))
STAYS = str(uuid.UUID(int=0x1718))
STARTED = NOW - datetime.timedelta(hours=3)
LAST_RUNNING = int(NOW.timestamp()) - 100 * 60  # the last scrape that saw GONE Running
RATES = {"currency": "USD", "gpu": {"default": 2}, "cpu": 0, "memory": 0}

pytestmark = pytest.mark.skipif(not (shutil.which("prometheus") and shutil.which("promtool")),
                                reason="Debian package prometheus (prometheus + promtool) is not installed; "
                                       "lab/install-deps.sh installs it")


def openmetrics():
    lines = ["# HELP kube_pod_status_phase The pods current phase.", "# TYPE kube_pod_status_phase gauge"]
    start = int(STARTED.timestamp())
    for uid, pod, last in ((GONE, "gone-0", LAST_RUNNING), (STAYS, "stays-0", int(NOW.timestamp()) - 15)):
        for phase in ("Pending", "Running"):
            labels = 'namespace="ws-ml",pod="%s",uid="%s",phase="%s"' % (pod, uid, phase)
            for ts in range(start, last + 1, STEP):
                lines.append("kube_pod_status_phase{%s} %d %d" % (labels, phase == "Running", ts))
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory):
    with prometheus_with_samples(tmp_path_factory.mktemp("prometheus-ksm"), openmetrics(), PORT) as url:
        yield url


def gpu_seconds(path):
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT life_uid, SUM(quantity * seconds) FROM pieces WHERE resource = ? GROUP BY life_uid",
                                 (C.GPU_RESOURCE,)).fetchall())


def test_raw_samples_by_uid(prometheus_url):
    prom = idle.Prometheus(prometheus_url)
    series = prom.samples(metering.KSM_RUNNING % GONE, 3 * 3600, NOW)
    ((labels, points),) = series
    assert labels["uid"] == GONE and labels["phase"] == "Running"
    assert max(t for t, v in points if v == 1) == LAST_RUNNING


def test_pod_gone_between_runs_is_billed_to_its_last_running_sample(prometheus_url, tmp_path):
    cluster = SimCluster(pods=[SimPod(GONE, "gone", STARTED, STARTED, datetime.datetime.fromtimestamp(LAST_RUNNING + 20, UTC)),
                               SimPod(STAYS, "stays", STARTED, STARTED, None)])
    path = str(tmp_path / "ledger.sqlite")
    prom = idle.Prometheus(prometheus_url)
    first = NOW - datetime.timedelta(minutes=150)  # both Pods seen running
    cluster.now = first
    metering.run_report(cluster, path, rate_card=RATES, now=first, prometheus=prom)
    assert prom.queries == 0
    cluster.now = NOW  # "gone" was deleted in between, unseen
    _changed, report, _diff = metering.run_report(cluster, path, rate_card=RATES, now=NOW, prometheus=prom)
    assert prom.queries == 1
    billed = gpu_seconds(path)
    assert billed[GONE] == LAST_RUNNING - int(STARTED.timestamp())  # not 30 minutes (the first run), not 3 hours
    gone = next(e for e in report["environments"] if e["environment"] == "gone")
    assert gone["gpu_hours"] == pytest.approx((LAST_RUNNING - STARTED.timestamp()) / 3600, abs=1e-6)
