# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_reaper contract tests: the module, the real kubernetes client and kmock's API server
(tests/integration/kmock_cluster.py) on 127.0.0.1, with synthetic nodes, pods and environments.

Utilisation comes from a stub here; test_gpu_prometheus.py covers the real Prometheus."""

from __future__ import annotations

import datetime
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from kmock_cluster import KmockCluster

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import reaper
from ansible_collections.opsforge.infra.plugins.modules import gpu_reaper

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class StubPrometheus:
    def __init__(self, values):
        self.values = values
        self.queries = 0

    def query(self, promql, at):
        self.queries += 1
        return [({"namespace": ns, "pod": pod}, v) for (ns, pod), v in self.values.items()]


def ago(minutes):
    return C.rfc3339(NOW - datetime.timedelta(minutes=minutes))


def env(ws, name, minutes, **notes):
    lifecycle = [C.lifecycle_event("created", gpus=2, gpu_model="NVIDIA-A100-SXM4-80GB", cpu="8", memory="64Gi",
                                   storage="100Gi", at=ago(minutes))]
    annotations = {C.LIFECYCLE_ANNOTATION: json.dumps(lifecycle)}
    annotations.update(notes)
    labels = C.environment_labels(ws, name, "carol")
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": "ws-" + ws, "labels": labels, "annotations": annotations},
            "spec": {"replicas": 1, "serviceName": name, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "main", "image": "jupyter/base:1",
                                                           "resources": {"limits": {C.GPU_RESOURCE: "2"}}}]}}}}


def pod(ws, name, node):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name + "-0", "namespace": "ws-" + ws, "labels": C.environment_labels(ws, name, "carol")},
            "spec": {"nodeName": node, "containers": [{"name": "main", "image": "jupyter/base:1",
                                                       "resources": {"limits": {C.GPU_RESOURCE: "2"}}}]},
            "status": {"phase": "Running", "startTime": ago(180)}}


def owned(kind, ws, env_name, name, **spec):
    return {"apiVersion": "v1", "kind": kind,
            "metadata": {"name": name, "namespace": "ws-" + ws, "labels": C.environment_labels(ws, env_name, "carol"),
                         "creationTimestamp": ago(24 * 60)},
            "spec": spec}


def secret(ws, env_name, name):
    obj = owned("Secret", ws, env_name, name)
    del obj["spec"]
    obj.update(type="Opaque", data={"authorized_keys": "c3NoLWVkMjU1MTkgQUFBQQ=="})
    return obj


@pytest.fixture
def cluster():
    with KmockCluster(low=20600, high=20649) as kmock:
        kmock.seed(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ws-ml", "labels": C.namespace_labels("ml")}},
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ws-gone", "labels": C.namespace_labels("gone"),
                                                                   "deletionTimestamp": ago(10)}},
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "gpu-node-1", "labels": {
                C.GPU_PRODUCT_LABEL: "NVIDIA-A100-SXM4-80GB"}}, "status": {"allocatable": {C.GPU_RESOURCE: "8"}}},
            env("ml", "idle", 240), env("ml", "busy", 240), env("ml", "old", 600, **{C.MAX_LIFETIME_ANNOTATION: "8h"}),
            env("gone", "left", 60),
            pod("ml", "idle", "gpu-node-1"), pod("ml", "busy", "gpu-node-1"), pod("ml", "old", "gpu-node-1"),
            owned("Service", "ml", "idle", "idle", ports=[{"name": "ssh", "port": 22}]),
            owned("Service", "ml", "removed", "removed", ports=[{"name": "ssh", "port": 22}]),
            owned("PersistentVolumeClaim", "ml", "removed", "home-removed-0", accessModes=["ReadWriteOnce"],
                  resources={"requests": {"storage": "100Gi"}}),
            secret("ml", "removed", "removed-ssh"), secret("ml", "idle", "idle-ssh"),
        )
        yield kmock


UTIL = {("ws-ml", "idle-0"): 0.0, ("ws-ml", "busy-0"): 93.0, ("ws-ml", "old-0"): 97.0}


def run_module(cluster, monkeypatch, now, check_mode=False, **args):
    out = {}

    def exit_json(self, **kwargs):
        out.update(kwargs)
        raise SystemExit(0)

    def fail_json(self, **kwargs):
        out.update(kwargs, failed=True)
        raise SystemExit(1)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    params = dict({"prometheus_url": "http://127.0.0.1:20591", "grace_minutes": 30, "_ansible_check_mode": check_mode}, **args)
    before, ns_before = len(cluster.requests()), len(cluster.handler.namespace_requests)
    prom = StubPrometheus(UTIL)
    with patch_module_args(params), pytest.raises(SystemExit):
        gpu_reaper.main(api_client=cluster.api_client(), now=now, prometheus=prom)
    # namespace requests are served by the kmock_cluster wrapper and logged apart
    out["_requests"] = cluster.handler.namespace_requests[ns_before:] + cluster.requests()[before:]
    out["_queries"] = prom.queries
    return out


def verbs(requests):
    return sorted({(m, p) for m, p, _q in requests if m != "GET"})


def test_reaper_against_kmock(cluster, monkeypatch):
    # check mode: exactly the plan, five list calls, nothing written
    preview = run_module(cluster, monkeypatch, NOW, check_mode=True)
    assert "failed" not in preview, preview.get("msg")
    assert [m for m, _p, _q in preview["_requests"]] == ["GET"] * 5
    assert all("labelSelector" in q for _m, _p, q in preview["_requests"])
    assert preview["_queries"] == 1
    assert sorted(preview["reaper"]["warned"]) == ["ws-ml/idle", "ws-ml/old"]
    assert preview["reaper"]["deleted"] == []  # orphans are marked first, deleted after orphan_grace
    assert [a["name"] for a in preview["reaper"]["actions"] if a["action"] == "mark"] == [
        "removed", "removed-ssh", "home-removed-0"]

    # real run: the same actions, written through the API
    first = run_module(cluster, monkeypatch, NOW)
    assert first["changed"] is True
    assert first["reaper"]["actions"] == preview["reaper"]["actions"]
    assert verbs(first["_requests"]) == [
        ("PATCH", "/api/v1/namespaces/ws-ml/persistentvolumeclaims/home-removed-0"),
        ("PATCH", "/api/v1/namespaces/ws-ml/secrets/removed-ssh"),
        ("PATCH", "/api/v1/namespaces/ws-ml/services/removed"),
        ("PATCH", "/apis/apps/v1/namespaces/ws-ml/statefulsets/idle"),
        ("PATCH", "/apis/apps/v1/namespaces/ws-ml/statefulsets/old"),
    ]
    idle = cluster.objects("statefulsets", "ws-ml")["idle"]
    assert json.loads(idle["metadata"]["annotations"][reaper.WARNING_ANNOTATION])["reason"] == "idle"
    assert "will stop this environment after 2026-11-23T02:30:00Z" in idle["metadata"]["annotations"][C.NOTICE_ANNOTATION]
    assert reaper.ORPHANED_ANNOTATION in cluster.objects("services", "ws-ml")["removed"]["metadata"]["annotations"]
    assert reaper.ORPHANED_ANNOTATION in cluster.objects("persistentvolumeclaims", "ws-ml")["home-removed-0"]["metadata"]["annotations"]

    # again at once: nothing to do
    again = run_module(cluster, monkeypatch, NOW)
    assert again["changed"] is False and again["reaper"]["actions"] == []
    assert verbs(again["_requests"]) == []

    # after the grace period: stop both, as the lifecycle and stopped-by say
    later = NOW + datetime.timedelta(minutes=45)
    stop = run_module(cluster, monkeypatch, later)
    assert sorted(stop["reaper"]["stopped"]) == ["ws-ml/idle", "ws-ml/old"]
    assert stop["reaper"]["deleted"] == []  # 45 minutes after the mark: orphan_grace (1h) not over
    envs = cluster.objects("statefulsets", "ws-ml")
    assert envs["idle"]["spec"]["replicas"] == 0 and envs["old"]["spec"]["replicas"] == 0
    assert envs["busy"]["spec"]["replicas"] == 1
    assert envs["idle"]["metadata"]["annotations"][C.STOPPED_BY_ANNOTATION] == "reaper:idle"
    assert envs["old"]["metadata"]["annotations"][C.STOPPED_BY_ANNOTATION] == "reaper:lifetime"
    assert reaper.WARNING_ANNOTATION not in envs["idle"]["metadata"]["annotations"]
    events = C.read_lifecycle(envs["idle"]["metadata"]["annotations"])
    assert [e["event"] for e in events] == ["created", "stopped"]
    assert events[-1]["at"] == "2026-11-23T02:45:00Z" and events[-1]["gpus"] == 2

    # the orphaned home volume goes once its retention has passed
    week = run_module(cluster, monkeypatch, later + datetime.timedelta(days=8))
    assert week["reaper"]["deleted"] == ["Service ws-ml/removed", "Secret ws-ml/removed-ssh",
                                         "PersistentVolumeClaim ws-ml/home-removed-0"]
    assert "removed" not in cluster.objects("services", "ws-ml")
    assert sorted(cluster.objects("secrets", "ws-ml")) == ["idle-ssh"]
    assert "home-removed-0" not in cluster.objects("persistentvolumeclaims", "ws-ml")
    final = run_module(cluster, monkeypatch, later + datetime.timedelta(days=8))
    assert final["changed"] is False
