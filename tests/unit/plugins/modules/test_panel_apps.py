# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Many apps in one pass: claim all or nothing, lock all or none, and tell unchanged apps from pending ones."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._panel import apps as panel_apps
from ansible_collections.opsforge.infra.plugins.module_utils._panel.claims import Claims
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.ledger import Ledger
from ansible_collections.opsforge.infra.plugins.modules import panel_apps as panel_apps_module
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module

SHOW = "Id={unit}\nActiveState={active}\nUnitFileState={enabled}\n"


def fake_systemctl(states):
    """``systemctl show U1 U2 ...`` as systemd prints it: one block per unit, in the order asked, blank-line separated."""
    def run(argv):
        units = [a for a in argv[2:] if not a.startswith("--")]
        blocks = [SHOW.format(unit=u, active=states.get(u, ("inactive", "disabled"))[0], enabled=states.get(u, ("", "disabled"))[1])
                  for u in units]
        return 0, "\n".join(blocks), ""
    return run


@pytest.fixture
def host(tmp_path):
    (tmp_path / "conf.d").mkdir()
    site = tmp_path / "etc" / "shop.conf"
    site.parent.mkdir()
    site.write_text("server {}\n")
    os.chmod(site, 0o644)
    secret = tmp_path / "etc" / "db.ini"
    secret.write_text("password=hunter2\n")
    os.chmod(secret, 0o600)
    claims = Claims(str(tmp_path / "claims.json"), str(tmp_path / "conf.d"))
    claims.claim("shop", ["shop.example.com"])
    ledger = Ledger(str(tmp_path / "releases"), "shop")
    ledger.record([str(site), str(secret)], secret_files=[str(secret)])
    inputs = dict(app=dict(name="shop", port=8080), common=dict(nginx_site_hsts=True))
    ledger.remember_inputs(inputs, ledger.current())
    spec = dict(app="shop", inputs=inputs, server_names=["shop.example.com"], unit="shop.service")
    states = {"shop.service": ("active", "enabled"), "nginx.service": ("active", "enabled")}
    return dict(tmp=tmp_path, site=site, secret=secret, claims=claims, ledger=ledger, spec=spec, states=states,
                root=str(tmp_path / "releases"))


def check(host, spec=None):
    return panel_apps.check_apps(fake_systemctl(host["states"]), [spec or host["spec"]], host["root"], host["claims"])[0]


def test_an_app_as_recorded_is_unchanged(host):
    assert check(host) == dict(app="shop", unchanged=True, reasons=[])


@pytest.mark.parametrize("damage, reason", [
    (lambda h: h["site"].write_text("server { edited }\n"), "shop.conf differs from release 1"),
    (lambda h: os.chmod(h["site"], 0o666), "shop.conf has mode 0666"),
    (lambda h: h["site"].unlink(), "shop.conf is missing"),
    (lambda h: h["secret"].write_text("password=other\n"), "db.ini differs from release 1"),
    (lambda h: h["spec"]["inputs"]["app"].update(port=8081), "its variables changed since release 1"),
    (lambda h: h["states"].update({"shop.service": ("failed", "enabled")}), "shop.service is failed/enabled"),
    (lambda h: h["states"].update({"shop.service": ("active", "disabled")}), "shop.service is active/disabled"),
    (lambda h: h["states"].update({"nginx.service": ("inactive", "enabled")}), "nginx is inactive"),
    (lambda h: h["spec"].update(server_names=["shop.example.com", "www.shop.example.com"]), "its names in the registry"),
    (lambda h: (h["tmp"] / "releases" / "shop" / "inputs.json").unlink(), "no record of the variables"),
])
def test_whatever_a_publish_would_change_makes_the_app_pending(host, damage, reason):
    damage(host)
    result = check(host)
    assert not result["unchanged"]
    assert any(reason in r for r in result["reasons"]), result


def test_a_new_release_without_remembered_inputs_is_pending(host):
    host["site"].write_text("server { v2 }\n")
    host["ledger"].record([str(host["site"]), str(host["secret"])], secret_files=[str(host["secret"])])
    assert "no record of the variables of release 2" in check(host)["reasons"]


def test_an_app_never_published_is_pending(host):
    spec = dict(host["spec"], app="blog", server_names=[])
    assert check(host, spec)["reasons"] == ["no live release"]


def test_the_inputs_are_kept_as_a_keyed_hmac_never_in_clear_nor_a_plain_hash(host):
    inputs = dict(app=dict(config_files=[dict(dest="db.ini", content="password=S3CRET")]))
    host["ledger"].remember_inputs(inputs, 1)
    stored = (host["tmp"] / "releases" / "shop" / "inputs.json").read_text()
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode()
    assert "S3CRET" not in stored and hashlib.sha256(canonical).hexdigest() not in stored
    assert json.loads(stored)["fingerprint"].startswith("hmac-sha256:")


def test_a_certificate_that_is_not_the_recorded_one_or_due_makes_the_app_pending(host, tmp_path):
    cert = tmp_path / "shop.crt"
    cert.write_text("x")
    key = tmp_path / "shop.key"
    key.write_text("k")
    host["ledger"].record([str(host["site"]), str(host["secret"])], secret_files=[str(host["secret"])],
                          certificate=dict(path=str(cert), serial="AA", not_after="2031-01-01T00:00:00Z"))
    host["ledger"].remember_inputs(host["spec"]["inputs"], host["ledger"].current())
    spec = dict(host["spec"], certificate_path=str(cert), key_path=str(key), remaining_days=30)
    enddate = {"AA": "Jan  1 00:00:00 2031 GMT"}

    def run(argv, serial="AA", end=None):
        if argv[0] == "openssl":
            return 0, "serial=%s\nnotAfter=%s\n" % (serial, end or enddate["AA"]), ""
        return fake_systemctl(host["states"])(argv)

    checked = panel_apps.check_apps(run, [spec], host["root"], host["claims"])[0]
    assert checked["unchanged"], checked
    checked = panel_apps.check_apps(lambda a: run(a, serial="BB"), [spec], host["root"], host["claims"])[0]
    assert any("not the one of the live release" in r for r in checked["reasons"])
    checked = panel_apps.check_apps(lambda a: run(a, end="Jan  1 00:00:00 2020 GMT"), [spec], host["root"], host["claims"])[0]
    assert any("due for renewal" in r for r in checked["reasons"])
    key.unlink()
    assert any("key" in r for r in panel_apps.check_apps(run, [spec], host["root"], host["claims"])[0]["reasons"])
    asked = panel_apps.check_apps(run, [dict(spec, ask_ca=True)], host["root"], host["claims"])[0]
    assert any("asks the CA" in r for r in asked["reasons"]), asked


def test_claim_many_is_all_or_nothing_and_names_the_owner(host):
    before = (host["tmp"] / "claims.json").read_bytes()
    with pytest.raises(PanelError) as err:
        host["claims"].claim_many([dict(app="blog", names=["blog.example.com"], certificate="blog"),
                                   dict(app="news", names=["SHOP.example.com"], certificate="news")])
    assert "shop.example.com (owned by app shop)" in str(err.value) and "Nothing was changed" in str(err.value)
    assert (host["tmp"] / "claims.json").read_bytes() == before
    with pytest.raises(PanelError, match="listed by app blog and app news"):
        host["claims"].claim_many([dict(app="blog", names=["x.example.com"]), dict(app="news", names=["x.example.com"])])
    assert host["claims"].claim_many([dict(app="blog", names=["blog.example.com"], certificate="blog"),
                                      dict(app="shop", names=["shop.example.com"])]) is True
    assert host["claims"].claim_many([dict(app="blog", names=["blog.example.com"], certificate="blog")]) is False


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sets(st.sampled_from(["n1", "n2", "n3", "n4"]), max_size=2)),
                min_size=1, max_size=4))
def test_claim_many_never_gives_a_name_two_owners(tmp_path_factory, batch):
    tmp = tmp_path_factory.mktemp("claims")
    claims = Claims(str(tmp / "claims.json"), str(tmp))
    claims.claim("other", ["n4"])
    specs = [dict(app=app, names=sorted(names)) for app, names in dict(batch).items()]
    try:
        claims.claim_many(specs)
    except PanelError:
        return
    owners = claims.registry()["names"]
    assert owners["n4"] == "other"
    for spec in specs:
        for name in spec["names"]:
            assert owners[name] == spec["app"]


def test_locks_are_taken_for_all_apps_or_none(tmp_path):
    lock_dir = str(tmp_path / "locks")
    os.makedirs(lock_dir)
    (tmp_path / "locks" / "b.lock").write_text(json.dumps(dict(owner="carol@elsewhere", since=9e12, token="t")))
    with pytest.raises(PanelError, match="carol@elsewhere"):
        panel_apps.acquire_locks(lock_dir, ["c", "a", "b"], "me", wait=0, stale_after=3600)
    assert sorted(os.listdir(lock_dir)) == ["b.lock"], "a lock taken before the refusal was kept"
    os.unlink(os.path.join(lock_dir, "b.lock"))
    tokens, took_over = panel_apps.acquire_locks(lock_dir, ["c", "a"], "me", wait=0, stale_after=3600)
    assert sorted(tokens) == ["a", "c"] and took_over == {}
    assert panel_apps.lock_holders(lock_dir, ["a", "b"]) == {"a": "me"}
    assert panel_apps.release_locks(lock_dir, tokens) == ["a", "c"] and os.listdir(lock_dir) == []


def test_unit_states_reads_every_unit_in_one_call():
    calls = []

    def run(argv):
        calls.append(argv)
        return fake_systemctl({"a.service": ("active", "enabled")})(argv)

    states = panel_apps.unit_states(run, ["b.service", "a.service", "a.service"])
    assert len(calls) == 1
    assert states["a.service"] == dict(active_state="active", unit_file_state="enabled")
    assert states["b.service"]["active_state"] == "inactive"


def test_the_module_refuses_a_misspelled_suboption_then_reports_a_new_app_pending(tmp_path, capsys):
    (tmp_path / "conf.d").mkdir()
    where = dict(root=str(tmp_path / "releases"), lock_dir=str(tmp_path / "locks"), registry=str(tmp_path / "claims.json"),
                 conf_dir=str(tmp_path / "conf.d"))
    result = run_module(capsys, panel_apps_module, apps=[dict(app="alpha", sever_names=["a.example.com"])], **where)
    assert result["failed"] is True and "sever_names" in result["msg"]
    result = run_module(capsys, panel_apps_module, apps=[dict(app="alpha", server_names=["a.example.com"])], **where)
    assert result.get("failed") is not True, result
    assert result["changed"] is False and result["pending"] == ["alpha"]
    assert not (tmp_path / "claims.json").exists()
