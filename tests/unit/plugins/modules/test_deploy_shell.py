# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_shell run in-process against a temporary state dir (the flow itself: module_utils/deploy/)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import deploy_shell
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.deploy.deploy_helpers import Server
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module

SCRIPT = 'echo "$DEPLOY_VERSION" > current'


def args(tmp_path, **extra):
    out = dict(app="web", version="1", script=SCRIPT, workdir=str(tmp_path), state_dir=str(tmp_path / "state"))
    out.update(extra)
    return out


def test_check_mode_predicts_then_deploy_then_idempotent(tmp_path, capsys):
    result = run_module(capsys, deploy_shell, check=True, diff=True, **args(tmp_path))
    assert result["changed"] is True and result["diff"] == {"before": {"version": None}, "after": {"version": "1"}}
    assert not (tmp_path / "current").exists() and not (tmp_path / "state").exists()
    result = run_module(capsys, deploy_shell, **args(tmp_path))
    assert result["changed"] is True and result["deploy"]["status"] == "success"
    assert (tmp_path / "current").read_text() == "1\n"
    assert run_module(capsys, deploy_shell, **args(tmp_path))["changed"] is False


def test_a_quoted_port_in_a_health_check_is_converted(tmp_path, capsys):
    with Server(body=b"ok") as srv:
        result = run_module(capsys, deploy_shell, **args(tmp_path, health_checks=[{"port": str(srv.port), "retries": "0", "delay": "0"}]))
    assert not result.get("failed"), result
    health = result["deploy"]["health"][0]
    assert health["success"] is True and health["target"] == "http://127.0.0.1:%d/" % srv.port


def test_a_misspelled_health_check_option_is_refused_by_name_and_nothing_runs(tmp_path, capsys):
    result = run_module(capsys, deploy_shell, **args(tmp_path, health_checks=[{"prot": 8080}]))
    assert result["failed"] is True
    assert "Unsupported parameters" in result["msg"] and "health_checks.prot" in result["msg"]
    assert not (tmp_path / "current").exists() and not (tmp_path / "state").exists()


def test_a_failing_script_fails_the_task_with_its_exit_code(tmp_path, capsys):
    result = run_module(capsys, deploy_shell, **args(tmp_path, script="echo boom >&2; exit 7"))
    assert result["failed"] is True and "exited 7" in result["msg"]
    assert result["deploy"]["status"] == "failed"
