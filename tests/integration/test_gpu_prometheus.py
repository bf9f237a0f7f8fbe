# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Idle detection against a real Prometheus (Debian ``prometheus``), its TSDB built with
``promtool tsdb create-blocks-from openmetrics`` from DCGM-exporter-shaped samples.

Prometheus listens on 127.0.0.1:20590. The samples cover the three hours before the test
starts, one every 30 s, with the labels dcgm-exporter sets in Kubernetes mode: device
utilisation for whole and time-sliced GPUs (every pod sharing a device reports the device),
and, for MIG instances, graphics-engine activity per GPU instance (``GPU_I_ID``) next to the
0 % device utilisation some exporter versions report for MIG.
"""

from __future__ import annotations

import datetime
import json
import shutil

import pytest

from lab import prometheus_with_samples
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from kmock_cluster import KmockCluster

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import reaper
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.modules import gpu_reaper

PORT = 20590
UTC = datetime.timezone.utc
NOW = datetime.datetime.now(UTC).replace(microsecond=0)
STEP = 30
SPAN = 3 * 3600
DEFAULTS = {"enabled": True, "threshold": 5.0, "idle_minutes": 60, "grace_minutes": 30, "min_runtime_minutes": 60}

pytestmark = pytest.mark.skipif(not (shutil.which("prometheus") and shutil.which("promtool")),
                                reason="Debian package prometheus (prometheus + promtool) is not installed; "
                                       "lab/install-deps.sh installs it")


def utilisation(pod, gpu, age):
    """The utilisation each synthetic GPU reports ``age`` seconds before NOW."""
    if pod == "idle-0":
        return 1.0 + (age // STEP) % 2  # 1-2 %
    if pod == "busy-0":
        return 70.0 + (age // STEP) % 20
    if pod == "spiky-0":
        return 60.0 if 1790 <= age < 1830 else 0.0  # one burst half an hour ago
    if pod == "half-0":
        return 0.0 if gpu == "0" else 40.0  # two GPUs, one working
    if pod == "cooling-0":
        return 80.0 if age > 40 * 60 else 0.0  # busy until 40 minutes ago
    if pod in ("other-0", "mig-busy-0", "mig-idle-0"):
        return 0.0  # MIG pods: the 0 some exporter versions report, which must not count as idle
    if pod in ("share-a-0", "share-b-0"):
        return 65.0  # one time-sliced device, one of its two sharers busy
    if pod in ("share-c-0", "share-d-0"):
        return 1.0  # another device, both sharers idle
    raise AssertionError(pod)


SERIES = [("ws-ml", "idle-0", "0"), ("ws-ml", "busy-0", "0"), ("ws-ml", "spiky-0", "0"), ("ws-ml", "half-0", "0"),
          ("ws-ml", "half-0", "1"), ("ws-cv", "cooling-0", "0"), ("kube-system", "other-0", "0"),
          ("ws-mig", "mig-busy-0", "2"), ("ws-mig", "mig-idle-0", "2"),
          ("ws-ts", "share-a-0", "3"), ("ws-ts", "share-b-0", "3"), ("ws-ts", "share-c-0", "4"), ("ws-ts", "share-d-0", "4")]
MIG_SERIES = [("ws-mig", "mig-busy-0", "2", "1"), ("ws-mig", "mig-idle-0", "2", "2")]


def engine_activity(pod, age):
    if pod == "mig-busy-0":
        return 0.55 + 0.01 * ((age // STEP) % 5)
    return 0.001  # mig-idle-0


def openmetrics():
    lines = ["# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).", "# TYPE DCGM_FI_DEV_GPU_UTIL gauge"]
    end = int(NOW.timestamp()) - 15
    for namespace, pod, gpu in SERIES:
        labels = ('gpu="%s",UUID="GPU-%s-%s",device="nvidia%s",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-1",'
                  'container="main",namespace="%s",pod="%s"') % (gpu, gpu, gpu, gpu, namespace, pod)
        for ts in range(end - SPAN, end + 1, STEP):
            lines.append("DCGM_FI_DEV_GPU_UTIL{%s} %s %d" % (labels, utilisation(pod, gpu, end - ts), ts))
    lines += ["# HELP DCGM_FI_PROF_GR_ENGINE_ACTIVE Ratio of time the graphics engine is active.",
              "# TYPE DCGM_FI_PROF_GR_ENGINE_ACTIVE gauge"]
    for namespace, pod, gpu, instance in MIG_SERIES:
        labels = ('gpu="%s",UUID="GPU-%s",device="nvidia%s",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-1",'
                  'GPU_I_PROFILE="1g.10gb",GPU_I_ID="%s",container="main",namespace="%s",pod="%s"') % (
                      gpu, gpu, gpu, instance, namespace, pod)
        for ts in range(end - SPAN, end + 1, STEP):
            lines.append("DCGM_FI_PROF_GR_ENGINE_ACTIVE{%s} %s %d" % (labels, engine_activity(pod, end - ts), ts))
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory):
    with prometheus_with_samples(tmp_path_factory.mktemp("prometheus"), openmetrics(), PORT) as url:
        yield url


def sts(ws, name, started_minutes_ago, policy=None, resource=C.GPU_RESOURCE):
    notes = {C.LIFECYCLE_ANNOTATION: json.dumps([C.lifecycle_event(
        "created", gpus=1, at=NOW - datetime.timedelta(minutes=started_minutes_ago))])}
    if policy:
        notes[C.IDLE_POLICY_ANNOTATION] = json.dumps(policy)
    template = {"spec": {"containers": [{"name": "main", "image": "x:1", "resources": {"limits": {resource: "1"}}}]}}
    return {"kind": "StatefulSet", "metadata": {"name": name, "namespace": "ws-" + ws, "annotations": notes,
                                                "labels": C.environment_labels(ws, name, "bob")},
            "spec": {"replicas": 1, "template": template}}


def snapshot(*statefulsets):
    return {"statefulsets": list(statefulsets), "services": [], "secrets": [], "configmaps": [], "pvcs": []}


def test_query_returns_the_max_per_pod_over_the_window(prometheus_url):
    prom = reaper.Prometheus(prometheus_url)
    series = prom.query(reaper.utilization_query("DCGM_FI_DEV_GPU_UTIL", 60), NOW)
    values = {(labels["namespace"], labels["pod"]): value for labels, value in series}
    assert values[("ws-ml", "idle-0")] == 2.0
    assert values[("ws-ml", "busy-0")] == 89.0
    assert values[("ws-ml", "spiky-0")] == 60.0
    assert values[("ws-ml", "half-0")] == 40.0  # the busiest of its two GPUs
    assert values[("ws-cv", "cooling-0")] == 80.0
    assert len(values) == 12  # one series per pod, GPUs folded


def test_idle_detection_end_to_end(prometheus_url):
    prom = reaper.Prometheus(prometheus_url)
    snap = snapshot(sts("ml", "idle", 180), sts("ml", "busy", 180), sts("ml", "spiky", 180), sts("ml", "half", 180),
                    sts("cv", "cooling", 180, policy={"idle_minutes": 30}), sts("ml", "fresh-idle", 20))
    util = reaper.query_utilization(prom, snap, DEFAULTS, NOW)
    assert sorted(util) == [("device", 30), ("device", 60)]  # one query per distinct window
    assert prom.queries == 2
    assert util[("device", 30)][("ws-cv", "cooling-0")] == 0.0
    actions, report = reaper.plan(snap, util, NOW, DEFAULTS)
    idle = sorted((a["namespace"], a["name"]) for a in actions if a["reason"] == "idle")
    # idle: under 5 % for 60 min; cooling with a 30-minute policy; not spiky/half/busy; fresh-idle too young
    assert idle == [("ws-cv", "cooling"), ("ws-ml", "idle")]
    assert report["unknown_utilization"] == []
    warn = next(a for a in actions if a["name"] == "idle")
    assert warn["gpu_utilization_max"] == 2.0 and warn["action"] == "warn"


def test_threshold_is_respected(prometheus_url):
    prom = reaper.Prometheus(prometheus_url)
    snap = snapshot(sts("ml", "idle", 180), sts("ml", "half", 180))
    util = reaper.query_utilization(prom, snap, DEFAULTS, NOW)
    actions, _report = reaper.plan(snap, util, NOW, dict(DEFAULTS, threshold=41))
    assert sorted(a["name"] for a in actions) == ["half", "idle"]
    actions, _report = reaper.plan(snap, util, NOW, dict(DEFAULTS, threshold=2))
    assert actions == []  # 2 % is not below 2 %


MIG = "nvidia.com/mig-1g.10gb"


def test_mig_idle_signal_is_engine_activity_per_gpu_instance(prometheus_url):
    prom = reaper.Prometheus(prometheus_url)
    snap = snapshot(sts("mig", "mig-busy", 180, resource=MIG), sts("mig", "mig-idle", 180, resource=MIG),
                    sts("mig", "mig-nodata", 180, resource=MIG))
    util = reaper.query_utilization(prom, snap, DEFAULTS, NOW)
    assert prom.queries == 1
    assert util[("mig", 60)] == {("ws-mig", "mig-busy-0"): pytest.approx(59.0), ("ws-mig", "mig-idle-0"): pytest.approx(0.1)}
    actions, report = reaper.plan(snap, util, NOW, DEFAULTS)
    # the device utilisation of both MIG pods is 0: read as idle it would stop mig-busy
    assert [(a["name"], a["action"], a["signal"]) for a in actions] == [("mig-idle", "warn", "mig")]
    assert report["unknown_utilization"] == ["ws-mig/mig-nodata"]


def test_time_sliced_device_is_idle_only_when_every_sharer_is(prometheus_url):
    prom = reaper.Prometheus(prometheus_url)
    snap = snapshot(*[sts("ts", name, 180, resource=C.GPU_SHARED_RESOURCE)
                      for name in ("share-a", "share-b", "share-c", "share-d", "share-nodata")])
    util = reaper.query_utilization(prom, snap, DEFAULTS, NOW)
    actions, report = reaper.plan(snap, util, NOW, DEFAULTS)
    assert sorted(a["name"] for a in actions) == ["share-c", "share-d"]
    assert report["unknown_utilization"] == ["ws-ts/share-nodata"]


def test_bad_query_is_a_clear_error(prometheus_url):
    prom = reaper.Prometheus(prometheus_url)
    with pytest.raises(K8sError, match=r"Prometheus refused the query \(HTTP 400\)"):
        prom.query("max by (pod) (", NOW)


def test_unreachable_prometheus_fails_before_any_write():
    prom = reaper.Prometheus("http://127.0.0.1:20591", retries=1, sleep=lambda s: None)
    with pytest.raises(K8sError, match="cannot query Prometheus at http://127.0.0.1:20591"):
        prom.query("up", NOW)


def test_gpu_reaper_module_with_real_prometheus_and_kmock(prometheus_url, monkeypatch):
    """The module as users call it: prometheus_url to the real server, the API on kmock."""
    out = {}

    def exit_json(self, **kwargs):
        out.update(kwargs)
        raise SystemExit(0)

    def fail_json(self, **kwargs):
        out.update(kwargs, failed=True)
        raise SystemExit(1)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    with KmockCluster(low=20700, high=20749) as cluster:
        cluster.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ws-ml", "labels": C.namespace_labels("ml")}},
                     {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ws-mig", "labels": C.namespace_labels("mig")}})
        for ws, name, resource in (("ml", "idle", C.GPU_RESOURCE), ("ml", "busy", C.GPU_RESOURCE), ("ml", "spiky", C.GPU_RESOURCE),
                                   ("mig", "mig-busy", MIG), ("mig", "mig-idle", MIG)):
            obj = sts(ws, name, 180, resource=resource)
            obj.update(apiVersion="apps/v1")
            obj["spec"].update(serviceName=name, selector={"matchLabels": obj["metadata"]["labels"]})
            obj["spec"]["template"]["metadata"] = {"labels": obj["metadata"]["labels"]}
            cluster.seed(obj)
        args = {"prometheus_url": prometheus_url, "idle_threshold": 5, "idle_minutes": 60}
        with patch_module_args(args), pytest.raises(SystemExit):
            gpu_reaper.main(api_client=cluster.api_client())
        assert "failed" not in out, out.get("msg")
        assert out["reaper"]["warned"] == ["ws-mig/mig-idle", "ws-ml/idle"]
        assert out["reaper"]["prometheus_queries"] == 2  # device utilisation, MIG engine activity
        warned = cluster.objects("statefulsets", "ws-ml")["idle"]
        assert json.loads(warned["metadata"]["annotations"][reaper.WARNING_ANNOTATION])["reason"] == "idle"
