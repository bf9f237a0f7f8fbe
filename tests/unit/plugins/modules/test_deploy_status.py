# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_status run in-process over the status file deploy_shell wrote to a temporary state dir."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import deploy_shell, deploy_status
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module


def deploy(tmp_path, capsys, version="1"):
    return run_module(capsys, deploy_shell, app="web", version=version, script="true", workdir=str(tmp_path),
                      state_dir=str(tmp_path / "state"))["deploy"]


def test_reads_the_last_deploy_in_check_mode_too(tmp_path, capsys):
    record = deploy(tmp_path, capsys)
    for check in (False, True):
        result = run_module(capsys, deploy_status, check=check, app="web", state_dir=str(tmp_path / "state"))
        assert result["changed"] is False
        status = result["deploy_status"]
        assert status["deploy_id"] == record["deploy_id"] and status["status"] == "success" and status["version"] == "1"


def test_wait_with_a_quoted_timeout_returns_a_finished_deploy(tmp_path, capsys):
    record = deploy(tmp_path, capsys)
    result = run_module(capsys, deploy_status, app="web", deploy_id=record["deploy_id"], wait="true", wait_timeout="5",
                        state_dir=str(tmp_path / "state"))
    assert result["deploy_status"]["status"] == "success"


def test_a_misspelled_option_is_refused_by_name(tmp_path, capsys):
    result = run_module(capsys, deploy_status, app="web", wiat=True, state_dir=str(tmp_path / "state"))
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "wiat" in result["msg"]


def test_a_bad_app_name_is_a_clear_error(tmp_path, capsys):
    result = run_module(capsys, deploy_status, app="../etc", state_dir=str(tmp_path / "state"))
    assert result["failed"] is True and "../etc" in result["msg"]
    assert not (tmp_path / "state").exists()
