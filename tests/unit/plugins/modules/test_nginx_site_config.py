# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nginx_site_config's transaction: swap in, nginx -t, reload, restore on failure (nginx faked at the command line)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.nginx import NginxConfig, diff_for, normalize_file, parse_version


class FakeNginx:
    """Records commands; ``nginx -t`` fails when any watched file contains ``bogus``."""

    def __init__(self, watched, active=True, reload_rc=0):
        self.watched = watched
        self.active = active
        self.reload_rc = reload_rc
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        if argv[:2] == ["nginx", "-t"]:
            for path in self.watched:
                if path.exists() and "bogus" in path.read_text():
                    return 1, "", 'nginx: [emerg] unknown directive "bogus" in %s:3' % path
            return 0, "", ""
        if argv[:2] == ["nginx", "-v"]:
            return 0, "", "nginx version: nginx/1.22.1"
        if argv[1] == "is-active":
            return (0 if self.active else 3), "", ""
        if argv[1] in ("reload", "start"):
            return self.reload_rc, "", "" if self.reload_rc == 0 else "Job failed"
        raise AssertionError("unexpected command %r" % argv)


@pytest.fixture
def paths(tmp_path):
    site = tmp_path / "conf.d" / "shop.conf"
    upstream = tmp_path / "upstreams" / "shop.conf"
    return site, upstream


def files(site, upstream, site_text="server { listen 80; }\n", upstream_text="upstream opsforge_shop { server 127.0.0.1:8080; }\n"):
    return [normalize_file(dict(path=str(upstream), content=upstream_text)), normalize_file(dict(path=str(site), content=site_text))]


def test_new_site_is_written_tested_and_nginx_reloaded(paths):
    site, upstream = paths
    fake = FakeNginx([site, upstream])
    changes, action = NginxConfig(fake, lock_path=str(site.parent.parent / "lock")).apply(files(site, upstream))
    assert [c["path"] for c in changes] == [str(upstream), str(site)]
    assert action == "reload"
    assert site.read_text() == "server { listen 80; }\n"
    assert ["nginx", "-t", "-q"] in fake.calls
    assert ["systemctl", "reload", "nginx"] in fake.calls


def test_same_files_again_change_nothing_and_run_nothing(paths):
    site, upstream = paths
    config = NginxConfig(FakeNginx([site, upstream]), lock_path=str(site.parent.parent / "lock"))
    config.apply(files(site, upstream))
    fake = FakeNginx([site, upstream])
    config.run = fake
    changes, action = config.apply(files(site, upstream))
    assert changes == [] and action is None
    assert fake.calls == []


def test_stopped_nginx_is_started(paths):
    site, upstream = paths
    fake = FakeNginx([site, upstream], active=False)
    _changes, action = NginxConfig(fake, lock_path=str(site.parent.parent / "lock")).apply(files(site, upstream))
    assert action == "start"


def test_rejected_config_restores_the_old_files_and_does_not_reload(paths):
    site, upstream = paths
    config = NginxConfig(FakeNginx([site, upstream]), lock_path=str(site.parent.parent / "lock"))
    config.apply(files(site, upstream))
    old_site = site.read_text()
    fake = FakeNginx([site, upstream])
    config.run = fake
    with pytest.raises(PanelError) as err:
        config.apply(files(site, upstream, site_text="server {\n listen 80;\n bogus on;\n}\n",
                           upstream_text="upstream opsforge_shop { server 127.0.0.1:9090; }\n"))
    assert "nginx -t rejected" in err.value.msg and 'unknown directive "bogus"' in err.value.msg
    assert site.read_text() == old_site
    assert "127.0.0.1:8080" in upstream.read_text()
    assert not any(call[1] in ("reload", "start") for call in fake.calls if call[0] == "systemctl")


def test_rejected_first_config_leaves_no_file_behind(paths):
    site, upstream = paths
    config = NginxConfig(FakeNginx([site, upstream]), lock_path=str(site.parent.parent / "lock"))
    with pytest.raises(PanelError):
        config.apply(files(site, upstream, site_text="bogus;\n"))
    assert not site.exists() and not upstream.exists()


def test_failed_reload_restores_the_old_files(paths):
    site, upstream = paths
    config = NginxConfig(FakeNginx([site, upstream]), lock_path=str(site.parent.parent / "lock"))
    config.apply(files(site, upstream))
    config.run = FakeNginx([site, upstream], reload_rc=1)
    with pytest.raises(PanelError) as err:
        config.apply(files(site, upstream, site_text="server { listen 81; }\n"))
    assert "systemctl reload nginx failed" in err.value.msg
    assert site.read_text() == "server { listen 80; }\n"


def test_check_mode_reports_but_writes_nothing(paths):
    site, upstream = paths
    fake = FakeNginx([site, upstream])
    changes, action = NginxConfig(fake, lock_path=str(site.parent.parent / "lock")).apply(files(site, upstream), check_mode=True)
    assert len(changes) == 2 and action == "reload"  # predicted
    assert not site.exists() and fake.calls == [["systemctl", "is-active", "--quiet", "nginx"]]
    diff = diff_for(changes)
    assert diff[1]["before"] == "" and "listen 80" in diff[1]["after"]


def test_absent_removes_and_mode_change_counts(paths):
    site, upstream = paths
    config = NginxConfig(FakeNginx([site, upstream]), lock_path=str(site.parent.parent / "lock"))
    config.apply(files(site, upstream))
    spec = normalize_file(dict(path=str(site), content="server { listen 80; }\n", mode="0600"))
    changes, _action = config.apply([spec])
    assert len(changes) == 1 and oct(site.stat().st_mode & 0o777) == "0o600"
    changes, _action = config.apply([normalize_file(dict(path=str(site), state="absent"))])
    assert len(changes) == 1 and not site.exists()


@pytest.mark.parametrize("spec, message", [
    (dict(path="relative.conf", content="x"), "absolute path"),
    (dict(path="/etc/nginx/conf.d/x.conf"), "content is required"),
    (dict(path="/etc/nginx/conf.d/x.conf", content="x", mode="rw"), "invalid file mode"),
])
def test_bad_files_are_refused_before_anything_is_touched(spec, message):
    with pytest.raises(PanelError) as err:
        normalize_file(spec)
    assert message in err.value.msg


def test_parse_version():
    assert parse_version("nginx version: nginx/1.22.1") == "1.22.1"
    assert parse_version("nginx version: openresty/1.21") is None


def run_nginx_site_config(args, monkeypatch, check_mode=False):
    """The module's main() with nginx, systemctl and exit patched; returns (result, commands run)."""
    from ansible.module_utils import basic
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.opsforge.infra.plugins.modules import nginx_site_config

    result, commands = {}, []

    def leave(self, **kwargs):
        result.update(kwargs)
        raise SystemExit(0)

    def run_command(self, argv, **kwargs):
        commands.append(list(argv))
        if argv[1:] == ["-v"]:
            return 0, "", "nginx version: nginx/1.22.1"
        if argv[1] == "show":
            return 0, "ActiveState=active\nSubState=running\nUnitFileState=enabled\n", ""
        return 0, "", ""

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", leave)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", lambda self, **kw: leave(self, failed=True, **kw))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: "/usr/sbin/" + name)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args), pytest.raises(SystemExit):
        nginx_site_config.main()
    return result, commands


def test_a_missing_required_file_fails_before_anything_is_written(tmp_path, monkeypatch):
    site = tmp_path / "shop.conf"
    cert = tmp_path / "shop.crt"
    args = dict(files=[dict(path=str(site), content="server { listen 80; }\n")], require_files=[str(cert)],
                require_message="issue the certificate first.")
    result, commands = run_nginx_site_config(args, monkeypatch)
    assert result["failed"] and result["msg"] == "%s missing. issue the certificate first. Nothing was changed." % cert
    assert result["missing_files"] == [str(cert)] and commands == [] and not site.exists()
    # check mode only warns: an earlier task of the same run would have created it
    result, _commands = run_nginx_site_config(args, monkeypatch, check_mode=True)
    assert not result.get("failed") and result["changed"] and not site.exists()
    cert.write_text("PEM")
    result, _commands = run_nginx_site_config(args, monkeypatch)
    assert not result.get("failed") and result["changed"] and site.read_text() == "server { listen 80; }\n"
    assert result["nginx_site_config"]["service"] == {"active_state": "active", "sub_state": "running", "unit_file_state": "enabled"}


def test_a_conflicting_server_name_warning_is_an_error(paths):
    """nginx -t exits 0 with "[warn] conflicting server name": the change must be refused and undone like an error."""
    site, upstream = paths
    warn = 'nginx: [warn] conflicting server name "shop.example.com" on 127.0.0.1:80, ignored'

    def run(argv):
        if argv[:2] == ["nginx", "-t"]:
            return 0, "", warn
        return FakeNginx([])(argv)

    with pytest.raises(PanelError) as err:
        NginxConfig(run, lock_path=str(site.parent.parent / "lock")).apply(files(site, upstream))
    assert "conflicting server name" in str(err.value)
    assert not site.exists() and not upstream.exists()


def test_a_rejected_change_returns_the_rejected_files_as_they_were(paths):
    site, upstream = paths
    fake = FakeNginx([site, upstream])
    with pytest.raises(PanelError) as err:
        NginxConfig(fake, lock_path=str(site.parent.parent / "lock")).apply(files(site, upstream, site_text="bogus;\n"))
    rejected = {f["path"]: f["content"] for f in err.value.details["rejected_files"]}
    assert rejected[str(site)] == "bogus;\n" and not site.exists()


def test_check_mode_predicts_the_reload(paths):
    site, upstream = paths
    fake = FakeNginx([site, upstream])
    changes, action = NginxConfig(fake, lock_path=str(site.parent.parent / "lock")).apply(files(site, upstream), check_mode=True)
    assert changes and action == "reload" and not site.exists()
    assert ["systemctl", "reload", "nginx"] not in fake.calls
