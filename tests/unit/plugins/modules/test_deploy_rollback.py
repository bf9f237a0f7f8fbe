# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_rollback run in-process after two deploy_shell runs in a temporary state dir
(the rollback records themselves: module_utils/deploy/test_deploy_records.py)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.modules import deploy_rollback, deploy_shell
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module


@pytest.fixture
def two(tmp_path, capsys):
    """v1 then v2 of ``web`` deployed; returns the v2 record."""
    for version in ("1", "2"):
        record = run_module(capsys, deploy_shell, app="web", version=version, workdir=str(tmp_path),
                            state_dir=str(tmp_path / "state"), script='echo "$DEPLOY_VERSION" > current',
                            rollback_script='echo "$DEPLOY_VERSION" > current')["deploy"]
    return record


def current(tmp_path):
    return (tmp_path / "current").read_text().strip()


def test_check_mode_predicts_then_rollback_then_idempotent(tmp_path, capsys, two):
    args = dict(app="web", state_dir=str(tmp_path / "state"))
    result = run_module(capsys, deploy_rollback, check=True, diff=True, **args)
    assert result["changed"] is True and current(tmp_path) == "2"
    result = run_module(capsys, deploy_rollback, **args)
    assert result["changed"] is True and current(tmp_path) == "1"
    assert result["deploy"]["rollback_of"] == two["deploy_id"] and result["deploy"]["status"] == "success"
    again = run_module(capsys, deploy_rollback, deploy_id=two["deploy_id"], **args)
    assert again["changed"] is False and current(tmp_path) == "1"


def test_a_quoted_timeout_is_converted_and_a_misspelled_check_option_refused(tmp_path, capsys, two):
    args = dict(app="web", state_dir=str(tmp_path / "state"))
    result = run_module(capsys, deploy_rollback, check=True, timeout="30", **args)
    assert not result.get("failed"), result
    result = run_module(capsys, deploy_rollback, health_checks=[{"prot": 80}], **args)
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "health_checks.prot" in result["msg"]
    assert current(tmp_path) == "2"


def test_nothing_to_roll_back_to_is_a_clear_error(tmp_path, capsys):
    result = run_module(capsys, deploy_rollback, app="web", state_dir=str(tmp_path / "state"))
    assert result["failed"] is True and result["msg"] == "web has no successful deploy to roll back"
    assert not (tmp_path / "current").exists()
