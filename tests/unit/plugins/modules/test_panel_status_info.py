# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""panel_status_info run in-process over a ledger that release_ledger wrote, with a systemctl stand-in first on
PATH (the collection and table in detail: module_utils/panel/test_panel_status.py)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.modules import panel_status_info, release_ledger
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module

SYSTEMCTL = "#!/bin/sh\nprintf 'ActiveState=active\\nSubState=running\\nUnitFileState=enabled\\n'\n"


@pytest.fixture
def root(tmp_path, monkeypatch, capsys):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "systemctl").write_text(SYSTEMCTL)
    (bindir / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", "%s:/usr/bin:/bin" % bindir)
    site = tmp_path / "shop.conf"
    site.write_text("server {\n    server_name shop.example.com;\n}\n")
    meta = dict(unit="shop.service", site_conf=str(site))
    for result in ("success", "failed"):
        run_module(capsys, release_ledger, app="shop", root=str(tmp_path / "releases"), operation="record",
                   files=[str(site)], meta=meta, result=result, who="bob")
    return str(tmp_path / "releases")


def test_a_published_app_and_its_table_in_check_mode_too(root, capsys):
    for check in (False, True):
        result = run_module(capsys, panel_status_info, check=check, root=root)
        assert result["changed"] is False
        (app,) = result["apps"]
        assert app["unit_state"] == "active" and app["domains"] == ["shop.example.com"]
        assert app["current_release"] == 1 and app["last_release"] == 2 and app["last_result"] == "failed"
        assert result["table"][0].split()[0] == "APP" and result["table"][1].startswith("shop") and "failed (#2)" in result["table"][1]


def test_apps_filter_and_an_empty_host(root, tmp_path, capsys):
    (other,) = run_module(capsys, panel_status_info, root=root, apps=["other"])["apps"]
    assert other["app"] == "other" and other["unit_state"] is None and other["current_release"] is None
    result = run_module(capsys, panel_status_info, root=str(tmp_path / "nothing"))
    assert result["apps"] == [] and result["table"][-1] == "(no apps published on this host)"


def test_bad_input_is_refused_clearly(root, capsys):
    result = run_module(capsys, panel_status_info, root=root, app=["shop"])
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "app" in result["msg"]
    result = run_module(capsys, panel_status_info, root=root, apps=["../etc"])
    assert result["failed"] is True and "../etc" in result["msg"]
