# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_node and gpu_node_info with the API client injected (FakeApi)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.nodes import NodeService, inventory, pod_requests
from ansible_collections.opsforge.infra.plugins.modules import gpu_node
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.k8s.test_k8s_fake_api import FakeApi, namespace
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import inject_api, run_module


def node(name, allocatable, labels=None, taints=None, ready=True, cordoned=False):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": dict(labels or {})},
            "spec": {"unschedulable": cordoned, "taints": list(taints or [])},
            "status": {"capacity": dict(allocatable), "allocatable": dict(allocatable),
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def pod(name, node_name, requests, phase="Running", namespace="ws-vision", labels=None):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": {"nodeName": node_name, "containers": [{"name": "c", "resources": {"requests": requests}}]},
            "status": {"phase": phase}}


A100 = {C.GPU_PRODUCT_LABEL: "NVIDIA-A100-SXM4-80GB", C.GPU_MEMORY_LABEL: "81920", C.GPU_COUNT_LABEL: "8"}
MIG = {C.GPU_PRODUCT_LABEL: "NVIDIA-A100-SXM4-80GB", C.MIG_STRATEGY_LABEL: "mixed", "nvidia.com/mig-1g.10gb.count": "7"}
ENV_LABELS = C.environment_labels("vision", "alice-dev", "alice")


def fleet():
    return FakeApi([
        namespace(),
        node("gpu-a1", {"nvidia.com/gpu": "8", "cpu": "64", "memory": "512Gi"}, A100),
        node("gpu-a2", {"nvidia.com/gpu": "8"}, A100, cordoned=True),
        node("gpu-m1", {"nvidia.com/mig-1g.10gb": "7", "nvidia.com/gpu": "1"}, MIG),
        node("gpu-t1", {"nvidia.com/gpu": "4"}, {C.GPU_PRODUCT_LABEL: "Tesla-T4"},
             taints=[{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]),
        node("cpu-1", {"cpu": "16"}),
        pod("alice-dev-0", "gpu-a1", {"nvidia.com/gpu": "2", "cpu": "8", "memory": "32Gi"}, labels=ENV_LABELS),
        pod("job-1", "gpu-a1", {"nvidia.com/gpu": "3"}),
        pod("job-done", "gpu-a1", {"nvidia.com/gpu": "3"}, phase="Succeeded"),
        pod("mig-1", "gpu-m1", {"nvidia.com/mig-1g.10gb": "2"}),
    ])


def test_inventory_per_node_and_totals():
    api = fleet()
    nodes, totals = inventory(api)
    assert api.calls == {"list": 2}
    assert [n["name"] for n in nodes] == ["gpu-a1", "gpu-a2", "gpu-m1", "gpu-t1"]
    a1, a2, m1, t1 = nodes
    assert (a1["allocatable"], a1["allocated"], a1["free"]) == ({"nvidia.com/gpu": 8}, {"nvidia.com/gpu": 5}, {"nvidia.com/gpu": 3})
    assert a1["gpu_memory_mib"] == 81920 and a1["gpu_count_label"] == 8
    assert a1["cpu"] == {"allocatable": "64", "allocated": "8"}
    assert a1["environments"] == [{"namespace": "ws-vision", "workspace": "vision", "environment": "alice-dev",
                                   "owner": "alice", "pod": "alice-dev-0"}]
    assert a2["schedulable"] is False and a2["cordoned"] is True
    assert m1["resource_keys"] == ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"] and m1["free"]["nvidia.com/mig-1g.10gb"] == 5
    assert m1["mig_strategy"] == "mixed" and m1["mig_labels"]["nvidia.com/mig-1g.10gb.count"] == "7"
    assert t1["schedulable"] is False, "an untolerated NoSchedule taint blocks GPU environments"
    a100 = totals["NVIDIA-A100-SXM4-80GB"]
    assert a100["nodes"] == 3 and a100["schedulable_nodes"] == 2
    assert a100["allocatable"] == {"nvidia.com/gpu": 17, "nvidia.com/mig-1g.10gb": 7}
    assert a100["free"] == {"nvidia.com/gpu": 4, "nvidia.com/mig-1g.10gb": 5}, "cordoned nodes add nothing free"


def test_pod_requests_take_limits_for_missing_requests_and_init_containers():
    spec = {"spec": {"containers": [{"resources": {"limits": {"nvidia.com/gpu": "1", "cpu": "2"}, "requests": {"cpu": "1"}}},
                                    {"resources": {"requests": {"cpu": "500m"}}}],
                     "initContainers": [{"resources": {"requests": {"cpu": "4"}}}]}}
    got = pod_requests(spec)
    assert (got["nvidia.com/gpu"], got["cpu"]) == (1, 4)


def params(**extra):
    out = dict(name="gpu-a1", state="present", gpu_model=None, labels=None, taints=[], cordon=False, reason="maintenance",
               drain=False, drain_action="stop", notice=None)
    out.update(extra)
    return out


def test_register_labels_and_taints_idempotently():
    api = fleet()
    result = NodeService(api).run(params(gpu_model="NVIDIA-A100-SXM4-80GB", labels={"opsforge.io/pool": "training"},
                                         taints=[{"key": "nvidia.com/gpu", "value": None, "effect": "NoSchedule",
                                                  "state": "present"}]))
    assert result["changed"] is True
    live = api.get("Node", "gpu-a1")
    assert live["metadata"]["labels"][C.GPU_NODE_LABEL] == "true"
    assert live["metadata"]["labels"]["opsforge.io/pool"] == "training"
    assert live["spec"]["taints"] == [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]
    assert result["diff"]["before"]["taints"] == [] and result["diff"]["after"]["taints"] == live["spec"]["taints"]
    again = NodeService(api).run(params(labels={"opsforge.io/pool": "training"},
                                        taints=[{"key": "nvidia.com/gpu", "value": None, "effect": "NoSchedule",
                                                 "state": "present"}]))
    assert again["changed"] is False
    removed = NodeService(api).run(params(taints=[{"key": "nvidia.com/gpu", "value": None, "effect": "NoSchedule",
                                                   "state": "absent"}]))
    assert removed["changed"] is True and api.get("Node", "gpu-a1")["spec"]["taints"] == []


def test_maintenance_drain_by_eviction_and_back():
    api = fleet()
    api.put({"apiVersion": "apps/v1", "kind": "StatefulSet",
             "metadata": {"name": "alice-dev", "namespace": "ws-vision", "labels": ENV_LABELS},
             "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "env"}]}}}})
    result = NodeService(api).run(params(state="maintenance", drain=True, drain_action="evict", reason="PSU swap"))
    assert result["changed"] is True
    assert result["drained"] == [{"namespace": "ws-vision", "environment": "alice-dev", "pod": "alice-dev-0", "owner": "alice",
                                  "action": "evict", "notice": "Node gpu-a1 is going into maintenance: PSU swap"}]
    assert api.get("Pod", "alice-dev-0", "ws-vision") is None, "environment pod evicted"
    assert api.get("Pod", "job-1", "ws-vision") is not None, "other pods are not ours to drain"
    assert api.get("StatefulSet", "alice-dev", "ws-vision")["metadata"]["annotations"][C.NOTICE_ANNOTATION].endswith("PSU swap")
    live = api.get("Node", "gpu-a1")
    assert live["spec"]["unschedulable"] is True and live["metadata"]["annotations"][C.MAINTENANCE_ANNOTATION] == "PSU swap"
    assert NodeService(api).run(params(state="maintenance", drain=True, reason="PSU swap"))["changed"] is False
    back = NodeService(api).run(params())
    assert back["changed"] and back["node"]["cordoned"] is False and back["node"]["maintenance"] is None


def test_check_mode_drain_changes_nothing():
    api = fleet()
    api.put({"apiVersion": "apps/v1", "kind": "StatefulSet",
             "metadata": {"name": "alice-dev", "namespace": "ws-vision", "labels": ENV_LABELS},
             "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "env"}]}}}})
    api.dry_run = True
    result = NodeService(api).run(params(state="maintenance", drain=True))
    assert result["changed"] is True and result["node"]["cordoned"] is True and result["drained"]
    assert api.writes == []


def test_unknown_node_is_an_error():
    with pytest.raises(K8sError, match="Node gpu-zz is not registered"):
        NodeService(fleet()).run(params(name="gpu-zz"))


def test_node_module_puts_a_node_in_maintenance(monkeypatch, capsys):
    inject_api(monkeypatch, gpu_node, fleet())
    result = run_module(capsys, gpu_node, name="gpu-a1", state="maintenance")
    assert result["changed"] is True and result["node"]["maintenance"] == "maintenance"


def test_node_module_check_mode_writes_nothing_and_an_unknown_node_fails(monkeypatch, capsys):
    api = fleet()
    inject_api(monkeypatch, gpu_node, api)
    result = run_module(capsys, gpu_node, check=True, name="gpu-a1", state="maintenance")
    assert result["changed"] is True and result["node"]["cordoned"] is True and api.writes == []
    result = run_module(capsys, gpu_node, name="gpu-zz")
    assert result["failed"] is True and "Node gpu-zz is not registered" in result["msg"]
