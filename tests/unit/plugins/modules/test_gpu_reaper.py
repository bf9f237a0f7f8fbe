# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_reaper with the API and Prometheus injected: decisions, warn-then-stop, leaks,
check mode == real run, idempotence, and a constant number of calls."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import reaper
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.modules import gpu_reaper

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DEFAULTS = {"enabled": True, "threshold": 5.0, "idle_minutes": 60, "grace_minutes": 30, "min_runtime_minutes": 60}


def ago(minutes):
    return C.rfc3339(NOW - datetime.timedelta(minutes=minutes))


def merge(target, patch):
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


class FakeApi:
    """Dict store with K8sApi's list/patch/delete signatures; counts calls like K8sApi.calls."""

    def __init__(self, objects):
        self.store = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): copy.deepcopy(o) for o in objects}
        self.calls = {}
        self.writes = []

    def _count(self, verb):
        self.calls[verb] = self.calls.get(verb, 0) + 1

    def list(self, kind, namespace=None, label_selector=None, field_selector=None):
        self._count("list")
        wanted = dict(term.split("=", 1) for term in (label_selector or "").split(",") if term)
        return [copy.deepcopy(o) for (k, _ns, _n), o in sorted(self.store.items())
                if k == kind and all((o["metadata"].get("labels") or {}).get(a) == b for a, b in wanted.items())]

    def patch(self, kind, name, patch, namespace=None):
        self._count("patch")
        self.writes.append(("patch", kind, namespace, name, copy.deepcopy(patch)))
        merge(self.store[(kind, namespace, name)], patch)

    def delete(self, kind, name, namespace=None):
        self._count("delete")
        self.writes.append(("delete", kind, namespace, name))
        self.store.pop((kind, namespace, name), None)


class FakePrometheus:
    def __init__(self, values, engine=None):
        self.values = values  # {(namespace, pod): DCGM_FI_DEV_GPU_UTIL}
        self.engine = engine or {}  # {(namespace, pod): DCGM_FI_PROF_GR_ENGINE_ACTIVE x 100, what the query returns}
        self.queries = 0
        self.promql = []

    def query(self, promql, at):
        self.queries += 1
        self.promql.append(promql)
        values = self.engine if "DCGM_FI_PROF_GR_ENGINE_ACTIVE" in promql else self.values
        return [({"namespace": ns, "pod": pod}, value) for (ns, pod), value in sorted(values.items())]


def namespace(name, deleting=False):
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": C.namespace_labels(name[3:])},
           "status": {"phase": "Terminating" if deleting else "Active"}}
    if deleting:
        obj["metadata"]["deletionTimestamp"] = ago(5)
    return obj


def env(ws, name, started_minutes_ago, replicas=1, annotations=None, gpus=1, resource=C.GPU_RESOURCE):
    lifecycle = [C.lifecycle_event("created", gpus=gpus, gpu_model="NVIDIA-A100", cpu="4", memory="16Gi", storage="50Gi",
                                   at=ago(started_minutes_ago))]
    notes = {C.LIFECYCLE_ANNOTATION: json.dumps(lifecycle)}
    notes.update(annotations or {})
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": "ws-" + ws, "labels": C.environment_labels(ws, name, "alice"),
                         "annotations": notes, "creationTimestamp": ago(started_minutes_ago)},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": "main", "image": "x:1", "resources": {"limits": {resource: str(gpus)}}}]}}}}


def owned(kind, ws, env_name, name, annotations=None, created_minutes_ago=24 * 60):
    return {"apiVersion": "v1", "kind": kind,
            "metadata": {"name": name, "namespace": "ws-" + ws, "labels": C.environment_labels(ws, env_name, "alice"),
                         "annotations": annotations or {}, "creationTimestamp": ago(created_minutes_ago)}}


def platform():
    return [
        namespace("ws-ml"), namespace("ws-old", deleting=True),
        env("ml", "idle", 180),
        env("ml", "busy", 180),
        env("ml", "young", 20),
        env("ml", "nodata", 180),
        env("ml", "expired", 180, annotations={C.MAX_LIFETIME_ANNOTATION: "2h"}),
        env("ml", "expiring", 180, annotations={C.MAX_LIFETIME_ANNOTATION: "3h15m"}),
        env("ml", "optout", 180, annotations={C.IDLE_POLICY_ANNOTATION: json.dumps({"enabled": False})}),
        env("ml", "resting", 600, replicas=0),
        env("ml", "recovered", 180, annotations={reaper.WARNING_ANNOTATION: json.dumps(
            {"reason": "idle", "at": ago(20), "stop_after": ago(-10)})}),
        env("old", "doomed", 30),
        owned("Service", "ml", "idle", "idle"),
        owned("Service", "ml", "gone", "gone"),
        owned("PersistentVolumeClaim", "ml", "idle", "home-idle-0"),
        owned("PersistentVolumeClaim", "ml", "gone", "home-gone-0"),
        owned("PersistentVolumeClaim", "ml", "older", "home-older-0", {reaper.ORPHANED_ANNOTATION: ago(8 * 24 * 60)}),
    ]


UTIL = {("ws-ml", "idle-0"): 0.5, ("ws-ml", "busy-0"): 80.0, ("ws-ml", "young-0"): 0.0, ("ws-ml", "expired-0"): 90.0,
        ("ws-ml", "expiring-0"): 90.0, ("ws-ml", "optout-0"): 0.0, ("ws-ml", "recovered-0"): 42.0}


def summary(result):
    return sorted((a["action"], a["kind"], a["name"], a["reason"]) for a in result["actions"])


def run(api, check_mode=False, now=NOW, util=None, sender=None, **kwargs):
    sent = []

    def record(kind, url, message, secret=None, retries=3):
        sent.append((kind, url, message))
        return {"attempts": 1}

    changed, result = reaper.run(api, FakePrometheus(UTIL if util is None else util), dict(DEFAULTS), now=now,
                                 check_mode=check_mode, notify_config={"kind": "slack", "url": "https://hooks.example/T/B/x"},
                                 sender=sender or record, **kwargs)
    return changed, result, sent


EXPECTED_FIRST_RUN = [
    ("clear-warning", "StatefulSet", "recovered", "idle"),
    ("delete", "PersistentVolumeClaim", "home-older-0", "orphaned"),
    ("mark", "PersistentVolumeClaim", "home-gone-0", "orphaned"),
    ("mark", "Service", "gone", "orphaned"),
    ("warn", "StatefulSet", "expired", "lifetime"),
    ("warn", "StatefulSet", "expiring", "lifetime"),
    ("warn", "StatefulSet", "idle", "idle"),
]


def test_first_run_decisions():
    api = FakeApi(platform())
    changed, result, sent = run(api)
    assert changed is True
    assert summary(result) == EXPECTED_FIRST_RUN
    assert result["unknown_utilization"] == ["ws-ml/nodata"]
    warns = {a["name"]: a for a in result["actions"] if a["action"] == "warn"}
    assert warns["idle"]["stop_after"] == "2026-11-23T02:30:00Z"
    assert warns["idle"]["message"] == "GPU utilisation at most 0.5 % over the last 60 minutes (threshold 5.0 %)"
    # its lifetime ends in 15 minutes, but a warning always gets the full grace period
    assert warns["expiring"]["stop_after"] == "2026-11-23T02:30:00Z"
    assert warns["expired"]["stop_after"] == "2026-11-23T02:30:00Z"  # never warned: gets the full grace period
    (kind, _url, message), = sent
    assert message["title"] == "GPU reaper: 0 stopped, 3 warned"
    assert "WILL STOP ml/idle (owner alice) after 2026-11-23T02:30:00Z" in message["text"]
    assert api.calls == {"list": 5, "patch": 6, "delete": 1}  # 3 warnings, 1 cleared, 2 marks
    assert result["prometheus_queries"] == 1
    idle = api.store[("StatefulSet", "ws-ml", "idle")]
    assert json.loads(idle["metadata"]["annotations"][reaper.WARNING_ANNOTATION])["stop_after"] == "2026-11-23T02:30:00Z"
    assert reaper.ORPHANED_ANNOTATION in api.store[("PersistentVolumeClaim", "ws-ml", "home-gone-0")]["metadata"]["annotations"]


def test_check_mode_previews_exactly_the_real_run():
    api = FakeApi(platform())
    changed, preview, sent = run(api, check_mode=True)
    assert changed is True and sent == [] and api.writes == []
    assert api.calls == {"list": 5}
    _changed, real, _sent = run(FakeApi(platform()))
    assert preview["actions"] == real["actions"]
    assert preview["notification"]["message"] == real["notification"]["message"]
    assert preview["notification"]["sent"] is False and real["notification"]["sent"] is True


def test_second_run_right_after_changes_nothing():
    api = FakeApi(platform())
    run(api)
    changed, result, sent = run(api)
    assert changed is False and result["actions"] == [] and sent == []
    assert sorted(w["name"] for w in result["waiting"]) == ["expired", "expiring", "idle"]


def test_stop_after_grace_when_still_idle_then_nothing():
    api = FakeApi(platform())
    run(api)
    later = NOW + datetime.timedelta(minutes=31)
    changed, result, sent = run(api, now=later)
    assert summary(result) == [("stop", "StatefulSet", "expired", "lifetime"), ("stop", "StatefulSet", "expiring", "lifetime"),
                               ("stop", "StatefulSet", "idle", "idle")]
    idle = api.store[("StatefulSet", "ws-ml", "idle")]
    notes = idle["metadata"]["annotations"]
    assert idle["spec"]["replicas"] == 0
    assert notes[C.STOPPED_BY_ANNOTATION] == "reaper:idle"
    assert reaper.WARNING_ANNOTATION not in notes
    last = C.read_lifecycle(notes)[-1]
    assert last == C.lifecycle_event("stopped", gpus=1, gpu_model="NVIDIA-A100", cpu="4", memory="16Gi", storage="50Gi", at=later)
    assert api.store[("StatefulSet", "ws-ml", "expired")]["metadata"]["annotations"][C.STOPPED_BY_ANNOTATION] == "reaper:lifetime"
    assert sent[0][2]["title"] == "GPU reaper: 3 stopped, 0 warned"
    changed, result, _sent = run(api, now=later)
    assert changed is False


def test_activity_after_warning_cancels_the_stop():
    api = FakeApi(platform())
    run(api)
    busy_again = {**UTIL, ("ws-ml", "idle-0"): 55.0}
    _changed, result, _sent = run(api, now=NOW + datetime.timedelta(minutes=31), util=busy_again)
    assert ("clear-warning", "StatefulSet", "idle", "idle") in summary(result)
    assert api.store[("StatefulSet", "ws-ml", "idle")]["spec"]["replicas"] == 1
    assert reaper.WARNING_ANNOTATION not in api.store[("StatefulSet", "ws-ml", "idle")]["metadata"]["annotations"]


def test_user_stop_after_warning_clears_it():
    api = FakeApi(platform())
    run(api)
    api.store[("StatefulSet", "ws-ml", "idle")]["spec"]["replicas"] = 0  # the owner stopped it
    _changed, result, _sent = run(api)
    assert summary(result) == [("clear-warning", "StatefulSet", "idle", "stopped")]
    assert reaper.WARNING_ANNOTATION not in api.store[("StatefulSet", "ws-ml", "idle")]["metadata"]["annotations"]


def test_failed_notification_stops_nothing():
    api = FakeApi(platform())

    def broken(*args, **kwargs):
        raise K8sError("slack webhook answered HTTP 500 (gave up after 4 attempts)")

    with pytest.raises(K8sError, match="gave up"):
        run(api, sender=broken)
    assert api.writes == []


def test_policy_overrides_and_distinct_windows():
    objects = [namespace("ws-ml"),
               env("ml", "strict", 300, annotations={C.IDLE_POLICY_ANNOTATION: json.dumps({"threshold": 50, "idle_minutes": 120})}),
               env("ml", "broken", 300, annotations={C.IDLE_POLICY_ANNOTATION: "{not json"})]
    prom = FakePrometheus({("ws-ml", "strict-0"): 30.0, ("ws-ml", "broken-0"): 30.0})
    _changed, result = reaper.run(FakeApi(objects), prom, dict(DEFAULTS), now=NOW, check_mode=True)
    assert prom.queries == 2
    assert [q.split("[")[1][:4] for q in prom.promql] == ["60m]", "120m"]
    assert summary(result) == [("warn", "StatefulSet", "strict", "idle")]
    assert result["problems"][0].startswith("ws-ml/broken: opsforge.io/idle-policy is not valid")


def test_promql_shape():
    assert reaper.utilization_query("DCGM_FI_DEV_GPU_UTIL", 60) == (
        'max by (namespace, pod) (max_over_time(DCGM_FI_DEV_GPU_UTIL{namespace=~".+", pod=~".+"}[60m]))')


@pytest.mark.parametrize("change, error", [
    ({"threshold": 150}, "idle_threshold must be between 0 and 100"),
    ({"grace_minutes": -1}, "grace_minutes must be zero or more"),
])
def test_bad_defaults_fail_before_any_call(change, error):
    api = FakeApi(platform())
    with pytest.raises(K8sError, match=error):
        reaper.run(api, FakePrometheus({}), dict(DEFAULTS, **change), now=NOW)
    assert api.calls == {}


KEEP = {C.KEEP_ANNOTATION: "until the paper deadline (bob)"}


def test_keep_annotation_is_honoured_by_idle_lifetime_and_leak_rules():
    objects = [
        env("ml", "kept-idle", 180, annotations=KEEP),
        env("ml", "kept-expired", 600, annotations=dict(KEEP, **{C.MAX_LIFETIME_ANNOTATION: "2h"})),
        env("ml", "kept-warned", 180, annotations=dict(KEEP, **{reaper.WARNING_ANNOTATION: json.dumps(
            {"reason": "idle", "at": ago(40), "stop_after": ago(10)})})),
        env("ml", "not-kept", 180, annotations={C.KEEP_ANNOTATION: "false"}),
        owned("Service", "ml", "gone", "gone", KEEP),
        owned("Secret", "ml", "gone", "gone-ssh", KEEP),
        owned("PersistentVolumeClaim", "ml", "gone", "home-gone-0", dict(KEEP, **{reaper.ORPHANED_ANNOTATION: ago(30 * 24 * 60)})),
    ]
    util = {("ws-ml", name + "-0"): 0.0 for name in ("kept-idle", "kept-expired", "kept-warned", "not-kept")}
    api = FakeApi(objects)
    _changed, result, _sent = run(api, util=util)
    assert summary(result) == [("clear-warning", "StatefulSet", "kept-warned", "kept"), ("warn", "StatefulSet", "not-kept", "idle")]
    assert result["kept"] == ["PersistentVolumeClaim ws-ml/home-gone-0", "Secret ws-ml/gone-ssh", "Service ws-ml/gone",
                              "StatefulSet ws-ml/kept-expired", "StatefulSet ws-ml/kept-idle", "StatefulSet ws-ml/kept-warned"]
    later = NOW + datetime.timedelta(days=30)
    _changed, result, _sent = run(api, util=util, now=later)
    assert [a for a in result["actions"] if a["name"] != "not-kept"] == []


def mig_env(name, minutes=180):
    return env("ml", name, minutes, resource="nvidia.com/mig-1g.10gb")


def test_mig_idle_signal_is_graphics_engine_activity_not_gpu_util():
    """dcgm-exporter reports no DCGM_FI_DEV_GPU_UTIL per MIG instance; some versions report 0, which must
    not stop a busy MIG environment. Engine activity per GPU instance (GPU_I_ID) is the signal."""
    objects = [mig_env("mig-busy"), mig_env("mig-idle"), mig_env("mig-nodata")]
    zero_util = {("ws-ml", n + "-0"): 0.0 for n in ("mig-busy", "mig-idle", "mig-nodata")}
    prom = FakePrometheus(zero_util, engine={("ws-ml", "mig-busy-0"): 62.0, ("ws-ml", "mig-idle-0"): 0.4})
    _changed, result = reaper.run(FakeApi(objects), prom, dict(DEFAULTS), now=NOW, check_mode=True)
    assert summary(result) == [("warn", "StatefulSet", "mig-idle", "idle")]
    assert result["unknown_utilization"] == ["ws-ml/mig-nodata"]
    (promql,) = prom.promql
    assert promql == ('100 * max by (namespace, pod) (max_over_time(DCGM_FI_PROF_GR_ENGINE_ACTIVE{namespace=~".+", '
                      'pod=~".+", GPU_I_ID=~".+"}[60m]))')


def test_time_sliced_without_data_is_unknown_never_idle():
    objects = [env("ml", "shared-nodata", 180, resource=C.GPU_SHARED_RESOURCE),
               env("ml", "shared-idle", 180, resource=C.GPU_SHARED_RESOURCE),
               env("ml", "cpu-only", 180, gpus=0)]
    prom = FakePrometheus({("ws-ml", "shared-idle-0"): 1.0, ("ws-ml", "shared-nodata-0"): float("nan")})
    _changed, result = reaper.run(FakeApi(objects), prom, dict(DEFAULTS), now=NOW, check_mode=True)
    assert summary(result) == [("warn", "StatefulSet", "shared-idle", "idle")]
    assert result["unknown_utilization"] == ["ws-ml/cpu-only", "ws-ml/shared-nodata"]


def orphans(created_minutes_ago):
    return [owned(kind, "ml", "gone", name, created_minutes_ago=created_minutes_ago) for kind, name in (
        ("Service", "gone"), ("Secret", "gone-ssh"), ("Secret", "gone-jupyter"), ("ConfigMap", "gone-settings"),
        ("PersistentVolumeClaim", "home-gone-0"))]


def test_every_orphan_kind_is_swept_after_one_grace_period():
    api = FakeApi(orphans(24 * 60))
    _changed, first, _sent = run(api, util={})
    assert {a["action"] for a in first["actions"]} == {"mark"} and len(first["actions"]) == 5
    _changed, early, _sent = run(api, util={}, now=NOW + datetime.timedelta(minutes=59))
    assert early["actions"] == []
    _changed, later, _sent = run(api, util={}, now=NOW + datetime.timedelta(minutes=61))
    assert sorted(later["deleted"]) == ["ConfigMap ws-ml/gone-settings", "Secret ws-ml/gone-jupyter", "Secret ws-ml/gone-ssh",
                                        "Service ws-ml/gone"]
    _changed, week, _sent = run(api, util={}, now=NOW + datetime.timedelta(days=7, minutes=1))
    assert week["deleted"] == ["PersistentVolumeClaim ws-ml/home-gone-0"]  # home volumes: pvc_retention
    assert [k for k in api.store if k[0] != "Namespace"] == []


def test_objects_of_an_environment_being_created_are_not_touched():
    """A run in the middle of gpu_environment's create sees the Secrets and Service before the StatefulSet."""
    api = FakeApi(orphans(1))
    _changed, result, _sent = run(api, util={})
    assert result["actions"] == []
    api.store[("StatefulSet", "ws-ml", "gone")] = env("ml", "gone", 0)  # the create finishes
    _changed, result, _sent = run(api, util={}, now=NOW + datetime.timedelta(hours=2))
    assert result["actions"] == [] and len(api.store) == 6


def test_objects_being_deleted_are_left_to_kubernetes():
    doomed = env("old", "doomed", 600, annotations={C.MAX_LIFETIME_ANNOTATION: "1h"})
    doomed["metadata"]["deletionTimestamp"] = ago(1)
    leftover = owned("Service", "old", "doomed-before", "doomed-before")
    leftover["metadata"]["deletionTimestamp"] = ago(1)
    _changed, result, _sent = run(FakeApi([doomed, leftover]), util={("ws-old", "doomed-0"): 0.0})
    assert result["actions"] == []


def test_no_notify_target_raises_a_warning():
    api = FakeApi(platform())
    _changed, result = reaper.run(api, FakePrometheus(UTIL), dict(DEFAULTS), now=NOW)
    assert result["notification"]["sent"] is False
    assert result["warnings"] == ["no notify target is configured: 3 environments were warned and 0 stopped, "
                                  "and their owners were told only through the opsforge.io/notice annotation"]
    _changed, quiet, _sent = run(FakeApi(platform()))
    assert quiet["warnings"] == []


def test_list_calls_stay_constant():
    api = FakeApi(platform() + orphans(24 * 60))
    run(api, check_mode=True)
    assert api.calls == {"list": 5}


# -------------------------------------------------------------------------------- module


def test_module_check_mode_and_secrets(monkeypatch):
    api = FakeApi(platform())
    monkeypatch.setattr(gpu_reaper, "get_api", lambda module, api_client=None: api)
    out = {}

    def exit_json(self, **kwargs):
        out.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    hook = {"kind": "feishu", "url": "https://open.feishu.cn/hook/SECRET-TOKEN", "secret": "S3"}
    args = {"prometheus_url": "http://127.0.0.1:1", "notify": hook, "_ansible_check_mode": True}
    with patch_module_args(args), pytest.raises(SystemExit):
        gpu_reaper.main(now=NOW, prometheus=FakePrometheus(UTIL))
    assert out["changed"] is True
    assert sorted(out["reaper"]["warned"]) == ["ws-ml/expired", "ws-ml/expiring", "ws-ml/idle"]
    assert out["diff"]["after"]["StatefulSet ws-ml/idle"] == "running, stop after 2026-11-23T02:30:00Z"
    assert out["diff"]["after"]["Service ws-ml/gone"] == "present, orphaned"
    assert api.writes == []
    assert "SECRET-TOKEN" not in json.dumps(out)


def test_module_warns_when_nobody_is_notified(monkeypatch):
    api = FakeApi(platform())
    monkeypatch.setattr(gpu_reaper, "get_api", lambda module, api_client=None: api)
    warned, out = [], {}
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warned.append(text))

    def exit_json(self, **kwargs):
        out.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    with patch_module_args({"prometheus_url": "http://127.0.0.1:1"}), pytest.raises(SystemExit):
        gpu_reaper.main(now=NOW, prometheus=FakePrometheus(UTIL))
    assert warned == out["reaper"]["warnings"] and "no notify target is configured" in warned[0]


def test_module_rejects_bad_lifetime(monkeypatch):
    monkeypatch.setattr(gpu_reaper, "get_api", lambda module, api_client=None: FakeApi([]))
    out = {}

    def fail_json(self, **kwargs):
        out.update(kwargs)
        raise SystemExit(1)

    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    with patch_module_args({"idle_detection": False, "max_lifetime": "8 hours"}), pytest.raises(SystemExit):
        gpu_reaper.main(now=NOW)
    assert out["msg"] == "invalid duration '8 hours' (use e.g. 30m, 8h, 2d)"
