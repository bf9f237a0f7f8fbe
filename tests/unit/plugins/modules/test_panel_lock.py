# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""panel_lock run in-process on a temporary lock dir (the lock itself: module_utils/panel/test_panel_claims.py)."""

from __future__ import annotations

import json
import time

from ansible_collections.opsforge.infra.plugins.modules import panel_lock
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module


def test_acquire_is_refused_to_a_second_owner_until_released(tmp_path, capsys):
    args = dict(app="shop", lock_dir=str(tmp_path), wait="0")
    first = run_module(capsys, panel_lock, owner="alice@ctl", **args)
    assert first["changed"] is False and first["token"] and (tmp_path / "shop.lock").exists()
    second = run_module(capsys, panel_lock, owner="bob@ctl", **args)
    assert second["failed"] is True and "alice@ctl" in second["msg"] and "shop" in second["msg"]
    wrong = run_module(capsys, panel_lock, state="released", token="not-it", **args)
    assert wrong["released"] is False and (tmp_path / "shop.lock").exists()
    done = run_module(capsys, panel_lock, state="released", token=first["token"], **args)
    assert done["released"] is True and not (tmp_path / "shop.lock").exists()


def test_check_mode_takes_nothing_and_warns_about_a_holder(tmp_path, capsys):
    args = dict(app="shop", lock_dir=str(tmp_path))
    result = run_module(capsys, panel_lock, check=True, owner="alice@ctl", **args)
    assert result["token"] is None and not (tmp_path / "shop.lock").exists()
    run_module(capsys, panel_lock, owner="alice@ctl", wait=0, **args)
    result = run_module(capsys, panel_lock, check=True, owner="bob@ctl", **args)
    assert any("alice@ctl" in w for w in result["warnings"])


def test_a_stale_lock_is_taken_over_with_a_warning(tmp_path, capsys):
    (tmp_path / "shop.lock").write_text(json.dumps(dict(owner="crashed@ctl", since=time.time() - 7200, token="old")))
    result = run_module(capsys, panel_lock, app="shop", owner="bob@ctl", wait=0, stale_after="3600", lock_dir=str(tmp_path))
    assert result["took_over"] == "crashed@ctl" and any("crashed@ctl" in w for w in result["warnings"])


def test_bad_input_is_refused_clearly(tmp_path, capsys):
    result = run_module(capsys, panel_lock, app="shop", state="released", lock_dir=str(tmp_path))
    assert result["failed"] is True and result["msg"] == "state is released but all of the following are missing: token"
    result = run_module(capsys, panel_lock, app="shop", wait="soon", lock_dir=str(tmp_path))
    assert result["failed"] is True and "wait" in result["msg"] and "int" in result["msg"]
