# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_reaper's one call (``_k8s/reaper_module.py``): the options read, checked before any API call,
Prometheus built from them, and the result with its diff and warnings."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import reaper, reaper_module
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.test_gpu_reaper import (
    NOW,
    UTIL,
    FakeApi,
    FakePrometheus,
    platform,
)


def params(**extra):
    """The options as Ansible hands them over, defaults filled in."""
    out = {"prometheus_url": "http://127.0.0.1:1", "prometheus_token": None, "prometheus_validate_certs": True,
           "idle_detection": True, "idle_threshold": 5.0, "idle_minutes": 60, "grace_minutes": 30,
           "min_runtime_minutes": 60, "max_lifetime": None, "sweep_leaks": True, "pvc_retention": "7d",
           "metric": reaper.DEFAULT_METRIC, "mig_metric": reaper.DEFAULT_MIG_METRIC, "orphan_grace": "1h",
           "pod_label": "pod", "namespace_label": "namespace", "extra_selector": "", "cluster_name": None, "notify": None}
    out.update(extra)
    return out


def never_connect():
    raise AssertionError("bad options must be refused before the API client is built")


def test_diff_names_each_object_with_its_state_before_and_after():
    actions = [
        {"action": "warn", "kind": "StatefulSet", "namespace": "ws-ml", "name": "idle", "stop_after": "2026-11-23T02:30:00Z"},
        {"action": "stop", "kind": "StatefulSet", "namespace": "ws-ml", "name": "old"},
        {"action": "clear-warning", "kind": "StatefulSet", "namespace": "ws-ml", "name": "busy"},
        {"action": "delete", "kind": "Service", "namespace": "ws-ml", "name": "gone"},
        {"action": "mark", "kind": "Secret", "namespace": "ws-ml", "name": "left"},
        {"action": "unmark", "kind": "ConfigMap", "namespace": "ws-ml", "name": "back"},
    ]
    assert reaper_module.diff(actions) == {
        "before": {"StatefulSet ws-ml/idle": "running", "StatefulSet ws-ml/old": "running",
                   "StatefulSet ws-ml/busy": "running, warned", "Service ws-ml/gone": "present",
                   "Secret ws-ml/left": "present", "ConfigMap ws-ml/back": "present, orphaned"},
        "after": {"StatefulSet ws-ml/idle": "running, stop after 2026-11-23T02:30:00Z", "StatefulSet ws-ml/old": "stopped",
                  "StatefulSet ws-ml/busy": "running", "Service ws-ml/gone": "absent",
                  "Secret ws-ml/left": "present, orphaned", "ConfigMap ws-ml/back": "present"},
    }
    assert reaper_module.diff([]) == {"before": {}, "after": {}}


@pytest.mark.parametrize("option", ["max_lifetime", "pvc_retention", "orphan_grace"])
def test_a_bad_duration_is_refused_before_connecting(option):
    with pytest.raises(K8sError, match=r"invalid duration '8 hours' \(use e.g. 30m, 8h, 2d\)"):
        reaper_module.reap(params(**{option: "8 hours"}), never_connect, now=NOW, prometheus=FakePrometheus(UTIL))


def test_a_bad_notify_target_is_refused_before_connecting():
    hook = {"kind": "slack", "url": "https://hooks.example/T/B/x", "secret": "s", "retries": 3}
    with pytest.raises(K8sError, match="Slack incoming webhooks are not signed"):
        reaper_module.reap(params(notify=hook), never_connect, now=NOW, prometheus=FakePrometheus(UTIL))


def test_prometheus_is_built_from_the_options_unless_given(monkeypatch):
    made = []

    class Recorder(FakePrometheus):
        def __init__(self, url, token=None, validate_certs=True):
            super().__init__(UTIL)
            made.append((url, token, validate_certs))

    monkeypatch.setattr(reaper, "Prometheus", Recorder)
    result = reaper_module.reap(params(prometheus_url="https://prom:9090", prometheus_token="T", prometheus_validate_certs=False),
                                lambda: FakeApi(platform()), check_mode=True, now=NOW)
    assert made == [("https://prom:9090", "T", False)] and result["reaper"]["prometheus_queries"] > 0
    result = reaper_module.reap(params(idle_detection=False), lambda: FakeApi(platform()), check_mode=True, now=NOW,
                                prometheus=FakePrometheus(UTIL))
    assert len(made) == 1 and result["reaper"]["prometheus_queries"] == 0


def test_result_has_the_diff_and_raises_the_reaper_warnings():
    api = FakeApi(platform())
    result = reaper_module.reap(params(), lambda: api, check_mode=True, now=NOW, prometheus=FakePrometheus(UTIL))
    assert result["changed"] is True and api.writes == []
    assert result["diff"] == reaper_module.diff(result["reaper"]["actions"])
    assert result["warnings"] == result["reaper"]["warnings"] and result["warnings"]
    assert result["warnings"] is not result["reaper"]["warnings"]
