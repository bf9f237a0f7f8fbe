# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_environment_info run in-process with the API client injected (FakeApi), over an environment that
gpu_environment created in-process."""

from __future__ import annotations

import json

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.modules import gpu_environment, gpu_environment_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import inject_api, run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.test_gpu_environment import cluster


@pytest.fixture
def api(monkeypatch, capsys):
    api = cluster()
    inject_api(monkeypatch, gpu_environment, api)
    inject_api(monkeypatch, gpu_environment_info, api)
    created = run_module(capsys, gpu_environment, name="alice-dev", workspace="vision", owner="alice", image="pytorch:2.4",
                         gpus="1", wait=False, jupyter={"enabled": True, "token": "very-secret-token"})
    assert created["changed"] is True
    api.writes.clear()
    return api


def test_filters_by_state_and_owner_and_writes_nothing(api, capsys):
    info = run_module(capsys, gpu_environment_info, workspace="vision", state=["stopped"])
    assert info["changed"] is False and info["environments"] == []
    info = run_module(capsys, gpu_environment_info, check=True, workspace="vision", owner="alice", state=["starting"])
    (env,) = info["environments"]
    assert (env["name"], env["namespace"], env["gpus"], env["owner"]) == ("alice-dev", "ws-vision", 1, "alice")
    assert "very-secret-token" not in json.dumps(info)
    assert run_module(capsys, gpu_environment_info, workspace="vision", owner="bob")["environments"] == []
    assert api.writes == []


def test_a_state_that_does_not_exist_is_refused_with_the_choices(api, capsys):
    result = run_module(capsys, gpu_environment_info, workspace="vision", state=["runing"])
    assert result["failed"] is True and "runing" in result["msg"] and "running, starting" in result["msg"]


def test_an_api_error_fails_with_its_message(api, capsys):
    api.fail[("list", "StatefulSet")] = K8sError("statefulsets.apps is forbidden", status=403, reason="Forbidden")
    result = run_module(capsys, gpu_environment_info, workspace="vision")
    assert result["failed"] is True and "statefulsets.apps is forbidden" in result["msg"]


def test_namespace_is_looked_in_as_given_or_from_the_workspace(api, capsys):
    assert run_module(capsys, gpu_environment_info, workspace="vision", namespace="elsewhere")["environments"] == []
    (env,) = run_module(capsys, gpu_environment_info, namespace="ws-vision")["environments"]
    assert (env["name"], env["workspace"]) == ("alice-dev", "vision")
    (env,) = run_module(capsys, gpu_environment_info)["environments"]
    assert env["namespace"] == "ws-vision"
