# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""systemd_unit_file run in-process on a temporary unit directory, with stand-ins for systemd-analyze and
systemctl first on PATH (the module finds them by name, as on a host)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.modules import systemd_unit_file
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module

UNIT = "[Unit]\nDescription=shop\n[Service]\nExecStart=/bin/true\n"
TOOLS = {
    # rejects what systemd-analyze verify rejects in these tests: an unknown key
    "systemd-analyze": '#!/bin/sh\nfor f; do :; done\nif grep -q ExecStrat "$f"; then echo "$f:4: Unknown key name \'ExecStrat\'" >&2; exit 1; fi\n',
    "systemctl": "#!/bin/sh\nprintf 'ActiveState=inactive\\nSubState=dead\\nUnitFileState=disabled\\n'\n",
}


@pytest.fixture
def units(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, script in TOOLS.items():
        (bindir / name).write_text(script)
        (bindir / name).chmod(0o755)
    monkeypatch.setenv("PATH", "%s:/usr/bin:/bin" % bindir)
    (tmp_path / "units").mkdir()
    return tmp_path / "units"


def test_check_mode_diff_then_install_then_idempotent(units, capsys):
    args = dict(name="shop", content=UNIT, directory=str(units))
    result = run_module(capsys, systemd_unit_file, check=True, diff=True, **args)
    assert result["changed"] is True and result["diff"]["after"] == UNIT and result["diff"]["before"] == ""
    assert not (units / "shop.service").exists()
    result = run_module(capsys, systemd_unit_file, **args)
    assert result["changed"] is True and result["unit"]["path"] == str(units / "shop.service")
    assert result["service"] == dict(active_state="inactive", sub_state="dead", unit_file_state="disabled")
    assert (units / "shop.service").read_text() == UNIT
    assert run_module(capsys, systemd_unit_file, **args)["changed"] is False


def test_a_unit_that_does_not_verify_is_not_installed(units, capsys):
    result = run_module(capsys, systemd_unit_file, name="shop", content=UNIT.replace("ExecStart", "ExecStrat"), directory=str(units))
    assert result["failed"] is True and "nothing was installed" in result["msg"] and "Unknown key name 'ExecStrat'" in result["msg"]
    assert list(units.iterdir()) == []


def test_absent_removes_and_bad_input_is_refused(units, capsys):
    run_module(capsys, systemd_unit_file, name="shop", content=UNIT, directory=str(units))
    result = run_module(capsys, systemd_unit_file, name="shop", state="absent", directory=str(units))
    assert result["changed"] is True and result["unit"] is None and not (units / "shop.service").exists()
    result = run_module(capsys, systemd_unit_file, name="shop", directory=str(units))
    assert result["failed"] is True and result["msg"] == "state is present but all of the following are missing: content"
    result = run_module(capsys, systemd_unit_file, name="../shop", content=UNIT, directory=str(units), verify="no")
    assert result["failed"] is True and "invalid unit name" in result["msg"]
    assert list(units.iterdir()) == []
