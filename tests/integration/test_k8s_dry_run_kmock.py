# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Server-side dry run against kmock, as the real API server does it (kubectl --dry-run=server).

A write with ``dryRun=All`` answers the object as it would be stored (validated, defaulted) and
stores nothing; admission errors come back as they would for the real write. The K8s resource
loop's check mode is built on that answer, so gpu_workspace's and gpu_environment's check-mode
predictions must equal what the server then stores.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ansible_collections.opsforge.infra.tests.integration.kmock_cluster import KmockCluster, module_caller

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import K8sApi
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import clean
from ansible_collections.opsforge.infra.plugins.modules import gpu_environment, gpu_workspace

NAMES = itertools.count()
label_values = st.text("abcxyz019-", min_size=1, max_size=8).filter(lambda v: v[0] != "-" and v[-1] != "-")
labels = st.dictionaries(st.sampled_from(["team", "tier", "app.kubernetes.io/name"]), label_values, max_size=3)
data = st.dictionaries(st.text("abcdef_", min_size=1, max_size=6), st.text(max_size=12), max_size=4)
BINDING = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
           "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}]}


@pytest.fixture(scope="module")
def cluster():
    with KmockCluster(low=20000, high=20099) as kmock_cluster:
        K8sApi(kmock_cluster.api_client(), retries=0).create("Namespace", {"metadata": {"name": "dry"}})
        yield kmock_cluster


@pytest.fixture(scope="module")
def live(cluster):
    return K8sApi(cluster.api_client(), retries=0)


@pytest.fixture(scope="module")
def dry(cluster):
    return K8sApi(cluster.api_client(), dry_run=True, retries=0)


def config_map(name, labels_, data_):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels_}, "data": data_}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels_=labels, data_=data, patch_data=data)
def test_a_dry_run_answers_what_the_write_then_stores_and_stores_nothing(cluster, live, dry, labels_, data_, patch_data):
    name = "cm-%d" % next(NAMES)
    answer = dry.create("ConfigMap", config_map(name, labels_, data_), "dry")
    assert name not in cluster.objects("configmaps", "dry")
    live.create("ConfigMap", config_map(name, labels_, data_), "dry")
    assert clean(answer) == clean(live.get("ConfigMap", name, "dry"))

    stored = live.get("ConfigMap", name, "dry")
    answer = dry.patch("ConfigMap", name, {"data": patch_data}, "dry")
    assert live.get("ConfigMap", name, "dry") == stored
    live.patch("ConfigMap", name, {"data": patch_data}, "dry")
    assert clean(answer) == clean(live.get("ConfigMap", name, "dry"))

    dry.delete("ConfigMap", name, "dry")
    assert name in cluster.objects("configmaps", "dry")


def test_a_dry_run_namespace_is_answered_defaulted_as_it_is_then_stored(cluster, live, dry):
    answer = dry.create("Namespace", {"metadata": {"name": "defaulted"}})
    assert "defaulted" not in cluster.objects("namespaces")
    assert answer["spec"] == {"finalizers": ["kubernetes"]} and answer["status"] == {"phase": "Active"}
    assert answer["metadata"]["labels"] == {"kubernetes.io/metadata.name": "defaulted"}
    live.create("Namespace", {"metadata": {"name": "defaulted"}})
    assert clean(dict(answer, status=None)) == clean(dict(live.get("Namespace", "defaulted"), status=None))


@pytest.mark.parametrize("write, status, reason", [
    (lambda api: api.create("ConfigMap", config_map("Not_A_Name", {}, {}), "dry"), 422, "Invalid"),
    (lambda api: api.create("Namespace", {"metadata": {"name": "-bad-"}}), 422, "Invalid"),
    (lambda api: api.patch("RoleBinding", "rb", {"roleRef": {"name": "admin"}}, "dry"), 422, "Invalid"),
    (lambda api: api.create("RoleBinding", BINDING, "dry"), 409, "AlreadyExists"),
    (lambda api: api.create("ConfigMap", config_map("x", {}, {}), "no-such-namespace"), 404, "NotFound"),
])
def test_admission_errors_come_back_from_a_dry_run_as_from_the_write(cluster, live, dry, write, status, reason):
    if "rb" not in cluster.objects("rolebindings", "dry"):
        live.create("RoleBinding", BINDING, "dry")
    before = {plural: cluster.objects(plural) for plural in ("configmaps", "rolebindings", "namespaces")}
    for api in (dry, live):
        with pytest.raises(K8sError) as err:
            write(api)
        assert (err.value.status, err.value.reason) == (status, reason)
    assert {plural: cluster.objects(plural) for plural in before} == before


@pytest.fixture
def call(cluster, capsys):
    return module_caller(cluster, capsys)


def stored(cluster, namespace):
    return {plural: {k: clean(v) for k, v in cluster.objects(plural, namespace).items()}
            for plural in ("resourcequotas", "limitranges", "rolebindings", "networkpolicies")}


def test_gpu_workspace_check_mode_predicts_what_the_server_then_stores(cluster, call):
    args = dict(name="drywork", quota={"gpus": {"nvidia.com/gpu": 4}, "cpu": "32", "pods": 10},
                limit_range={"cpu": "2", "memory": "4Gi"},
                members=[{"name": "alice", "role": "admin"}, {"name": "bob"}],
                network_isolation={"enabled": True})
    predicted = call(gpu_workspace, check=True, **args)
    assert "ws-drywork" not in cluster.objects("namespaces")
    created = call(gpu_workspace, **args)
    assert predicted["changed"] is created["changed"] is True
    assert predicted["workspace"] == created["workspace"] and predicted["diff"] == created["diff"]

    changed = dict(args, quota={"gpus": {"nvidia.com/gpu": 2}}, members=[{"name": "alice", "role": "view"}],
                   network_isolation={"enabled": False}, labels={"cost-center": "42"})
    objects = stored(cluster, "ws-drywork")
    predicted = call(gpu_workspace, check=True, **changed)
    assert stored(cluster, "ws-drywork") == objects
    applied = call(gpu_workspace, **changed)
    assert predicted["changed"] is applied["changed"] is True
    assert predicted["workspace"] == applied["workspace"] and predicted["diff"] == applied["diff"]

    again = call(gpu_workspace, check=True, **changed)
    assert again["changed"] is False and again["workspace"] == applied["workspace"]
    gone = call(gpu_workspace, check=True, name="drywork", state="absent")
    assert gone["changed"] is True and gone["workspace"] is None and "ws-drywork" in cluster.objects("namespaces")


# -- gpu_environment: the check-mode prediction is the server's dry-run answer -------------------
WRITES = ("POST", "PATCH", "PUT", "DELETE")
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH9H2x1ss7cWmBuY3 a@b"
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKx9y2z3ss7cWmBuY4 c@d"
ENV_KINDS = ("statefulsets", "services", "secrets", "configmaps")
GPU_NODE = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "dry-gpu-1", "labels": {C.GPU_PRODUCT_LABEL: "NVIDIA-A100-SXM4-80GB"}},
            "spec": {"taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]},
            "status": {"capacity": {C.GPU_RESOURCE: "8", "cpu": "64", "memory": "512Gi"},
                       "allocatable": {C.GPU_RESOURCE: "8", "cpu": "62", "memory": "500Gi"},
                       "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                       "conditions": [{"type": "Ready", "status": "True"}]}}


class FrozenClock:
    """``C.rfc3339()`` at a time the test sets: a check run and the apply after it stamp the same
    lifecycle times, as they would if the apply ran the moment the check did."""

    def __init__(self, monkeypatch):
        self.at = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.timezone.utc)
        real = C.rfc3339
        monkeypatch.setattr(C, "rfc3339", lambda when=None: real(when or self.at))

    def tick(self):
        self.at += datetime.timedelta(minutes=7)


def ssh(key):
    return {"enabled": True, "authorized_keys": [key]}


def dry_env(**extra):
    args = dict(name="dry-env", workspace="drygpu", owner="alice", image="pytorch:2.4", gpus=2, cpu="8", memory="32Gi",
                gpu_model="NVIDIA-A100-SXM4-80GB", max_lifetime="8h", wait=False, ssh=ssh(SSH_KEY),
                jupyter={"enabled": True, "token": "dry-run-token"})
    args.update(extra)
    return args


def env_objects(cluster, namespace):
    return {plural: cluster.objects(plural, namespace) for plural in ENV_KINDS}


def writes_since(cluster, count):
    """The write requests the emulator saw after the first ``count`` (namespace requests included)."""
    seen = [r for r in cluster.requests()[count[0]:] if r[0] in WRITES]
    seen += [r for r in cluster.handler.namespace_requests[count[1]:] if r[0].upper() in WRITES]
    return seen


def check_then_apply(call, cluster, clock, **args):
    """Run gpu_environment in check mode, then for real; the prediction must be the result."""
    clock.tick()
    objects = env_objects(cluster, "ws-drygpu")
    count = (len(cluster.requests()), len(cluster.handler.namespace_requests))
    predicted = call(gpu_environment, check=True, **args)
    assert not predicted.get("failed"), predicted.get("msg")
    assert env_objects(cluster, "ws-drygpu") == objects, "check mode stored something"
    writes = writes_since(cluster, count)
    assert writes and all(params.get("dryRun") == "All" for dummy, dummy2, params in writes), writes
    applied = call(gpu_environment, **args)
    assert not applied.get("failed"), applied.get("msg")
    assert predicted["changed"] is applied["changed"] is True
    # Only the server sets creationTimestamp, when the object is really stored.
    assert dict(predicted["environment"], created=None) == dict(applied["environment"], created=None)
    assert predicted["diff"] == applied["diff"]
    return applied["environment"]


def test_gpu_environment_check_mode_predicts_what_the_apply_returns(cluster, call, monkeypatch):
    """Create, update (image and GPU count; then only the SSH key), restart (with and without an image), stop and start:
    each check-mode prediction is what the apply right after it returns, and check mode writes
    nothing but dry runs."""
    clock = FrozenClock(monkeypatch)
    assert call(gpu_workspace, name="drygpu", quota={"gpus": {"nvidia.com/gpu": 8}})["changed"] is True
    cluster.seed(GPU_NODE)
    created = check_then_apply(call, cluster, clock, **dry_env())
    assert (created["image"], created["gpus"], [e["event"] for e in created["lifecycle"]]) == ("pytorch:2.4", 2, ["created"])

    updated = check_then_apply(call, cluster, clock, **dry_env(image="pytorch:2.5", gpus=4))
    assert (updated["image"], updated["gpus"]) == ("pytorch:2.5", 4)
    assert [e["event"] for e in updated["lifecycle"]] == ["created", "restarted"]

    rekeyed = check_then_apply(call, cluster, clock, **dry_env(image="pytorch:2.5", gpus=4, ssh=ssh(OTHER_KEY)))
    assert dict(rekeyed, runtime_seconds=0) == dict(updated, runtime_seconds=0), "only the SSH Secret changes"

    restarted = check_then_apply(call, cluster, clock,
                                 **dry_env(image="pytorch:2.5", gpus=4, ssh=ssh(OTHER_KEY), state="restarted"))
    assert [e["event"] for e in restarted["lifecycle"]][-1] == "restarted"

    as_it_is = dict(name="dry-env", workspace="drygpu", wait=False)
    restarted = check_then_apply(call, cluster, clock, state="restarted", **as_it_is)
    assert (restarted["image"], len(restarted["lifecycle"])) == ("pytorch:2.5", 4)

    stopped = check_then_apply(call, cluster, clock, state="stopped", stopped_by="reaper:idle", **as_it_is)
    assert (stopped["state"], stopped["stopped_by"]) == ("stopped", "reaper:idle")
    started = check_then_apply(call, cluster, clock, state="started", **as_it_is)
    assert (started["state"], started["stopped_by"]) == ("starting", None)
    assert [e["event"] for e in started["lifecycle"]] == ["created", "restarted", "restarted", "restarted", "stopped",
                                                          "started"]
