# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests: the GPU platform modules against kmock serving the Kubernetes API.

The modules run in-process with their real argument handling and talk to kmock through the
real ``kubernetes`` client, configured by kubernetes.core from a kubeconfig file (so the
auth path is the one users take). kmock's gaps are filled by ``kmock_cluster`` (see its
docstring). No controllers run: the tests play scheduler and kubelet by seeding Nodes and
Pods with a ``status``.
"""

from __future__ import annotations

import json

import pytest
from ansible_collections.opsforge.infra.tests.integration.kmock_cluster import KmockCluster, module_caller

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.workspace import member_binding_name
from ansible_collections.opsforge.infra.plugins.modules import (
    gpu_environment,
    gpu_environment_info,
    gpu_node,
    gpu_node_info,
    gpu_workspace,
)

SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH9H2x1ss7cWmBuY3 alice@laptop"


@pytest.fixture
def cluster():
    with KmockCluster(low=20000, high=20099) as kmock_cluster:
        yield kmock_cluster


@pytest.fixture
def call(cluster, capsys):
    return module_caller(cluster, capsys)


def gpu_node_obj(name, model="NVIDIA-A100-SXM4-80GB", gpus=8, key=C.GPU_RESOURCE, ready=True, unschedulable=False):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {C.GPU_PRODUCT_LABEL: model, C.GPU_MEMORY_LABEL: "81920",
                                                  C.GPU_COUNT_LABEL: str(gpus)}},
            "spec": {"unschedulable": unschedulable, "taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]},
            "status": {"capacity": {key: str(gpus), "cpu": "64", "memory": "512Gi"},
                       "allocatable": {key: str(gpus), "cpu": "62", "memory": "500Gi"},
                       "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def busy_pod(name, namespace, node, gpus, key=C.GPU_RESOURCE, labels=None, phase="Running"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "x",
                                                       "resources": {"limits": {key: str(gpus)}}}]},
            "status": {"phase": phase}}


def imagenet(cluster):
    cluster.seed({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                  "metadata": {"name": "imagenet", "namespace": "ws-vision"},
                  "spec": {"accessModes": ["ReadOnlyMany"], "resources": {"requests": {"storage": "1Ti"}}}})


def workspace_args(**extra):
    args = dict(name="vision", quota={"gpus": {"nvidia.com/gpu": 4}, "cpu": "64", "memory": "256Gi", "pods": 10},
                limit_range={"cpu": "2", "memory": "8Gi"},
                members=[{"name": "alice", "role": "admin"}, {"name": "ml-team", "kind": "group", "role": "view"}])
    args.update(extra)
    return args


def env_args(**extra):
    args = dict(name="alice-dev", workspace="vision", owner="alice", image="pytorch:2.4", gpus=2, datasets=[{"claim": "imagenet"}],
                gpu_model="NVIDIA-A100-SXM4-80GB", cpu="8", memory="32Gi", wait=False,
                ssh={"enabled": True, "authorized_keys": [SSH_KEY]}, jupyter={"enabled": True, "token": "s3cret-token"})
    args.update(extra)
    return args


# -- the fixture's gap fillers, against the real client ----------------------------------------
def test_fixture_fills_kmocks_gaps(cluster):
    """Namespaces, selectors, dry run and 404s behave as on a real apiserver (see kmock_cluster)."""
    from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import K8sApi
    from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError

    api = K8sApi(cluster.api_client(), retries=0)
    api.create("Namespace", {"metadata": {"name": "ws-a", "labels": {"opsforge.io/kind": "workspace"}}})
    api.create("Namespace", {"metadata": {"name": "other"}})
    assert [n["metadata"]["name"] for n in api.list("Namespace", label_selector="opsforge.io/kind=workspace")] == ["ws-a"]
    with pytest.raises(K8sError) as err:
        api.create("ConfigMap", {"metadata": {"name": "c"}}, "missing")
    assert err.value.status == 404
    api.create("ConfigMap", {"metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"k": "v"}}, "ws-a")
    dry = K8sApi(cluster.api_client(), dry_run=True, retries=0)
    assert dry.patch("ConfigMap", "c", {"data": {"k": "w"}}, "ws-a")["data"] == {"k": "w"}
    assert dry.create("ConfigMap", {"metadata": {"name": "d"}}, "ws-a")["metadata"]["namespace"] == "ws-a"
    assert dry.delete("ConfigMap", "c", "ws-a") is not None
    live = api.get("ConfigMap", "c", "ws-a")
    assert live["data"] == {"k": "v"} and live["metadata"]["uid"], "dry run persisted nothing; metadata is stamped"
    assert api.get("ConfigMap", "d", "ws-a") is None
    assert api.list("ConfigMap", label_selector="a=2") == []
    assert api.list("ConfigMap", label_selector="a in (1,3)")[0]["metadata"]["name"] == "c"
    api.delete("Namespace", "ws-a")
    assert api.get("ConfigMap", "c", "ws-a") is None, "namespace deletion cascades"


# -- workspace ---------------------------------------------------------------------------------
def test_workspace_check_apply_idempotent_absent(call, cluster):
    predicted = call(gpu_workspace, check=True, **workspace_args())
    assert predicted["changed"] is True
    assert cluster.objects("namespaces") == {}, "check mode must not create anything"
    assert predicted["workspace"]["quota"]["requests.nvidia.com/gpu"] == "4"

    created = call(gpu_workspace, **workspace_args())
    assert created["changed"] is True
    ws = created["workspace"]
    assert ws["namespace"] == "ws-vision"
    assert ws["labels"][C.NAMESPACE_KIND_LABEL] == "workspace"
    assert ws["quota"] == {"requests.nvidia.com/gpu": "4", "requests.cpu": "64", "requests.memory": "256Gi", "pods": "10"}
    assert sorted((m["name"], m["kind"], m["role"]) for m in ws["members"]) == [("alice", "User", "admin"), ("ml-team", "Group", "view")]
    assert ws["network_isolation"] is True
    policy = cluster.objects("networkpolicies", "ws-vision")[C.NETWORKPOLICY_NAME]
    assert policy["spec"]["ingress"][0] == {"from": [{"podSelector": {}}]}
    assert policy["spec"]["ingress"][1]["ports"] == [{"protocol": "TCP", "port": n} for n in ("ssh", "jupyter", "rdp")]
    assert predicted["workspace"]["quota"] == ws["quota"]

    again_check = call(gpu_workspace, check=True, **workspace_args())
    assert again_check["changed"] is False
    again = call(gpu_workspace, **workspace_args())
    assert again["changed"] is False

    # member removed -> its RoleBinding purged; quota key removed -> dropped from the quota
    smaller = workspace_args(members=[{"name": "alice", "role": "edit"}], quota={"gpus": {"nvidia.com/gpu": 2}})
    changed = call(gpu_workspace, **smaller)
    assert changed["changed"] is True
    assert changed["workspace"]["members"] == [{"name": "alice", "kind": "User", "role": "edit"}]
    assert changed["workspace"]["quota"] == {"requests.nvidia.com/gpu": "2"}
    assert sorted(cluster.objects("rolebindings", "ws-vision")) == [member_binding_name("User", "alice")]
    assert changed["diff"]["before"]["quota"]["pods"] == "10"

    gone = call(gpu_workspace, name="vision", state="absent")
    assert gone["changed"] is True and gone["workspace"] is None
    assert "ws-vision" not in cluster.objects("namespaces")
    assert call(gpu_workspace, name="vision", state="absent")["changed"] is False


def test_workspace_absent_refuses_with_environments(call, cluster):
    call(gpu_workspace, **workspace_args())
    imagenet(cluster)
    cluster.seed(gpu_node_obj("gpu-a1"))
    assert call(gpu_environment, **env_args())["changed"] is True
    refused = call(gpu_workspace, name="vision", state="absent")
    assert refused["failed"] is True
    assert "still has 1 environment(s): alice-dev" in refused["msg"]
    assert "ws-vision" in cluster.objects("namespaces")
    forced = call(gpu_workspace, name="vision", state="absent", force=True)
    assert forced["changed"] is True
    assert "ws-vision" not in cluster.objects("namespaces")


def test_workspace_refuses_foreign_namespace(call, cluster):
    from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import K8sApi

    K8sApi(cluster.api_client()).create("Namespace", {"metadata": {"name": "ws-vision"}})
    result = call(gpu_workspace, **workspace_args())
    assert result["failed"] is True
    assert "is not workspace vision" in result["msg"]


# -- environments ------------------------------------------------------------------------------
def test_environment_lifecycle(call, cluster):
    call(gpu_workspace, **workspace_args())
    cluster.seed(gpu_node_obj("gpu-a1"))
    missing = call(gpu_environment, **env_args(datasets=[{"claim": "imagenet"}]))
    assert missing["failed"] is True and "Dataset PVC(s) imagenet do not exist in namespace ws-vision" in missing["msg"]
    imagenet(cluster)

    predicted = call(gpu_environment, check=True, **env_args())
    assert predicted["changed"] is True
    assert predicted["environment"]["gpus"] == 2
    assert cluster.objects("statefulsets", "ws-vision") == {}

    created = call(gpu_environment, **env_args())
    assert created["changed"] is True
    env = created["environment"]
    assert env["state"] == "starting"
    assert (env["gpus"], env["resource_key"], env["gpu_model"]) == (2, "nvidia.com/gpu", "NVIDIA-A100-SXM4-80GB")
    assert env["access"]["ssh"] == {"host": "alice-dev.ws-vision.svc", "port": 22,
                                    "command": "ssh -p 22 user@alice-dev.ws-vision.svc"}
    assert env["access"]["jupyter"]["token_secret"] == "alice-dev-jupyter"
    assert "s3cret-token" not in json.dumps(created)
    sts = cluster.objects("statefulsets", "ws-vision")["alice-dev"]
    assert sts["metadata"]["labels"] == C.environment_labels("vision", "alice-dev", "alice")
    container = sts["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "2"
    terms = sts["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] == ["NVIDIA-A100-SXM4-80GB"]
    events = json.loads(sts["metadata"]["annotations"][C.LIFECYCLE_ANNOTATION])
    assert [e["event"] for e in events] == ["created"]
    assert events[0]["gpus"] == 2 and events[0]["storage"] == "50Gi"
    secrets = cluster.objects("secrets", "ws-vision")
    assert sorted(secrets) == ["alice-dev-jupyter", "alice-dev-ssh"]

    assert call(gpu_environment, check=True, **env_args())["changed"] is False
    assert call(gpu_environment, **env_args())["changed"] is False

    # The kubelet's part: the pod is up and ready.
    cluster.seed({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "alice-dev-0", "namespace": "ws-vision",
                               "labels": C.environment_labels("vision", "alice-dev", "alice")},
                  "spec": {"nodeName": "gpu-a1", "containers": [container]},
                  "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})
    ready = call(gpu_environment, **env_args(wait=True, wait_timeout=5))
    assert ready["changed"] is False and ready["environment"]["state"] == "running"

    stopped = call(gpu_environment, name="alice-dev", workspace="vision", state="stopped", stopped_by="reaper:idle",
                   wait=False)
    assert stopped["changed"] is True
    sts = cluster.objects("statefulsets", "ws-vision")["alice-dev"]
    assert sts["spec"]["replicas"] == 0
    assert sts["metadata"]["annotations"][C.STOPPED_BY_ANNOTATION] == "reaper:idle"
    assert [e["event"] for e in C.read_lifecycle(sts["metadata"]["annotations"])] == ["created", "stopped"]
    assert call(gpu_environment, name="alice-dev", workspace="vision", state="stopped", wait=False)["changed"] is False

    started = call(gpu_environment, state="started", **env_args())
    assert started["changed"] is True
    sts = cluster.objects("statefulsets", "ws-vision")["alice-dev"]
    assert sts["spec"]["replicas"] == 1
    assert C.STOPPED_BY_ANNOTATION not in sts["metadata"]["annotations"]
    assert [e["event"] for e in C.read_lifecycle(sts["metadata"]["annotations"])] == ["created", "stopped", "started"]

    restarted = call(gpu_environment, state="restarted", **env_args())
    assert restarted["changed"] is True
    sts = cluster.objects("statefulsets", "ws-vision")["alice-dev"]
    assert C.RESTARTED_AT_ANNOTATION in sts["spec"]["template"]["metadata"]["annotations"]
    assert C.read_lifecycle(sts["metadata"]["annotations"])[-1]["event"] == "restarted"

    info = call(gpu_environment_info, workspace="vision")
    assert [e["name"] for e in info["environments"]] == ["alice-dev"]
    assert info["environments"][0]["pod"]["node"] == "gpu-a1"

    # The home PVC (made by the StatefulSet controller in a real cluster) is kept on delete.
    cluster.seed({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                  "metadata": {"name": "home-alice-dev-0", "namespace": "ws-vision",
                               "labels": C.environment_labels("vision", "alice-dev", "alice")},
                  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}}})
    gone = call(gpu_environment, name="alice-dev", workspace="vision", state="absent")
    assert gone["changed"] is True and gone["environment"] is None
    assert cluster.objects("statefulsets", "ws-vision") == {}
    assert cluster.objects("secrets", "ws-vision") == {} and cluster.objects("services", "ws-vision") == {}
    assert sorted(cluster.objects("persistentvolumeclaims", "ws-vision")) == ["home-alice-dev-0", "imagenet"]
    archive = cluster.objects("configmaps", "ws-vision")[C.LIFECYCLE_ARCHIVE_CONFIGMAP]
    assert [e["event"] for e in json.loads(archive["data"]["alice-dev"])] == ["created", "stopped", "started", "restarted", "deleted"]
    assert call(gpu_environment, name="alice-dev", workspace="vision", state="absent")["changed"] is False
    purged = call(gpu_environment, name="alice-dev", workspace="vision", state="absent", delete_home=True)
    assert purged["changed"] is True
    assert sorted(cluster.objects("persistentvolumeclaims", "ws-vision")) == ["imagenet"]


def test_capacity_check_names_what_is_short(call, cluster):
    call(gpu_workspace, **workspace_args())
    imagenet(cluster)
    cluster.seed(gpu_node_obj("gpu-a1", gpus=8), gpu_node_obj("gpu-h1", model="NVIDIA-H100-80GB-HBM3", gpus=8))
    # quota: 4 GPUs in the workspace; ask for 6
    result = call(gpu_environment, **env_args(gpus=6))
    assert result["failed"] is True
    assert "workspace quota opsforge-quota/requests.nvidia.com/gpu: 6 needed, 4 left of 4" in result["msg"]
    assert cluster.objects("statefulsets", "ws-vision") == {}, "nothing is written when capacity is short"

    # node: only 1 A100 free once other pods hold 7
    call(gpu_workspace, **workspace_args(quota={"gpus": {"nvidia.com/gpu": 16}}))
    from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import K8sApi
    K8sApi(cluster.api_client()).create("Namespace", {"metadata": {"name": "batch"}})
    cluster.seed(busy_pod("train", "batch", "gpu-a1", 7))
    result = call(gpu_environment, **env_args(gpus=2))
    assert result["failed"] is True
    assert "no schedulable node has 2 free nvidia.com/gpu of model NVIDIA-A100-SXM4-80GB" in result["msg"]
    assert "most free: gpu-a1 with 1" in result["msg"]

    result = call(gpu_environment, **env_args(gpus=1, gpu_model="Tesla-V100"))
    assert result["failed"] is True
    assert "models in the cluster: NVIDIA-A100-SXM4-80GB, NVIDIA-H100-80GB-HBM3" in result["msg"]

    ok = call(gpu_environment, **env_args(gpus=1))
    assert ok["changed"] is True


def test_capacity_sees_node_selector_taints_and_tolerations(call, cluster):
    call(gpu_workspace, **workspace_args(quota=None))
    imagenet(cluster)
    research = gpu_node_obj("gpu-r1")
    research["metadata"]["labels"]["pool"] = "research"
    batch = gpu_node_obj("gpu-b1")
    batch["metadata"]["labels"]["pool"] = "batch"
    batch["spec"]["taints"].append({"key": "dedicated", "value": "batch", "effect": "NoSchedule"})
    from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import K8sApi
    K8sApi(cluster.api_client()).create("Namespace", {"metadata": {"name": "batch"}})
    cluster.seed(research, batch, busy_pod("train", "batch", "gpu-r1", 7))
    pinned = call(gpu_environment, **env_args(node_selector={"pool": "research"}))
    assert pinned["failed"] is True
    assert "most free: gpu-r1 with 1" in pinned["msg"]
    assert "gpu-b1 (node_selector pool=research: node has pool=batch)" in pinned["msg"]
    anywhere = call(gpu_environment, **env_args())
    assert anywhere["failed"] is True
    assert "gpu-b1 (taint dedicated=batch:NoSchedule is not tolerated)" in anywhere["msg"]
    assert cluster.objects("statefulsets", "ws-vision") == {} and cluster.objects("secrets", "ws-vision") == {}
    tolerated = call(gpu_environment, **env_args(tolerations=[{"key": "dedicated", "value": "batch"}]))
    assert tolerated["changed"] is True


def test_mig_environment_and_bad_input(call, cluster):
    call(gpu_workspace, **workspace_args(quota=None))
    imagenet(cluster)
    cluster.seed(gpu_node_obj("gpu-m1", gpus=7, key="nvidia.com/mig-1g.10gb"))
    result = call(gpu_environment, **env_args(name="nb", sharing="mig", mig_profile="1g.10gb", gpus=1))
    assert result["changed"] is True
    assert result["environment"]["resource_key"] == "nvidia.com/mig-1g.10gb"
    bad = call(gpu_environment, **env_args(name="nb2", ssh={"enabled": True, "authorized_keys": ["not a key"]}))
    assert bad["failed"] is True and "not an OpenSSH public key line" in bad["msg"]
    missing_ws = call(gpu_environment, **env_args(workspace="nope"))
    assert missing_ws["failed"] is True and "ws-nope does not exist" in missing_ws["msg"]


def test_wait_reports_why_the_pod_is_not_ready(call, cluster):
    call(gpu_workspace, **workspace_args())
    imagenet(cluster)
    cluster.seed(gpu_node_obj("gpu-a1"))
    cluster.seed({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "alice-dev-0", "namespace": "ws-vision"},
                  "spec": {"containers": [{"name": "env", "image": "pytorch:2.4"}]},
                  "status": {"phase": "Pending", "conditions": [
                      {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                       "message": "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."}]}})
    result = call(gpu_environment, **env_args(wait=True, wait_timeout=1, wait_sleep=1))
    assert result["failed"] is True
    assert "Timed out after 1s" in result["msg"]
    assert "Pending, not scheduled: Unschedulable: 0/1 nodes are available: 1 Insufficient nvidia.com/gpu." in result["msg"]


# -- nodes ----------------------------------------------------------------------------------------
def test_node_info_and_maintenance(call, cluster):
    call(gpu_workspace, **workspace_args())
    imagenet(cluster)
    cluster.seed(gpu_node_obj("gpu-a1"), gpu_node_obj("gpu-a2", unschedulable=True),
                 {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "cpu-1"},
                  "status": {"allocatable": {"cpu": "8"}}})
    call(gpu_environment, **env_args())
    labels = C.environment_labels("vision", "alice-dev", "alice")
    cluster.seed(busy_pod("alice-dev-0", "ws-vision", "gpu-a1", 2, labels=labels))
    info = call(gpu_node_info)
    assert [n["name"] for n in info["nodes"]] == ["gpu-a1", "gpu-a2"]
    a1 = info["nodes"][0]
    assert (a1["allocatable"], a1["allocated"], a1["free"]) == ({"nvidia.com/gpu": 8}, {"nvidia.com/gpu": 2}, {"nvidia.com/gpu": 6})
    assert a1["schedulable"] is True and info["nodes"][1]["schedulable"] is False
    assert a1["environments"][0]["environment"] == "alice-dev"
    assert info["totals"]["NVIDIA-A100-SXM4-80GB"]["free"] == {"nvidia.com/gpu": 6}
    assert info["totals"]["NVIDIA-A100-SXM4-80GB"]["nodes"] == 2

    check = call(gpu_node, check=True, name="gpu-a1", state="maintenance", drain=True, reason="driver upgrade")
    assert check["changed"] is True
    assert check["drained"][0]["environment"] == "alice-dev"
    assert cluster.objects("statefulsets", "ws-vision")["alice-dev"]["spec"]["replicas"] == 1
    assert not cluster.objects("nodes")["gpu-a1"]["spec"].get("unschedulable")

    done = call(gpu_node, name="gpu-a1", state="maintenance", drain=True, reason="driver upgrade")
    assert done["changed"] is True
    assert done["node"]["cordoned"] is True and done["node"]["maintenance"] == "driver upgrade"
    sts = cluster.objects("statefulsets", "ws-vision")["alice-dev"]
    assert sts["spec"]["replicas"] == 0
    assert sts["metadata"]["annotations"][C.STOPPED_BY_ANNOTATION] == "gpu_node:maintenance:gpu-a1"
    assert "driver upgrade" in sts["metadata"]["annotations"][C.NOTICE_ANNOTATION]

    back = call(gpu_node, name="gpu-a1", state="present")
    assert back["changed"] is True and back["node"]["cordoned"] is False and back["node"]["maintenance"] is None
    assert call(gpu_node, name="gpu-a1", state="present")["changed"] is False

    missing = call(gpu_node, name="gpu-zz")
    assert missing["failed"] is True and "not registered" in missing["msg"]


def test_unreachable_api_is_a_clear_error(call, cluster):
    from ansible_collections.opsforge.infra.tests.integration.kmock_cluster import free_port

    port = free_port(20400, 20499)  # nothing listens there
    result = call(gpu_node_info, host="http://127.0.0.1:%d" % port, api_key="x")
    assert result["failed"] is True
    assert "Could not reach the Kubernetes API" in result["msg"]


def test_playbook_with_module_defaults_group(cluster, tmp_path):
    """What users write: auth once in ``module_defaults: group/opsforge.infra.k8s``; check mode
    then apply then apply again, through ansible-playbook."""
    import os
    import subprocess
    import sys

    playbook = tmp_path / "play.yml"
    playbook.write_text("""
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/opsforge.infra.k8s:
      kubeconfig: %s
  tasks:
    - name: Workspace
      opsforge.infra.gpu_workspace:
        name: vision
        quota:
          gpus:
            nvidia.com/gpu: 4
      register: ws
    - name: Inventory
      opsforge.infra.gpu_node_info:
      register: inv
    - name: Show
      ansible.builtin.debug:
        msg: "ws={{ ws.changed }} ns={{ ws.workspace.namespace if ws.workspace else '' }} nodes={{ inv.nodes | length }}"
""" % cluster.kubeconfig)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(root, ".build", "collections"),
               ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
           "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)]

    def play(*extra):
        proc = subprocess.run(cmd + list(extra), env=env, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    out = play("--check")
    assert "ws=True ns=ws-vision nodes=0" in out
    assert cluster.objects("namespaces") == {}
    assert "ws=True ns=ws-vision" in play()
    assert "ws-vision" in cluster.objects("namespaces")
    assert "ws=False ns=ws-vision" in play()


# -- the whole onboarding through the job-template playbooks (#21) ----------------------------
def test_onboarding_playbooks_check_on_an_empty_cluster_then_for_real(cluster):
    """Workspace, image catalogue and first environment: ``--check`` on a cluster without the
    namespace predicts every task and writes nothing; the real run does it; a second check
    predicts no change."""
    import os
    import sys

    from ansible_collections.opsforge.infra.tests.lab import lab_env, run_playbook

    registry = lab_env()["LAB_REGISTRY"]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    playbook = "".join("- ansible.builtin.import_playbook: %s\n" % os.path.join(root, "playbooks", name)
                       for name in ("gpu_onboard_team.yml", "gpu_launch_environment.yml"))
    extra = {
        "ansible_python_interpreter": sys.executable,
        "gpu_onboard_team_name": "vision", "gpu_onboard_team_image_policy": "catalogue",
        "gpu_onboard_team_members": [{"name": "Alice", "role": "admin"}, {"name": "alice", "role": "view"}],
        "gpu_onboard_team_images": [{"name": "testapp", "repository": "%s/opsforge/testapp" % registry,
                                     "versions": ["1.0", "2.0"], "default": "2.0"}],
        "gpu_onboard_team_registry_insecure": True,
        "gpu_launch_environment_name": "alice-dev", "gpu_launch_environment_workspace": "vision",
        "gpu_launch_environment_owner": "alice", "gpu_launch_environment_catalogue_image": "testapp",
        "gpu_launch_environment_ssh_keys": [SSH_KEY], "gpu_launch_environment_wait": False,
    }
    cluster.seed(gpu_node_obj("gpu-a1"))
    env = {"K8S_AUTH_KUBECONFIG": cluster.kubeconfig}

    check = run_playbook(playbook, extra, check=True, inventory="localhost,", env=env, timeout=300)
    assert check.rc == 0, check.explain()
    assert cluster.objects("namespaces") == {} and cluster.objects("configmaps") == {}
    predicted = check.task_results("Environment")[0]
    assert predicted["changed"] is True and predicted["environment"]["gpus"] == 1
    assert check.task_results("Image catalogue")[0]["results"][0]["image"]["versions"][1]["digest"].startswith("sha256:")

    real = run_playbook(playbook, extra, inventory="localhost,", env=env, timeout=300)
    assert real.rc == 0, real.explain()
    sts = cluster.objects("statefulsets", "ws-vision")["alice-dev"]
    image = sts["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == real.task_results("Image catalogue")[0]["results"][0]["image"]["versions"][1]["reference"]
    assert image.startswith("%s/opsforge/testapp:2.0@sha256:" % registry)
    subjects = sorted(b["subjects"][0]["name"] for b in cluster.objects("rolebindings", "ws-vision").values())
    assert subjects == ["Alice", "alice"]
    assert cluster.objects("namespaces")["ws-vision"]["metadata"]["annotations"][C.IMAGE_POLICY_ANNOTATION] == "catalogue"

    again = run_playbook(playbook, extra, check=True, inventory="localhost,", env=env, timeout=300)
    assert again.rc == 0 and again.changed() == 0, again.explain()
