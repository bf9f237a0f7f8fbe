# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_environment and gpu_environment_info with the API client injected (FakeApi)."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment import (
    EnvironmentService,
    list_environments,
    pod_problem,
    runtime_seconds,
)
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.modules import gpu_environment
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.k8s.test_k8s_fake_api import FakeApi, namespace
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import inject_api, run_module

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH9H2x1ss7cWmBuY3 alice@laptop"
A100 = "NVIDIA-A100-SXM4-80GB"


def node(name, gpus=8, model=A100, key=C.GPU_RESOURCE, cordoned=False):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {C.GPU_PRODUCT_LABEL: model}},
            "spec": {"unschedulable": cordoned},
            "status": {"allocatable": {key: str(gpus)}, "capacity": {key: str(gpus)},
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "10.0.0.7"}]}}


def quota(hard, used=None):
    obj = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "opsforge-quota", "namespace": "ws-vision"},
           "spec": {"hard": hard}}
    if used is not None:
        obj["status"] = {"hard": hard, "used": used}
    return obj


def params(**extra):
    out = dict(name="alice-dev", workspace="vision", namespace=None, owner="alice", state="present", image="pytorch:2.4",
               image_pull_policy=None, command=None, args=None, env={"EPOCHS": 3}, cpu="8", memory="32Gi", gpus=2,
               gpu_model=A100, sharing="whole", mig_profile=None, node_selector=None, home_size="50Gi",
               home_mount_path="/home/user", storage_class=None, datasets=[{"claim": "imagenet", "mount_path": None,
                                                                           "sub_path": None}],
               ssh={"enabled": True, "authorized_keys": [KEY], "port": 22},
               jupyter={"enabled": True, "token": None, "port": 8888}, rdp=None, service_type="ClusterIP",
               max_lifetime="8h", idle_policy=None, capacity_check=True, stopped_by="user", notice=None,
               delete_home=False, wait=False, wait_timeout=10, wait_sleep=1)
    out.update(extra)
    return out


IMAGENET = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "imagenet", "namespace": "ws-vision"},
            "spec": {"accessModes": ["ReadOnlyMany"]}}


def cluster(*extra):
    return FakeApi([namespace(), node("gpu-a1"), IMAGENET] + list(extra))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def service(api, clock=None):
    clock = clock or Clock()
    return EnvironmentService(api, sleep=clock.sleep, clock=clock)


def sts_of(api):
    return api.get("StatefulSet", "alice-dev", "ws-vision")


def events_of(api):
    return [e["event"] for e in C.read_lifecycle(sts_of(api)["metadata"]["annotations"])]


def test_create_builds_the_environment_and_is_idempotent():
    api = cluster()
    result = service(api).run(params())
    assert result["changed"] is True
    env = result["environment"]
    assert (env["gpus"], env["gpu_model"], env["resource_key"], env["state"]) == (2, A100, "nvidia.com/gpu", "starting")
    assert env["max_lifetime"] == "8h" and env["home_claim"] == "home-alice-dev-0"
    sts = sts_of(api)
    spec = sts["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["resources"]["requests"] == {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "2"}
    assert {"name": "data-imagenet", "mountPath": "/data/imagenet", "readOnly": True} in container["volumeMounts"]
    assert {"name": "EPOCHS", "value": "3"} in container["env"]
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert events_of(api) == ["created"]
    ssh = api.get("Secret", "alice-dev-ssh", "ws-vision")
    assert base64.b64decode(ssh["data"]["authorized_keys"]).decode() == KEY + "\n"
    token = api.get("Secret", "alice-dev-jupyter", "ws-vision")["data"]["token"]
    assert len(base64.b64decode(token)) >= 24
    svc = api.get("Service", "alice-dev", "ws-vision")
    assert [(p["name"], p["port"]) for p in svc["spec"]["ports"]] == [("ssh", 22), ("jupyter", 8888)]

    api.writes.clear()
    again = service(api).run(params())
    assert again["changed"] is False and api.writes == []
    assert api.get("Secret", "alice-dev-jupyter", "ws-vision")["data"]["token"] == token, "generated token is kept"


def test_check_mode_writes_nothing_and_predicts():
    api = cluster()
    api.dry_run = True
    result = service(api).run(params())
    assert result["changed"] is True and api.writes == []
    assert result["diff"]["before"] is None and result["diff"]["after"]["gpus"] == 2


def test_image_change_on_a_running_environment_is_a_restart_event():
    api = cluster()
    service(api).run(params())
    result = service(api).run(params(image="pytorch:2.5"))
    assert result["changed"] is True
    assert result["diff"]["before"]["image"] == "pytorch:2.4" and result["diff"]["after"]["image"] == "pytorch:2.5"
    assert events_of(api) == ["created", "restarted"]


def test_stop_start_restart_record_lifecycle():
    api = cluster()
    service(api).run(params())
    stopped = service(api).run(params(state="stopped", stopped_by="reaper:lifetime", notice="8h reached"))
    assert stopped["changed"] and stopped["environment"]["state"] == "stopped"
    ann = sts_of(api)["metadata"]["annotations"]
    assert ann[C.STOPPED_BY_ANNOTATION] == "reaper:lifetime" and ann[C.NOTICE_ANNOTATION] == "8h reached"
    assert service(api).run(params(state="stopped"))["changed"] is False
    started = service(api).run(params(state="started"))
    assert started["changed"] and C.STOPPED_BY_ANNOTATION not in sts_of(api)["metadata"]["annotations"]
    restarted = service(api).run(params(state="restarted"))
    assert restarted["changed"]
    assert events_of(api) == ["created", "stopped", "started", "restarted"]
    last = C.read_lifecycle(sts_of(api)["metadata"]["annotations"])[-1]
    assert (last["gpus"], last["gpu_model"], last["cpu"], last["memory"], last["storage"]) == (2, A100, "8", "32Gi", "50Gi")


def test_stop_of_a_missing_environment_is_an_error():
    with pytest.raises(K8sError, match="does not exist in workspace vision: nothing to stop"):
        service(cluster()).run(params(state="stopped"))


def test_absent_keeps_home_unless_asked_and_archives_lifecycle():
    home = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "home-alice-dev-0", "namespace": "ws-vision"}, "spec": {}}
    api = cluster()
    service(api).run(params())
    api.put(home)
    result = service(api).run(params(state="absent"))
    assert result["changed"] and result["environment"] is None
    assert api.objects("StatefulSet") == {} and api.objects("Secret") == {} and api.objects("Service") == {}
    assert "home-alice-dev-0" in api.objects("PersistentVolumeClaim") and "imagenet" in api.objects("PersistentVolumeClaim")
    archived = json.loads(api.get("ConfigMap", C.LIFECYCLE_ARCHIVE_CONFIGMAP, "ws-vision")["data"]["alice-dev"])
    assert [e["event"] for e in archived] == ["created", "deleted"] and archived[-1]["gpus"] == 2
    assert service(api).run(params(state="absent"))["changed"] is False
    assert service(api).run(params(state="absent", delete_home=True))["changed"] is True
    assert list(api.objects("PersistentVolumeClaim")) == ["imagenet"], "datasets are never deleted"


def test_quota_shortfall_from_controller_status_names_the_key():
    api = cluster(quota({"requests.nvidia.com/gpu": "4", "requests.memory": "64Gi"},
                        {"requests.nvidia.com/gpu": "3", "requests.memory": "40Gi"}))
    with pytest.raises(K8sError) as err:
        service(api).run(params())
    assert err.value.msg == ("Not enough capacity to create environment alice-dev: "
                             "workspace quota opsforge-quota/requests.nvidia.com/gpu: 2 needed, 1 left of 4; "
                             "workspace quota opsforge-quota/requests.memory: 32Gi needed, 24Gi left of 64Gi")
    assert api.writes == []


def test_quota_usage_is_counted_from_pods_without_controller_status():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ws-vision"},
           "spec": {"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "3"}}}]},
           "status": {"phase": "Running"}}
    api = cluster(quota({"requests.nvidia.com/gpu": "4"}), pod)
    with pytest.raises(K8sError, match="2 needed, 1 left of 4"):
        service(api).run(params())


def test_node_shortfall_cordoned_and_model_missing():
    api = FakeApi([namespace(), node("gpu-a1", gpus=8, cordoned=True), node("gpu-a2", gpus=1), IMAGENET])
    with pytest.raises(K8sError) as err:
        service(api).run(params())
    assert ("no schedulable node has 2 free nvidia.com/gpu of model %s (2 node(s) offer nvidia.com/gpu; "
            "most free: gpu-a2 with 1; 1 cordoned, not ready or tainted)" % A100) in err.value.msg
    with pytest.raises(K8sError, match="models in the cluster: NVIDIA-A100-SXM4-80GB"):
        service(api).run(params(gpu_model="H100"))
    assert service(api).run(params(capacity_check=False))["changed"] is True


def test_start_checks_capacity_again():
    api = cluster()
    service(api).run(params())
    service(api).run(params(state="stopped"))
    api.put(quota({"requests.nvidia.com/gpu": "1"}, {"requests.nvidia.com/gpu": "0"}))
    with pytest.raises(K8sError, match="to start environment alice-dev"):
        service(api).run(params(state="started"))


@pytest.mark.parametrize("bad,message", [
    (dict(name="Alice_Dev"), "environment 'Alice_Dev' is not a valid name"),
    (dict(cpu="0"), "cpu '0': must be more than 0"),
    (dict(memory="lots"), "memory 'lots': invalid quantity"),
    (dict(sharing="mig"), "sharing=mig needs mig_profile"),
    (dict(sharing="mig", mig_profile="big"), "does not look like a MIG profile"),
    (dict(gpus=-1), "gpus must be 0 or more"),
    (dict(max_lifetime="forever"), "max_lifetime: invalid duration"),
    (dict(ssh={"enabled": True, "authorized_keys": [], "port": 22}), "needs at least one ssh.authorized_keys"),
    (dict(rdp={"enabled": True, "port": 22}), "ports must differ"),
    (dict(env={"BAD-NAME": 1}), "not a valid environment variable name"),
    (dict(owner=None), "Creating environment alice-dev needs owner"),
    (dict(owner="alice@example.com"), "owner 'alice@example.com' must be a valid label value"),
    (dict(datasets=[{"claim": "coco", "mount_path": None, "sub_path": None}]), "Dataset PVC(s) coco do not exist"),
])
def test_bad_input_fails_before_any_write(bad, message):
    api = cluster()
    with pytest.raises(K8sError) as err:
        service(api).run(params(**bad))
    assert message in err.value.msg
    assert api.writes == []


def test_missing_workspace_and_foreign_statefulset():
    with pytest.raises(K8sError, match="ws-vision does not exist: create it with opsforge.infra.gpu_workspace"):
        service(FakeApi()).run(params())
    foreign = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "alice-dev", "namespace": "ws-vision"},
               "spec": {"replicas": 1}}
    with pytest.raises(K8sError, match="is not environment alice-dev of workspace vision"):
        service(cluster(foreign)).run(params())


def test_home_size_is_immutable():
    api = cluster()
    service(api).run(params())
    with pytest.raises(K8sError, match="home_size of environment alice-dev cannot change from 50Gi to 80Gi"):
        service(api).run(params(home_size="80Gi"))


def _pod(status):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "alice-dev-0", "namespace": "ws-vision"},
            "spec": {"nodeName": "gpu-a1", "containers": [{"name": "env"}]}, "status": status}


@pytest.mark.parametrize("status,expected", [
    ({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                          "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}]},
     "Pending, not scheduled: Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu."),
    ({"phase": "Pending", "containerStatuses": [{"name": "env", "image": "pytorch:9", "state": {"waiting": {
        "reason": "ImagePullBackOff", "message": "Back-off pulling image \"pytorch:9\""}}}]},
     'image pull error for pytorch:9: ImagePullBackOff: Back-off pulling image "pytorch:9"'),
    ({"phase": "Running", "containerStatuses": [{"name": "env", "restartCount": 4, "state": {"waiting": {
        "reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]},
     "container env crashed: CrashLoopBackOff, last exit code 1 (Error), restarts 4"),
    ({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}, None),
])
def test_pod_problem_explains(status, expected):
    assert pod_problem(_pod(status)) == expected


def test_wait_fails_fast_on_crash_and_times_out_with_reason():
    api = cluster()
    crash = _pod({"phase": "Running", "containerStatuses": [{"name": "env", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                                             "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]})
    api.put(crash)
    clock = Clock()
    with pytest.raises(K8sError) as err:
        service(api, clock).run(params(wait=True, wait_timeout=60))
    assert "will not become ready: container env crashed: CrashLoopBackOff, last exit code 137 (OOMKilled)" in err.value.msg
    assert clock.now == 0, "a crash loop is reported at once"

    api2 = cluster()
    clock = Clock()
    with pytest.raises(K8sError) as err:
        service(api2, clock).run(params(wait=True, wait_timeout=6, wait_sleep=2))
    assert err.value.msg == "Timed out after 6s waiting for environment alice-dev to be ready: pod not created yet"
    assert clock.now == 6


def test_wait_returns_when_ready():
    api = cluster(_pod({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}))
    result = service(api).run(params(wait=True))
    assert result["environment"]["state"] == "running" and result["environment"]["pod"]["ready"] is True


def test_nodeport_access_uses_a_node_address():
    api = cluster()
    service(api).run(params(service_type="NodePort"))
    svc = api.get("Service", "alice-dev", "ws-vision")
    for port, number in zip(svc["spec"]["ports"], (30022, 30888)):
        port["nodePort"] = number
    api.put(svc)
    env = list_environments(api, workspace="vision")[0]
    assert env["access"]["ssh"]["command"] == "ssh -p 30022 user@10.0.0.7"
    assert env["access"]["jupyter"] == {"url": "http://10.0.0.7:30888/lab", "token_secret": "alice-dev-jupyter"}


def test_runtime_seconds_sums_running_intervals():
    events = [{"event": "created", "at": "2026-11-01T00:00:00Z"}, {"event": "stopped", "at": "2026-11-01T02:00:00Z"},
              {"event": "started", "at": "2026-11-01T03:00:00Z"}, {"event": "restarted", "at": "2026-11-01T03:30:00Z"},
              {"event": "deleted", "at": "2026-11-01T04:00:00Z"}]
    assert runtime_seconds(events) == 3 * 3600


def test_info_uses_three_list_calls_for_many_environments():
    api = cluster()
    for number in range(5):
        service(api).run(params(name="e%d" % number, gpus=0, ssh=None, jupyter=None, capacity_check=False))
    api.calls.clear()
    envs = list_environments(api, workspace="vision")
    assert [e["name"] for e in envs] == ["e0", "e1", "e2", "e3", "e4"]
    assert api.calls == {"list": 3}


def _run(monkeypatch, capsys, module, api, check=False, **args):
    inject_api(monkeypatch, module, api)
    return run_module(capsys, module, check=check, **args)


def test_module_hides_the_jupyter_token(monkeypatch, capsys):
    api = cluster()
    args = dict(name="alice-dev", workspace="vision", owner="alice", image="pytorch:2.4", gpus=1, wait=False,
                jupyter={"enabled": True, "token": "very-secret-token"})
    result = _run(monkeypatch, capsys, gpu_environment, api, check=True, **args)
    assert result["changed"] is True and api.writes == []
    result = _run(monkeypatch, capsys, gpu_environment, api, **args)
    assert result["changed"] is True
    assert "very-secret-token" not in json.dumps(result)
    assert base64.b64decode(api.get("Secret", "alice-dev-jupyter", "ws-vision")["data"]["token"]) == b"very-secret-token"
    assert _run(monkeypatch, capsys, gpu_environment, api, **args)["changed"] is False
    failed = _run(monkeypatch, capsys, gpu_environment, api, name="x", workspace="vision", state="stopped")
    assert failed["failed"] is True and "nothing to stop" in failed["msg"]


def test_start_without_image_keeps_the_live_spec():
    api = cluster()
    service(api).run(params(gpus=3, cpu="12", sharing="mig", mig_profile="2g.20gb", gpu_model=None, capacity_check=False))
    service(api).run(params(state="stopped"))
    before = sts_of(api)["spec"]["template"]
    bare = dict(name="alice-dev", workspace="vision", state="started", image=None, owner=None, gpus=1, cpu="4",
                memory="16Gi", ssh=None, jupyter=None, datasets=[], capacity_check=False)
    result = service(api).run(params(**bare))
    assert result["changed"] is True
    assert sts_of(api)["spec"]["template"] == before, "nothing but replicas changes"
    assert sts_of(api)["spec"]["replicas"] == 1
    last = C.read_lifecycle(sts_of(api)["metadata"]["annotations"])[-1]
    assert (last["event"], last["gpus"], last["resource_key"], last["cpu"]) == ("started", 3, "nvidia.com/mig-2g.20gb", "12")
    assert service(api).run(params(**bare))["changed"] is False
    restart_args = dict(bare)
    restart_args["state"] = "restarted"
    restarted = service(api).run(params(**restart_args))
    assert restarted["changed"] is True and events_of(api)[-1] == "restarted"
    assert C.RESTARTED_AT_ANNOTATION in sts_of(api)["spec"]["template"]["metadata"]["annotations"]


def test_check_mode_stop_and_start_predict_the_state():
    api = cluster()
    service(api).run(params())
    api.dry_run = True
    stopped = service(api).run(params(state="stopped"))
    assert stopped["changed"] and stopped["environment"]["state"] == "stopped" and stopped["environment"]["image"] == "pytorch:2.4"
    assert api.writes[-1][0] == "create", "nothing written in check mode"
    api.dry_run = False
    service(api).run(params(state="stopped"))
    api.dry_run = True
    started = service(api).run(params(state="started", image=None))
    assert started["changed"] and started["environment"]["state"] == "starting"
    assert started["diff"]["before"]["state"] == "stopped"


def test_wait_for_stop_times_out_while_the_pod_remains():
    api = cluster(_pod({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}))
    service(api).run(params())
    clock = Clock()
    with pytest.raises(K8sError) as err:
        service(api, clock).run(params(state="stopped", wait=True, wait_timeout=4, wait_sleep=2))
    assert err.value.msg == "Timed out after 4s waiting for environment alice-dev to be stopped: pod alice-dev-0 still exists"
    assert sts_of(api)["spec"]["replicas"] == 0, "the stop itself was done"


def test_check_mode_result_is_the_servers_dry_run_answer():
    api = cluster()
    service(api).run(params())
    api.dry_run = True
    result = service(api).run(params(state="stopped", stopped_by="reaper:idle"))
    env = result["environment"]
    assert (env["state"], env["stopped_by"]) == ("stopped", "reaper:idle")
    assert [e["event"] for e in env["lifecycle"]] == ["created", "stopped"], "the lifecycle the server would store"
    assert events_of(api) == ["created"], "and nothing stored"


def test_restart_waits_for_the_new_pod():
    api = cluster(_pod({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}))
    service(api).run(params())
    clock = Clock()
    with pytest.raises(K8sError) as err:
        service(api, clock).run(params(state="restarted", wait=True, wait_timeout=4, wait_sleep=2))
    assert err.value.msg.endswith("to be ready: the old pod alice-dev-0 is still being replaced")


def test_present_waits_even_when_nothing_changed():
    api = cluster()
    service(api).run(params())
    clock = Clock()
    with pytest.raises(K8sError, match="Timed out after 4s waiting for environment alice-dev to be ready: pod not created yet"):
        service(api, clock).run(params(wait=True, wait_timeout=4, wait_sleep=2))


def test_growing_a_running_environment_checks_only_the_difference():
    api = cluster(quota({"requests.nvidia.com/gpu": "4"}))
    service(api).run(params(gpus=2))
    running = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "alice-dev-0", "namespace": "ws-vision"},
               "spec": {"nodeName": "gpu-a1", "containers": [{"name": "env", "resources": {"limits": {"nvidia.com/gpu": "2"}}}]},
               "status": {"phase": "Running"}}
    api.put(running)
    assert service(api).run(params(gpus=4))["changed"] is True, "2 more fit the quota of 4 (2 used by itself)"
    api.put(dict(running, spec=dict(running["spec"], containers=[{"name": "env", "resources": {"limits": {"nvidia.com/gpu": "4"}}}])))
    with pytest.raises(K8sError) as err:
        service(api).run(params(gpus=6))
    assert err.value.msg == ("Not enough capacity to give environment alice-dev 6 nvidia.com/gpu: "
                             "workspace quota opsforge-quota/requests.nvidia.com/gpu: 2 needed, 0 left of 4")
    assert C.read_lifecycle(sts_of(api)["metadata"]["annotations"])[-1]["gpus"] == 4


def test_growing_beyond_the_node_names_the_node():
    api = cluster()
    service(api).run(params(gpus=6))
    api.put({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "alice-dev-0", "namespace": "ws-vision"},
             "spec": {"nodeName": "gpu-a1", "containers": [{"name": "env", "resources": {"limits": {"nvidia.com/gpu": "6"}}}]},
             "status": {"phase": "Running"}})
    assert service(api).run(params(gpus=8))["changed"] is True, "its own 6 GPUs come back on gpu-a1"
    with pytest.raises(K8sError, match="no schedulable node has 9 free nvidia.com/gpu .*most free: gpu-a1 with 8"):
        service(api).run(params(gpus=9))


# -- every input validated before the first write (#21) -----------------------------------------
def _ds(mount_path=None, sub_path=None, claim="imagenet"):
    return [{"claim": claim, "mount_path": mount_path, "sub_path": sub_path}]


@pytest.mark.parametrize("bad,message", [
    (dict(datasets=_ds("/data/../etc")), "datasets[imagenet].mount_path '/data/../etc' must not contain '..'"),
    (dict(datasets=_ds("/home/user")), "datasets[imagenet].mount_path '/home/user' would hide the home directory /home/user"),
    (dict(datasets=_ds("/home")), "datasets[imagenet].mount_path '/home' would hide the home directory /home/user"),
    (dict(datasets=_ds("/etc/ssl")), "datasets[imagenet].mount_path '/etc/ssl' is inside the system directory /etc"),
    (dict(datasets=_ds("data/x")), "datasets[imagenet].mount_path 'data/x' must be an absolute path"),
    (dict(datasets=_ds(sub_path="../../x")), "datasets[imagenet].sub_path '../../x' must not contain '..'"),
    (dict(datasets=_ds(sub_path="/etc")), "datasets[imagenet].sub_path '/etc' must be relative to the volume"),
    (dict(datasets=_ds("/data/a") + _ds("/data/a/", claim="coco")), "mount path /data/a is used twice"),
    (dict(home_mount_path="home/user"), "home_mount_path 'home/user' must be an absolute path"),
    (dict(home_mount_path="/"), "home_mount_path '/' must not be the root directory"),
    (dict(home_mount_path="/usr/local"), "home_mount_path '/usr/local' is inside the system directory /usr"),
    (dict(idle_policy={"threshold": "abc"}), "idle_policy.threshold 'abc' must be a number from 0 to 100"),
    (dict(idle_policy={"threshold": 150}), "idle_policy.threshold 150 must be a number from 0 to 100"),
    (dict(idle_policy={"idle_minutes": "soon"}), "idle_policy.idle_minutes 'soon' must be a whole number of minutes"),
    (dict(idle_policy={"idle_minutes": 0}), "idle_policy.idle_minutes 0 must be at least 1"),
    (dict(idle_policy={"enabled": "maybe"}), "idle_policy.enabled 'maybe' must be true or false"),
    (dict(idle_policy={"minutes": 30}), "idle_policy: unknown key 'minutes' (known: enabled, grace_minutes, idle_minutes,"),
    (dict(max_lifetime="0h"), "max_lifetime '0h' must be longer than 0"),
])
def test_paths_and_policies_are_validated_before_any_write(bad, message):
    api = cluster(dict(IMAGENET, metadata=dict(IMAGENET["metadata"], name="coco")))
    with pytest.raises(K8sError) as err:
        service(api).run(params(**bad))
    assert message in err.value.msg
    assert api.writes == []


def test_harmless_path_spellings_are_normalised_and_the_policy_typed():
    api = cluster()
    service(api).run(params(datasets=_ds("/data//imagenet/", "./train/2017/"), home_mount_path="/home/user/",
                            idle_policy={"threshold": "5", "idle_minutes": "30", "enabled": "yes"}))
    sts = sts_of(api)
    mounts = {m["name"]: m for m in sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert mounts["data-imagenet"]["mountPath"] == "/data/imagenet" and mounts["data-imagenet"]["subPath"] == "train/2017"
    assert mounts["home"]["mountPath"] == "/home/user"
    assert json.loads(sts["metadata"]["annotations"][C.IDLE_POLICY_ANNOTATION]) == {
        "enabled": True, "idle_minutes": 30, "threshold": 5}


def test_idle_policy_keys_are_the_ones_the_reaper_reads():
    from ansible_collections.opsforge.infra.plugins.module_utils._k8s import environment_input, reaper

    assert set(environment_input.IDLE_POLICY_TYPES) == set(reaper.POLICY_KEYS)


# -- a create that fails half way removes what it made (#21) ------------------------------------
def test_failed_create_removes_the_secrets_and_service_it_made():
    api = cluster()
    api.fail[("create", "StatefulSet")] = K8sError("Kubernetes API refused to create StatefulSet ws-vision/alice-dev: "
                                                   "422 Invalid: spec.template.spec.containers[0].image: Required",
                                                   status=422, reason="Invalid")
    with pytest.raises(K8sError) as err:
        service(api).run(params())
    assert err.value.msg.startswith("Kubernetes API refused to create StatefulSet ws-vision/alice-dev: 422 Invalid")
    assert "removed what this run had created: Secret alice-dev-ssh, Secret alice-dev-jupyter, Service alice-dev" \
        in err.value.msg
    assert api.objects("Secret") == {} and api.objects("Service") == {} and api.objects("StatefulSet") == {}


def test_failed_rollback_says_what_is_left_and_how_to_clear_it():
    api = cluster()
    api.fail[("create", "StatefulSet")] = K8sError("422 Invalid", status=422, reason="Invalid")
    api.fail[("delete", "Service")] = K8sError("403 Forbidden", status=403, reason="Forbidden")
    with pytest.raises(K8sError) as err:
        service(api).run(params())
    assert "left behind: Service alice-dev (403 Forbidden)" in err.value.msg
    assert "state: absent for environment alice-dev in workspace vision removes them" in err.value.msg
    assert err.value.details["left_behind"] == ["Service alice-dev"]
    assert list(api.objects("Service")) == ["alice-dev"] and api.objects("Secret") == {}
    del api.fail[("delete", "Service")]
    assert service(api).run(params(state="absent"))["changed"] is True
    assert api.objects("Service") == {}


def test_failed_update_keeps_objects_that_existed_before():
    api = cluster()
    service(api).run(params())
    api.fail[("patch", "StatefulSet")] = K8sError("422 Invalid", status=422, reason="Invalid")
    with pytest.raises(K8sError):
        service(api).run(params(image="pytorch:2.5"))
    assert sorted(api.objects("Secret")) == ["alice-dev-jupyter", "alice-dev-ssh"] and "alice-dev" in api.objects("Service")


# -- capacity sees what the scheduler sees (#21) ------------------------------------------------
def _gpu_node(name, gpus=8, labels=None, taints=None, key=C.GPU_RESOURCE, model=A100):
    obj = node(name, gpus=gpus, key=key, model=model)
    obj["metadata"]["labels"].update(labels or {})
    obj["spec"]["taints"] = [{"key": C.GPU_TAINT_KEY, "effect": "NoSchedule"}] + list(taints or [])
    return obj


def _busy(name, node_name, gpus, key=C.GPU_RESOURCE, phase="Running"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "batch"},
            "spec": {"nodeName": node_name, "containers": [{"name": "c", "resources": {"limits": {key: str(gpus)}}}]},
            "status": {"phase": phase}}


def _refusal(api, **extra):
    with pytest.raises(K8sError) as err:
        service(api).run(params(**extra))
    assert api.writes == []
    return err.value.msg


def test_node_selector_pinned_to_a_full_node_is_refused_naming_the_best_candidate():
    api = FakeApi([namespace(), IMAGENET, _gpu_node("gpu-r1", labels={"pool": "research"}),
                   _gpu_node("gpu-b1", labels={"pool": "batch"}), _busy("train", "gpu-r1", 7)])
    msg = _refusal(api, node_selector={"pool": "research"})
    assert "no schedulable node has 2 free nvidia.com/gpu of model %s" % A100 in msg
    assert "most free: gpu-r1 with 1" in msg
    assert "gpu-b1 (node_selector pool=research: node has pool=batch)" in msg
    assert service(api).run(params())["changed"] is True, "without the selector gpu-b1 takes it"


def test_taints_count_unless_tolerated_and_tolerations_reach_the_pod():
    taint = {"key": "dedicated", "value": "teamx", "effect": "NoSchedule"}
    api = FakeApi([namespace(), IMAGENET, _gpu_node("gpu-t1", taints=[taint])])
    msg = _refusal(api)
    assert "best candidate: gpu-t1 with 8 free, but taint dedicated=teamx:NoSchedule is not tolerated" in msg
    wrong = [{"key": "dedicated", "operator": "Equal", "value": "teamy", "effect": "NoSchedule"}]
    assert "not tolerated" in _refusal(api, tolerations=wrong)
    right = [{"key": "dedicated", "operator": "Equal", "value": "teamx", "effect": "NoSchedule"}]
    assert service(api).run(params(tolerations=right))["changed"] is True
    tolerations = sts_of(api)["spec"]["template"]["spec"]["tolerations"]
    assert {"key": "dedicated", "operator": "Equal", "value": "teamx", "effect": "NoSchedule"} in tolerations
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in tolerations


def test_prefer_no_schedule_taints_do_not_block():
    api = FakeApi([namespace(), IMAGENET, _gpu_node("gpu-p1", taints=[{"key": "spot", "effect": "PreferNoSchedule"}])])
    assert service(api).run(params())["changed"] is True


@pytest.mark.parametrize("sharing,profile,key", [("mig", "1g.10gb", "nvidia.com/mig-1g.10gb"),
                                                 ("time-sliced", None, "nvidia.com/gpu.shared")])
def test_mig_and_time_sliced_capacity_counts_requested_slices(sharing, profile, key):
    api = FakeApi([namespace(), IMAGENET, _gpu_node("gpu-s1", gpus=7, key=key), _busy("a", "gpu-s1", 4, key=key),
                   _busy("b", "gpu-s1", 2, key=key, phase="Pending")])
    msg = _refusal(api, sharing=sharing, mig_profile=profile, gpus=2)
    assert "no schedulable node has 2 free %s of model %s" % (key, A100) in msg and "most free: gpu-s1 with 1" in msg
    assert service(api).run(params(sharing=sharing, mig_profile=profile, gpus=1))["changed"] is True


def test_a_bad_toleration_is_refused_before_any_write():
    api = cluster()
    msg = _refusal(api, tolerations=[{"key": "x", "operator": "Exists", "value": "y", "effect": "NoSchedule"}])
    assert "tolerations[1]: operator Exists takes no value" in msg


# -- check mode predicts a whole playbook on an empty cluster (#21) ----------------------------
def test_check_mode_before_the_workspace_exists_predicts_the_creation():
    api = FakeApi([node("gpu-a1")], dry_run=True)
    result = service(api).run(params())
    assert result["changed"] is True and api.writes == []
    env = result["environment"]
    assert (env["name"], env["namespace"], env["gpus"], env["state"]) == ("alice-dev", "ws-vision", 2, "starting")
    assert env["access"]["ssh"]["command"] == "ssh -p 22 user@alice-dev.ws-vision.svc"
    assert result["diff"]["before"] is None
    assert any("ws-vision does not exist yet" in w for w in result["warnings"])


def test_check_mode_before_the_workspace_exists_still_refuses_what_cannot_run():
    api = FakeApi([node("gpu-a1", gpus=1)], dry_run=True)
    with pytest.raises(K8sError, match="most free: gpu-a1 with 1"):
        service(api).run(params())
    with pytest.raises(K8sError, match="Creating environment alice-dev needs image"):
        service(FakeApi([node("gpu-a1")], dry_run=True)).run(params(image=None))
    with pytest.raises(K8sError, match="nothing to stop"):
        service(FakeApi([node("gpu-a1")], dry_run=True)).run(params(state="stopped"))


def test_module_check_mode_on_an_empty_cluster_warns(monkeypatch, capsys):
    warned = []
    monkeypatch.setattr(gpu_environment.AnsibleModule, "warn", lambda self, msg: warned.append(msg))
    api = FakeApi([node("gpu-a1")])
    result = _run(monkeypatch, capsys, gpu_environment, api, check=True, name="alice-dev", workspace="vision",
                  owner="alice", image="pytorch:2.4", gpus=1, wait=False)
    assert result["changed"] is True and result["environment"]["gpus"] == 1 and api.writes == []
    assert any("ws-vision does not exist yet" in w for w in warned)


# -- the image catalogue (#21) -----------------------------------------------------------------
DIGEST1 = "sha256:" + "1" * 64
DIGEST2 = "sha256:" + "2" * 64


def catalogue_entry(name="pytorch", namespace="ws-vision", gpu_models=(), default="2.4"):
    data = {"name": name, "repository": "registry.example.com/ml/pytorch", "description": "PyTorch + CUDA",
            "default": default, "gpu_models": list(gpu_models),
            "versions": [{"tag": "2.4", "digest": DIGEST1}, {"tag": "2.5", "digest": DIGEST2}]}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": C.IMAGE_CONFIGMAP_PREFIX + name, "namespace": namespace,
                         "labels": {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE, C.IMAGE_CATALOGUE_LABEL: name}},
            "data": {"image.json": json.dumps(data)}}


def catalogue_only(api):
    ns = api.get("Namespace", "ws-vision")
    ns["metadata"].setdefault("annotations", {})[C.IMAGE_POLICY_ANNOTATION] = "catalogue"
    api.put(ns)
    return api


def test_catalogue_image_pins_the_digest_of_the_default_or_chosen_version():
    api = cluster(catalogue_entry())
    result = service(api).run(params(image=None, catalogue_image="pytorch"))
    assert result["environment"]["image"] == "registry.example.com/ml/pytorch:2.4@" + DIGEST1
    service(api).run(params(image=None, catalogue_image="pytorch", catalogue_version="2.5"))
    assert sts_of(api)["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "registry.example.com/ml/pytorch:2.5@" + DIGEST2
    api.writes.clear()
    assert service(api).run(params(image=None, catalogue_image="pytorch", catalogue_version="2.5"))["changed"] is False


def test_platform_catalogue_is_seen_by_every_workspace():
    api = cluster(namespace(C.PLATFORM_NAMESPACE), catalogue_entry(namespace=C.PLATFORM_NAMESPACE))
    result = service(api).run(params(image=None, catalogue_image="pytorch"))
    assert result["environment"]["image"].endswith(":2.4@" + DIGEST1)


@pytest.mark.parametrize("extra,message", [
    (dict(image=None, catalogue_image="tensorflow"),
     "catalogue_image 'tensorflow' is not in the image catalogue of workspace vision (known: pytorch)"),
    (dict(image=None, catalogue_image="pytorch", catalogue_version="9.9"),
     "catalogue_version '9.9' of image pytorch is not in the catalogue (versions: 2.4, 2.5)"),
    (dict(image="pytorch:latest"), "image 'pytorch:latest' is not in the image catalogue of workspace vision, which only"
                                   " allows catalogue images (known: pytorch)"),
    (dict(image="registry.example.com/ml/pytorch:2.6"), "is not in the image catalogue of workspace vision"),
])
def test_a_catalogue_only_workspace_refuses_other_images(extra, message):
    api = catalogue_only(cluster(catalogue_entry()))
    with pytest.raises(K8sError) as err:
        service(api).run(params(**extra))
    assert message in err.value.msg and api.writes == []


def test_a_catalogue_only_workspace_accepts_a_catalogue_reference_spelled_as_an_image():
    api = catalogue_only(cluster(catalogue_entry()))
    service(api).run(params(image="registry.example.com/ml/pytorch:2.5"))
    assert sts_of(api)["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":2.5@" + DIGEST2)


def test_catalogue_gpu_models_are_enforced():
    api = cluster(catalogue_entry(gpu_models=["NVIDIA-H100-80GB-HBM3"]))
    with pytest.raises(K8sError, match="image pytorch allows the GPU models NVIDIA-H100-80GB-HBM3, not "
                                       "NVIDIA-A100-SXM4-80GB"):
        service(api).run(params(image=None, catalogue_image="pytorch"))
    assert api.writes == []


def test_check_mode_predicts_the_nodeport_host_the_apply_returns():
    """A NodePort environment is reached on a node's address: check mode names the one the apply reports."""
    api = cluster()
    api.dry_run = True
    predicted = service(api).run(params(service_type="NodePort"))
    api.dry_run = False
    applied = service(api).run(params(service_type="NodePort"))
    assert predicted["environment"]["access"]["host"] == applied["environment"]["access"]["host"] == "10.0.0.7"
    assert predicted["environment"]["access"] == applied["environment"]["access"]
