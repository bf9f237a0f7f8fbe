# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_info run in-process over records that deploy_shell wrote to a temporary state dir
(its filters one by one: module_utils/deploy/test_deploy_records.py)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.opsforge.infra.plugins.modules import deploy_info, deploy_shell
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module


@pytest.fixture
def state(tmp_path, capsys):
    """Two deploys of ``web`` (v1, v2) and a failed v3; returns the state dir."""
    common = dict(app="web", workdir=str(tmp_path), state_dir=str(tmp_path / "state"), rollback=False)
    for version, script in (("1", "echo one"), ("2", "echo two"), ("3", "echo three; exit 3")):
        run_module(capsys, deploy_shell, version=version, script=script, **common)
    return str(tmp_path / "state")


def test_lists_newest_first_without_logs_and_changes_nothing(state, capsys):
    before = sorted(os.listdir(os.path.join(state)))
    result = run_module(capsys, deploy_info, check=True, app="web", state_dir=state)
    assert result["changed"] is False and result["apps"] == ["web"]
    assert [(r["version"], r["status"]) for r in result["deploys"]] == [("3", "failed"), ("2", "success"), ("1", "success")]
    assert all("logs" not in r for r in result["deploys"])
    assert sorted(os.listdir(state)) == before


def test_filters_with_quoted_numbers_and_one_deploy_by_id(state, capsys):
    result = run_module(capsys, deploy_info, app="web", status=["success"], limit="1", include_logs="yes", state_dir=state)
    (newest,) = result["deploys"]
    assert newest["version"] == "2" and "two" in newest["logs"]
    result = run_module(capsys, deploy_info, deploy_id=newest["deploy_id"], state_dir=state)
    assert result["deploy"]["deploy_id"] == newest["deploy_id"] and result["deploy"]["version"] == "2"


def test_a_misspelled_option_is_refused_by_name(state, capsys):
    result = run_module(capsys, deploy_info, app="web", stauts=["success"], state_dir=state)
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "stauts" in result["msg"]


def test_an_unknown_status_is_a_clear_error(state, capsys):
    result = run_module(capsys, deploy_info, app="web", status=["sucess"], state_dir=state)
    assert result["failed"] is True and "sucess" in result["msg"]
