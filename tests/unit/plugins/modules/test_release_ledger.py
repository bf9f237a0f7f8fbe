# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""release_ledger run in-process on temporary files and ledger root (the ledger's rules one by one:
module_utils/panel/test_panel_ledger.py)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.modules import release_ledger
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module


@pytest.fixture
def app(tmp_path):
    conf = tmp_path / "shop.conf"
    return dict(conf=conf, args=dict(app="shop", root=str(tmp_path / "releases"), files=[str(conf)], who="alice"))


def publish(capsys, app, version, check=False, **extra):
    app["conf"].write_text("version=%s\n" % version)
    return run_module(capsys, release_ledger, check=check, operation="record", **dict(app["args"], **extra))


def test_record_check_mode_then_record_then_idempotent(app, tmp_path, capsys):
    result = publish(capsys, app, "1", check=True)
    assert result["changed"] is True and result["current"] == 1 and not (tmp_path / "releases").exists()
    result = publish(capsys, app, "1")
    assert result["changed"] is True and result["release"]["release"] == 1 and result["current"] == 1
    assert publish(capsys, app, "1")["changed"] is False


def test_rollback_restores_the_previous_files_and_info_shows_it(app, capsys):
    publish(capsys, app, "1")
    publish(capsys, app, "2", keep="3")
    predicted = run_module(capsys, release_ledger, check=True, operation="rollback", **app["args"])
    assert predicted["changed"] is True and app["conf"].read_text() == "version=2\n"
    result = run_module(capsys, release_ledger, operation="rollback", to="previous", **app["args"])
    assert result["changed"] is True and result["current"] == 1 and result["changed_files"] == [str(app["conf"])]
    assert app["conf"].read_text() == "version=1\n"
    info = run_module(capsys, release_ledger, check=True, **app["args"])
    assert info["changed"] is False and info["current"] == 1 and [r["release"] for r in info["releases"]][:2] == [1, 2]


def test_bad_input_is_refused_clearly_and_nothing_is_recorded(app, tmp_path, capsys):
    result = publish(capsys, app, "1", keep="0")
    assert result["failed"] is True and result["msg"] == "keep must be 1 or more (got 0)"
    result = publish(capsys, app, "1", reslt="failed")
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "reslt" in result["msg"]
    result = run_module(capsys, release_ledger, operation="rollback", **app["args"])
    assert result["failed"] is True and result["msg"]
    assert not (tmp_path / "releases" / "shop").exists() or not list((tmp_path / "releases" / "shop").glob("*.json"))
