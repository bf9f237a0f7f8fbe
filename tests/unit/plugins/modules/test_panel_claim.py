# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""panel_claim run in-process on a temporary registry and nginx conf dir (the ownership rules one by one:
module_utils/panel/test_panel_claims.py)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.modules import panel_claim
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module


@pytest.fixture
def where(tmp_path):
    (tmp_path / "conf.d").mkdir()
    return dict(registry=str(tmp_path / "claims.json"), conf_dir=str(tmp_path / "conf.d"))


def test_check_mode_then_claim_then_idempotent_then_release(where, tmp_path, capsys):
    args = dict(app="alpha", server_names=["a.example.com"], certificate="a.example.com", **where)
    assert run_module(capsys, panel_claim, check=True, **args)["changed"] is True
    assert not (tmp_path / "claims.json").exists()
    result = run_module(capsys, panel_claim, **args)
    assert result["changed"] is True and result["claims"]["names"] == ["a.example.com"]
    assert run_module(capsys, panel_claim, **args)["changed"] is False
    result = run_module(capsys, panel_claim, app="alpha", state="absent", certificate="a.example.com", **where)
    assert result["changed"] is True and result["remove_certificate"] is True and result["claims"]["names"] == []


def test_a_name_of_another_app_is_refused_naming_it_and_nothing_changes(where, tmp_path, capsys):
    run_module(capsys, panel_claim, app="alpha", server_names=["a.example.com"], **where)
    before = (tmp_path / "claims.json").read_bytes()
    result = run_module(capsys, panel_claim, app="beta", server_names=["A.example.com"], **where)
    assert result["failed"] is True and "a.example.com" in result["msg"] and "alpha" in result["msg"]
    assert (tmp_path / "claims.json").read_bytes() == before


def test_bad_input_is_refused_clearly(where, capsys):
    result = run_module(capsys, panel_claim, app="alpha", state="gone", **where)
    assert result["failed"] is True and "state" in result["msg"] and "present, absent" in result["msg"]
    result = run_module(capsys, panel_claim, app="alpha", server_name=["a.example.com"], **where)
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "server_name" in result["msg"]
    result = run_module(capsys, panel_claim, app="../alpha", server_names=["a.example.com"], **where)
    assert result["failed"] is True and "../alpha" in result["msg"]


@pytest.mark.parametrize("names", [None, []], ids=["omitted", "empty"])
def test_present_without_server_names_is_refused_and_keeps_the_claims(where, tmp_path, capsys, names):
    run_module(capsys, panel_claim, app="alpha", server_names=["a.example.com"], certificate="a.example.com", **where)
    before = (tmp_path / "claims.json").read_bytes()
    args = dict(where) if names is None else dict(where, server_names=names)
    for check in (True, False):
        result = run_module(capsys, panel_claim, check=check, app="alpha", certificate="a.example.com", **args)
        assert result.get("failed") is True, result
        assert "server_names" in result["msg"] and "state=present" in result["msg"] and "Nothing was changed" in result["msg"]
        assert (tmp_path / "claims.json").read_bytes() == before
