# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""panel_status_info's collection and table, systemd_unit_file's verification, certificate parsing."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._panel import certs, status, systemd
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.ledger import Ledger

OPENSSL_OUT = "serial=0A1B2C\nnotAfter=Nov 23 00:12:29 2031 GMT\nsubject=CN = shop.example.com\nissuer=CN = Pebble Intermediate CA\n"


def fake_run(calls=None, verify_rc=0):
    def run(argv):
        if calls is not None:
            calls.append(list(argv))
        if argv[0] == "openssl":
            return 0, OPENSSL_OUT, ""
        if argv[0] == "systemctl":
            return 0, "ActiveState=active\nSubState=running\nUnitFileState=enabled\n", ""
        if argv[0] == "systemd-analyze":
            return verify_rc, "", "" if verify_rc == 0 else "%s:7: Unknown key name 'ExecStrat'" % argv[-1]
        raise AssertionError(argv)
    return run


def test_certificate_parsing_and_days_left(tmp_path):
    cert = tmp_path / "shop.crt"
    cert.write_text("PEM")
    now = datetime.datetime(2031, 11, 1, tzinfo=datetime.timezone.utc)
    info = certs.certificate_info(fake_run(), str(cert), now=now)
    assert info["serial"] == "0A1B2C" and info["not_after"] == "2031-11-23T00:12:29Z" and info["days_left"] == 22
    assert certs.certificate_info(fake_run(), str(tmp_path / "missing.crt")) is None
    with pytest.raises(PanelError, match="cannot parse"):
        certs.parse_x509_text("garbage")


def test_status_of_a_published_app_and_its_table(tmp_path):
    site = tmp_path / "shop.conf"
    site.write_text("server {\n    server_name shop.example.com www.shop.example.com;\n}\n")
    upstream = tmp_path / "up.conf"
    upstream.write_text("upstream opsforge_shop {\n    server 127.0.0.1:8080 weight=2;\n    server 127.0.0.1:8081 backup;\n}\n")
    cert = tmp_path / "shop.crt"
    cert.write_text("PEM")
    ledger = Ledger(str(tmp_path / "releases"), "shop")
    meta = dict(unit="shop.service", site_conf=str(site), upstream_conf=str(upstream))
    ledger.record([str(site)], meta=meta, certificate=dict(path=str(cert), serial="0A1B2C"), who="bob")
    ledger.record([str(site)], result="failed", meta=meta, who="bob")
    apps = status.collect(fake_run(), str(tmp_path / "releases"))
    assert len(apps) == 1
    app = apps[0]
    assert app["unit_state"] == "active" and app["unit_enabled"] == "enabled"
    assert app["domains"] == ["shop.example.com", "www.shop.example.com"]
    assert app["upstreams"] == ["127.0.0.1:8080", "127.0.0.1:8081"]
    assert app["certificate"]["serial"] == "0A1B2C"
    assert app["current_release"] == 1 and app["last_release"] == 2 and app["last_result"] == "failed"
    lines = status.table(apps)
    assert lines[0].split()[0] == "APP" and "LAST PUBLISH" in lines[0]
    assert lines[1].startswith("shop") and "failed (#2)" in lines[1] and "2031-11-23" in lines[1]


def test_empty_panel_table():
    assert status.collect(fake_run(), "/nonexistent/opsforge") == []
    assert status.table([])[-1] == "(no apps published on this host)"


def test_unit_is_verified_before_it_is_installed(tmp_path):
    calls = []
    units = systemd.UnitFile(fake_run(calls), directory=str(tmp_path))
    before, after = units.ensure("shop", "[Service]\nExecStart=/bin/true\n")
    assert before is None and after["name"] == "shop.service"
    assert (tmp_path / "shop.service").exists()
    verify = [c for c in calls if c[0] == "systemd-analyze"][0]
    assert verify[:3] == ["systemd-analyze", "verify", "--man=no"] and verify[-1].endswith("/shop.service")
    before, after = units.ensure("shop", "[Service]\nExecStart=/bin/true\n")
    assert before["sha256"] == after["sha256"]


def test_unit_that_does_not_verify_is_not_installed(tmp_path):
    units = systemd.UnitFile(fake_run(verify_rc=1), directory=str(tmp_path))
    with pytest.raises(PanelError, match="Unknown key name") as err:
        units.ensure("shop", "[Service]\nExecStrat=/bin/true\n")
    assert "nothing was installed" in err.value.msg
    assert not (tmp_path / "shop.service").exists()


def test_unit_check_mode_and_absent(tmp_path):
    units = systemd.UnitFile(fake_run(), directory=str(tmp_path))
    units.ensure("shop", "[Service]\nExecStart=/bin/true\n", check_mode=True)
    assert not (tmp_path / "shop.service").exists()
    units.ensure("shop", "[Service]\nExecStart=/bin/true\n")
    before, after = units.ensure("shop", None, state="absent")
    assert before is not None and after is None and not (tmp_path / "shop.service").exists()


@pytest.mark.parametrize("name", ["", "a b", "../x", "x;y"])
def test_bad_unit_names(name):
    with pytest.raises(PanelError, match="invalid unit name"):
        systemd.unit_name(name)


def test_unit_name_suffix():
    assert systemd.unit_name("shop") == "shop.service"
    assert systemd.unit_name("shop.timer") == "shop.timer"


def test_unit_state_from_systemctl_show():
    calls = []
    assert systemd.unit_state(fake_run(calls), "shop.service") == dict(
        active_state="active", sub_state="running", unit_file_state="enabled")
    assert calls == [["systemctl", "show", "shop.service", "--property=ActiveState,SubState,UnitFileState"]]
    # systemd cannot be asked (no systemd in a container, bus down): unknown, so the role does not skip its start
    assert systemd.unit_state(lambda argv: (1, "", "Failed to connect to bus"), "shop.service") == dict(
        active_state=None, sub_state=None, unit_file_state=None)
