# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host-wide view of published names and certificates, and the per-app publish lock."""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._panel.claims import Claims
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.lock import PublishLock


@pytest.fixture
def claims(tmp_path):
    (tmp_path / "conf.d").mkdir()
    return Claims(str(tmp_path / "claims.json"), str(tmp_path / "conf.d"))


def test_a_name_served_by_one_app_is_refused_to_another_naming_the_owner(claims, tmp_path):
    assert claims.claim("alpha", ["a.example.com"], "a.example.com")[0] is True
    before = (tmp_path / "claims.json").read_bytes()
    with pytest.raises(PanelError) as err:
        claims.claim("beta", ["b.example.com", "A.example.com"], "b.example.com")
    assert "a.example.com" in str(err.value) and "alpha" in str(err.value) and "Nothing was changed" in str(err.value)
    assert (tmp_path / "claims.json").read_bytes() == before


def test_a_certificate_name_is_owned_by_one_app(claims):
    claims.claim("alpha", ["a.example.com"], "shared")
    with pytest.raises(PanelError, match="certificate shared .*alpha"):
        claims.claim("beta", ["b.example.com"], "shared")


def test_claims_are_idempotent_and_follow_the_app(claims):
    assert claims.claim("alpha", ["a.example.com", "www.a.example.com"], "a.example.com")[0] is True
    assert claims.claim("alpha", ["a.example.com", "www.a.example.com"], "a.example.com")[0] is False
    assert claims.claim("alpha", ["a.example.com"], "a.example.com")[0] is True
    claims.claim("beta", ["www.a.example.com"], "www.a.example.com")  # released by alpha above


def test_names_in_managed_site_files_count_even_without_a_registry(claims, tmp_path):
    (tmp_path / "conf.d" / "legacy.conf").write_text(
        "# Managed by opsforge.infra (role nginx_site).\nserver {\n    server_name old.example.com www.old.example.com;\n"
        "    ssl_certificate /etc/nginx/certs/old.example.com.crt;\n}\n")
    with pytest.raises(PanelError, match="legacy"):
        claims.claim("beta", ["www.old.example.com"], "x")
    with pytest.raises(PanelError, match="legacy"):
        claims.claim("beta", ["b.example.com"], "old.example.com")
    assert claims.claim("legacy", ["old.example.com"], "old.example.com")[0] is True


def test_release_keeps_a_certificate_owned_or_used_by_another_app(claims, tmp_path):
    claims.claim("alpha", ["a.example.com"], "a.example.com")
    changed, remove_cert, reason = claims.release("beta", "a.example.com")
    assert remove_cert is False and "alpha" in reason
    changed, remove_cert, reason = claims.release("alpha", "a.example.com")
    assert changed and remove_cert is True
    assert claims.view()["names"] == {}
    (tmp_path / "conf.d" / "gamma.conf").write_text(
        "# Managed by opsforge.infra\nserver {\n  server_name g.example.com;\n  ssl_certificate /etc/nginx/certs/a.example.com.crt;\n}\n")
    assert claims.release("alpha", "a.example.com")[1] is False


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["alpha", "beta", "gamma"]),
                          st.lists(st.sampled_from(["a.t", "b.t", "c.t", "d.t"]), min_size=1, max_size=3, unique=True)),
                max_size=8))
def test_no_name_is_ever_owned_by_two_apps(tmp_path_factory, steps):
    root = tmp_path_factory.mktemp("claims")
    (root / "conf.d").mkdir()
    claims = Claims(str(root / "claims.json"), str(root / "conf.d"))
    owned = {}
    for app, names in steps:
        clash = [n for n in names if owned.get(n, app) != app]
        if clash:
            with pytest.raises(PanelError):
                claims.claim(app, names, app + ".cert")
        else:
            claims.claim(app, names, app + ".cert")
            owned = {n: a for n, a in owned.items() if a != app}
            owned.update({n: app for n in names})
        assert claims.view()["names"] == owned


def test_publish_lock_names_its_owner_and_is_released(tmp_path):
    path = str(tmp_path / "shop.lock")
    first = PublishLock(path, "shop")
    token = first.acquire("alice@ctl", wait=0)
    with pytest.raises(PanelError) as err:
        PublishLock(path, "shop").acquire("bob@ctl", wait=0)
    assert "alice@ctl" in str(err.value) and "shop" in str(err.value)
    assert PublishLock(path, "shop").release("not-the-token") is False
    assert PublishLock(path, "shop").release(token) is True
    assert not os.path.exists(path)
    PublishLock(path, "shop").acquire("bob@ctl", wait=0)


def test_publish_lock_waits_and_takes_over_a_stale_lock(tmp_path):
    path = str(tmp_path / "shop.lock")
    with open(path, "w") as handle:
        json.dump(dict(owner="crashed@ctl", since=time.time() - 7200, token="old"), handle)
    with pytest.raises(PanelError, match="crashed@ctl"):
        PublishLock(path, "shop").acquire("bob@ctl", wait=1, stale_after=3600 * 3)
    lock = PublishLock(path, "shop")
    lock.acquire("bob@ctl", wait=0, stale_after=3600)
    assert lock.took_over == "crashed@ctl"
    with open(path) as handle:
        assert json.load(handle)["owner"] == "bob@ctl"
