# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_node_info run in-process with the API client injected (FakeApi); the inventory maths: test_gpu_node.py."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.modules import gpu_node_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import inject_api, run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.test_gpu_node import fleet


def test_gpu_model_and_all_nodes_filter_and_nothing_is_written(monkeypatch, capsys):
    api = fleet()
    inject_api(monkeypatch, gpu_node_info, api)
    result = run_module(capsys, gpu_node_info, gpu_model="Tesla-T4")
    assert result["changed"] is False
    assert [n["name"] for n in result["nodes"]] == ["gpu-t1"] and list(result["totals"]) == ["Tesla-T4"]
    result = run_module(capsys, gpu_node_info, check=True, all_nodes="yes")
    assert "cpu-1" in [n["name"] for n in result["nodes"]]
    assert api.writes == []


def test_one_node_by_name(monkeypatch, capsys):
    inject_api(monkeypatch, gpu_node_info, fleet())
    (a1,) = run_module(capsys, gpu_node_info, name="gpu-a1")["nodes"]
    assert a1["allocatable"] == {"nvidia.com/gpu": 8} and a1["free"] == {"nvidia.com/gpu": 3}


def test_an_api_error_fails_with_its_message(monkeypatch, capsys):
    api = fleet()
    api.fail[("list", "Node")] = K8sError("nodes is forbidden: User cannot list resource", status=403, reason="Forbidden")
    inject_api(monkeypatch, gpu_node_info, api)
    result = run_module(capsys, gpu_node_info)
    assert result["failed"] is True and "nodes is forbidden" in result["msg"]


def test_a_misspelled_option_is_refused_by_name(monkeypatch, capsys):
    inject_api(monkeypatch, gpu_node_info, fleet())
    result = run_module(capsys, gpu_node_info, gpu_modle="Tesla-T4")
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "gpu_modle" in result["msg"]
