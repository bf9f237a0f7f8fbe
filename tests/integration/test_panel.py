# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hosting panel against the lab: real systemd, real nginx 1.22 in panel_host, real Pebble ACME.

Ports: apps 19101-19120 on 127.0.0.1, HTTPS 19444, HTTP (and HTTP-01) 5002. Names under panel.lab.test (Pebble's
DNS answers 127.0.0.1 for every name). Pebble is stopped only here, and restarted in a finally block.
The tests of this module run in file order (each builds on the last).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

from lab import PANEL_CA_DIR as LAB_CA_DIR, ROOT, copy_pebble_cas_to_panel, run_playbook, panel_exec as host

APP = "shop"
APP_PORT = 19110
HTTPS_PORT = 19444
HTTP_PORT = 5002
DOMAIN = "shop.panel.lab.test"

pytestmark = pytest.mark.timeout(1800)


# ------------------------------------------------------------------------------------------------ helpers
def host_sha(path):
    out = host("sha256sum", path)
    return out.stdout.split()[0] if out.returncode == 0 else None


def host_exists(path):
    return host("test", "-e", path).returncode == 0


def manifest(release):
    out = host("cat", "/var/lib/opsforge/releases/%s/%s/manifest.json" % (APP, release), check=True)
    return json.loads(out.stdout)


def live_release():
    return int(host("cat", "/var/lib/opsforge/releases/%s/current" % APP, check=True).stdout.strip())


def https_get(lab, path="/", domain=DOMAIN, port=HTTPS_PORT):
    """GET over HTTPS from the controller, verifying the chain against the Pebble root."""
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "--cacert", lab["LAB_PEBBLE_ROOT"], "--resolve", "%s:%s:127.0.0.1" % (domain, port),
         "-w", "\n%{http_code}", "https://%s:%s%s" % (domain, port, path)], capture_output=True, text=True, check=False)
    body, _sep, code = out.stdout.rpartition("\n")
    return out.returncode, code, body, out.stderr


def http_get(path, domain=DOMAIN):
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "-H", "Host: " + domain, "-o", "/dev/null",
                          "-w", "%{http_code} %{redirect_url}", "http://127.0.0.1:%s%s" % (HTTP_PORT, path)],
                         capture_output=True, text=True, check=False)
    code, _sep, location = out.stdout.partition(" ")
    return code, location


def served_serial(domain=DOMAIN, port=HTTPS_PORT):
    pem = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%s" % port, "-servername", domain],
                         input="", capture_output=True, text=True, check=False).stdout
    out = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem, capture_output=True, text=True, check=False)
    return out.stdout.strip().split("=", 1)[-1].upper()


def results_named(run, suffix):
    """Results of the tasks whose name ends with ``suffix`` (role tasks are named "<role> : <name>")."""
    out = []
    for play in (run.data or {}).get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].endswith(suffix):
                out.extend(task["hosts"].values())
    return out


def role_play(role):
    return "- hosts: panel_host\n  gather_facts: false\n  roles:\n    - role: opsforge.infra.%s\n" % role


def playbook(name):
    return os.path.join(ROOT, "playbooks", name)


def ok(run):
    assert run.rc == 0 and run.failed() == 0, run.explain()
    return run


def lifecycle(play, present, absent, after_apply=None, after_absent=None):
    """check mode -> apply -> check mode (no change) -> apply (changed=0) -> absent -> absent (changed=0)."""
    run = ok(run_playbook(play, extra_vars=present, check=True, diff=True))
    assert run.changed("panel_host") > 0, "check mode predicted no change on a clean host"
    run = ok(run_playbook(play, extra_vars=present))
    assert run.changed("panel_host") > 0
    if after_apply:
        after_apply()
    run = ok(run_playbook(play, extra_vars=present, check=True))
    assert run.changed("panel_host") == 0, "check mode after apply predicts changes:\n" + run.explain()
    run = ok(run_playbook(play, extra_vars=present))
    assert run.changed("panel_host") == 0, "second apply changed something:\n" + run.explain()
    run = ok(run_playbook(play, extra_vars=absent))
    assert run.changed("panel_host") > 0
    if after_absent:
        after_absent()
    run = ok(run_playbook(play, extra_vars=absent))
    assert run.changed("panel_host") == 0, "second absent changed something:\n" + run.explain()


# ``acme``: the shared fixture of tests/integration/conftest.py (acme_certificate_* variables for the lab's Pebble)


def app_vars(acme, version="1", **extra):
    out = dict(
        acme,
        panel_hosts="panel_host",
        app_release_name=APP,
        app_release_port=APP_PORT,
        app_release_exec_start="/usr/bin/python3 -m http.server %d --bind 127.0.0.1 --directory /etc/opsforge/apps/%s/www" % (APP_PORT, APP),
        app_release_config_files=[dict(dest="www/index.html", content="version=%s\n" % version)],
        app_release_domains=[DOMAIN],
        app_release_listen_address="127.0.0.1",
        app_release_http_port=HTTP_PORT,
        app_release_https_port=HTTPS_PORT,
        app_release_https_probe_ca_file=LAB_CA_DIR + "/pebble-root.pem",
        app_release_who="pytest",
    )
    out.update(extra)
    return out


# ------------------------------------------------------------------------------------------------ tests
def test_bad_variables_fail_before_touching_the_host(acme):
    before = host("sh", "-c", "ls /etc/systemd/system /etc/nginx/conf.d; ls /var/lib/opsforge/releases 2>/dev/null").stdout
    run = run_playbook(playbook("publish.yml"), extra_vars=app_vars(acme, app_release_name="badapp", app_release_port=70000))
    assert run.rc != 0
    assert "app_release_port=70000 must be 1-65535" in run.failed_messages()
    assert run.changed() == 0
    run = run_playbook(playbook("publish.yml"), extra_vars=app_vars(acme, app_release_name="badapp", app_release_domains=[""]))
    assert run.rc != 0 and "Nothing was changed" in run.failed_messages()
    no_names = dict(nginx_site_name="badapp", nginx_site_server_names=[], nginx_site_upstreams=[dict(server="127.0.0.1:80")])
    run = run_playbook(role_play("nginx_site"), extra_vars=no_names)
    assert run.rc != 0 and "must be a non-empty list" in run.failed_messages()
    bad_port = dict(nginx_site_name="badapp", nginx_site_server_names=["bad.panel.lab.test"],
                    nginx_site_upstreams=[dict(server="127.0.0.1:99999")])
    run = run_playbook(role_play("nginx_site"), extra_vars=bad_port)
    assert run.rc != 0 and "port 1-65535" in run.failed_messages()
    after = host("sh", "-c", "ls /etc/systemd/system /etc/nginx/conf.d; ls /var/lib/opsforge/releases 2>/dev/null").stdout
    assert before == after
    assert not host_exists("/etc/nginx/conf.d/badapp.conf") and not host_exists("/etc/systemd/system/badapp.service")


def test_systemd_app_lifecycle():
    port = 19101
    present = dict(systemd_app_name="paneltest-svc", systemd_app_probe_type="http", systemd_app_probe_port=port,
                   systemd_app_exec_start="/usr/bin/python3 -m http.server %d --bind 127.0.0.1 --directory /etc/opsforge/apps/paneltest-svc" % port,
                   systemd_app_config_files=[dict(dest="index.html", content="hello from systemd_app\n")])
    absent = dict(present, systemd_app_state="absent")

    def served():
        assert host("systemctl", "is-active", "paneltest-svc").stdout.strip() == "active"
        assert host("curl", "-fsS", "http://127.0.0.1:%d/" % port).stdout == "hello from systemd_app\n"
        unit = host("cat", "/etc/systemd/system/paneltest-svc.service").stdout
        assert "ProtectSystem=strict" in unit and "NoNewPrivileges=yes" in unit

    def gone():
        assert not host_exists("/etc/systemd/system/paneltest-svc.service")
        assert not host_exists("/etc/opsforge/apps/paneltest-svc")
        assert host("systemctl", "is-active", "paneltest-svc").stdout.strip() != "active"

    lifecycle(role_play("systemd_app"), present, absent, served, gone)


def test_systemd_app_refuses_a_unit_that_does_not_verify():
    run = run_playbook(role_play("systemd_app"), extra_vars=dict(systemd_app_name="paneltest-bad", systemd_app_exec_start="/nonexistent/bin/app"))
    assert run.rc != 0 and "systemd-analyze verify rejected" in run.failed_messages()
    assert not host_exists("/etc/systemd/system/paneltest-bad.service")


def test_nginx_site_lifecycle():
    present = dict(nginx_site_name="paneltest-site", nginx_site_server_names=["site.panel.lab.test"],
                   nginx_site_upstreams=[dict(server="127.0.0.1:19102", weight=2), dict(server="127.0.0.1:19103", backup=True)],
                   nginx_site_listen_address="127.0.0.1", nginx_site_http_port=HTTP_PORT)
    absent = dict(present, nginx_site_state="absent")

    def live():
        upstream = host("cat", "/etc/nginx/opsforge/upstreams/paneltest-site.conf").stdout
        assert "upstream opsforge_paneltest_site {" in upstream and "server 127.0.0.1:19103 backup;" in upstream
        site = host("cat", "/etc/nginx/conf.d/paneltest-site.conf").stdout
        assert "include /etc/nginx/opsforge/upstreams/paneltest-site.conf;" in site
        # nobody listens on the upstream ports: nginx answering 502 proves the proxy site is live
        assert http_get("/", domain="site.panel.lab.test")[0] == "502"

    def gone():
        assert not host_exists("/etc/nginx/conf.d/paneltest-site.conf")
        assert not host_exists("/etc/nginx/opsforge/upstreams/paneltest-site.conf")

    lifecycle(role_play("nginx_site"), present, absent, live, gone)


def test_acme_certificate_lifecycle_dns01_wildcard(lab, acme):
    present = dict(acme, acme_certificate_domains=["wild.panel.lab.test", "*.wild.panel.lab.test"],
                   acme_certificate_challenge="dns-01", acme_certificate_dns_provider="pebble_challtestsrv")
    absent = dict(present, acme_certificate_state="absent")

    def issued():
        assert host("stat", "-c", "%a", "/etc/nginx/certs/wild.panel.lab.test.key").stdout.strip() == "600"
        pem = host("cat", "/etc/nginx/certs/wild.panel.lab.test.crt", check=True).stdout
        with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as handle:
            handle.write(pem)
        try:
            verify = subprocess.run(["openssl", "verify", "-CAfile", lab["LAB_PEBBLE_ROOT"], "-untrusted", handle.name, handle.name],
                                    capture_output=True, text=True, check=False)
            assert verify.returncode == 0, verify.stdout + verify.stderr
            names = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", handle.name],
                                   capture_output=True, text=True, check=True).stdout
            assert "DNS:*.wild.panel.lab.test" in names and "DNS:wild.panel.lab.test" in names
        finally:
            os.unlink(handle.name)

    def gone():
        assert not host_exists("/etc/nginx/certs/wild.panel.lab.test.crt")
        assert not host_exists("/etc/nginx/certs/wild.panel.lab.test.key")

    lifecycle(role_play("acme_certificate"), present, absent, issued, gone)


def test_publish_serves_https_with_a_pebble_chain(lab, acme):
    play = playbook("publish.yml")
    run = ok(run_playbook(play, extra_vars=app_vars(acme), check=True))
    assert run.changed("panel_host") > 0
    assert not host_exists("/etc/nginx/conf.d/%s.conf" % APP), "check mode wrote the site"
    run = ok(run_playbook(play, extra_vars=app_vars(acme)))
    assert run.changed("panel_host") > 0
    rc, code, body, err = https_get(lab)
    assert (rc, code, body) == (0, "200", "version=1\n"), err
    assert http_get("/") == ("301", "https://%s:%d/" % (DOMAIN, HTTPS_PORT))
    host("sh", "-c", "echo token-123 > /var/lib/opsforge/acme-challenges/.well-known/acme-challenge/pytest-token", check=True)
    try:
        assert http_get("/.well-known/acme-challenge/pytest-token") == ("200", "")
        assert http_get("/.well-known/acme-challenge/missing")[0] == "404"
    finally:
        host("rm", "-f", "/var/lib/opsforge/acme-challenges/.well-known/acme-challenge/pytest-token")
    assert live_release() == 1
    run = ok(run_playbook(play, extra_vars=app_vars(acme), check=True))
    assert run.changed("panel_host") == 0, run.explain()
    run = ok(run_playbook(play, extra_vars=app_vars(acme)))
    assert run.changed("panel_host") == 0, run.explain()
    assert live_release() == 1


def test_invalid_nginx_directive_keeps_the_old_site(lab):
    site = "/etc/nginx/conf.d/%s.conf" % APP
    before = host_sha(site)
    bad = dict(nginx_site_name=APP, nginx_site_server_names=[DOMAIN], nginx_site_upstreams=[dict(server="127.0.0.1:%d" % APP_PORT)],
               nginx_site_listen_address="127.0.0.1", nginx_site_http_port=HTTP_PORT, nginx_site_https_port=HTTPS_PORT,
               nginx_site_tls=True, nginx_site_extra_directives=["bogus_directive on"])
    run = run_playbook(role_play("nginx_site"), extra_vars=bad)
    assert run.rc != 0
    msg = run.failed_messages()
    assert "nginx -t rejected" in msg and "bogus_directive" in msg, msg
    assert host_sha(site) == before
    rc, code, body, err = https_get(lab)
    assert (rc, code, body) == (0, "200", "version=1\n"), err


def test_exec_start_that_exits_rolls_back_by_itself(lab, acme):
    unit = "/etc/systemd/system/%s.service" % APP
    good_unit = host_sha(unit)
    run = run_playbook(playbook("publish.yml"), extra_vars=app_vars(acme, version="broken", app_release_exec_start="/usr/bin/python3 -c 'raise SystemExit(3)'"))
    assert run.rc != 0
    msg = run.failed_messages()
    assert "failed at step" in msg and "shop.service" in msg and "release 1 is live again" in msg, msg
    assert host("systemctl", "is-active", APP).stdout.strip() == "active"
    assert host_sha(unit) == good_unit
    rc, code, body, err = https_get(lab)
    assert (rc, code, body) == (0, "200", "version=1\n"), err
    assert live_release() == 1
    assert manifest(2)["result"] == "failed"


def test_rollback_to_release_n_restores_its_files(lab, acme):
    ok(run_playbook(playbook("publish.yml"), extra_vars=app_vars(acme, version="2")))
    assert live_release() == 3
    assert https_get(lab)[2] == "version=2\n"
    rollback = dict(panel_hosts="panel_host", app_release_name=APP, app_release_rollback_to="1", app_release_who="pytest")
    run = ok(run_playbook(playbook("rollback.yml"), extra_vars=rollback))
    assert run.changed("panel_host") > 0
    release = manifest(1)
    assert release["files"], "release 1 recorded no files"
    for entry in release["files"]:
        assert host_sha(entry["path"]) == entry["sha256"], entry["path"]
    assert live_release() == 1
    assert https_get(lab)[2] == "version=1\n"
    run = ok(run_playbook(playbook("rollback.yml"), extra_vars=rollback))
    assert run.changed("panel_host") == 0, run.explain()
    # publish version 2 again: the previous release is 1, rollback "previous" goes there
    ok(run_playbook(playbook("publish.yml"), extra_vars=app_vars(acme, version="2")))
    assert https_get(lab)[2] == "version=2\n"


def test_status_playbook_reports_the_app():
    run = ok(run_playbook(playbook("status.yml"), extra_vars=dict(panel_hosts="panel_host", panel_status_apps=[APP])))
    result = run.task_results("Gather the status of every app")[0]
    app = result["apps"][0]
    assert app["app"] == APP and app["unit_state"] == "active" and app["domains"] == [DOMAIN]
    assert app["upstreams"] == ["127.0.0.1:%d" % APP_PORT] and app["last_result"] == "success"
    assert app["certificate"]["days_left"] > 1000
    table = run.task_results("Print the status table")[0]["msg"]
    assert table.splitlines()[0].startswith("APP") and "\n%s " % APP in table


def test_renewal_when_due_renews_and_reloads_once(lab):
    old = served_serial()
    run = ok(run_playbook(playbook("renew_certificates.yml"), extra_vars=dict(panel_hosts="panel_host", panel_renew_now="+1900d")))
    assert run.changed("panel_host") > 0
    reloads = results_named(run, ": Reload nginx")
    assert len(reloads) == 1 and reloads[0]["changed"], run.explain()
    new = served_serial()
    assert new and new != old
    assert https_get(lab)[1] == "200"
    run = ok(run_playbook(playbook("renew_certificates.yml"), extra_vars=dict(panel_hosts="panel_host")))
    assert run.changed("panel_host") == 0, run.explain()
    assert results_named(run, ": Reload nginx") == []


def test_pebble_down_fails_clearly_and_the_old_cert_keeps_serving(lab, acme):
    serial = served_serial()
    pidfile = lab.get("LAB_PEBBLE_PIDFILE") or os.path.join(ROOT, ".lab", "pebble.pid")
    with open(pidfile) as handle:
        pid = int(handle.read().strip())
    os.kill(pid, signal.SIGTERM)
    try:
        for _attempt in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        # no retries: the default (20, 10 s apart) would wait 200 s for the CA before failing the same way
        down_vars = app_vars(acme, version="2", acme_certificate_renewal_now="+1900d", acme_certificate_directory_retries=0)
        run = run_playbook(playbook("publish.yml"), extra_vars=down_vars)
        assert run.rc != 0
        msg = run.failed_messages()
        assert "ACME certificate for %s" % DOMAIN in msg and "is live again" in msg, msg
        assert "the ACME directory %s did not answer" % lab["LAB_PEBBLE_DIRECTORY"] in msg, msg
        assert served_serial() == serial
        rc, code, body, err = https_get(lab)
        assert (rc, code, body) == (0, "200", "version=2\n"), err
    finally:
        subprocess.run(["bash", os.path.join(ROOT, "lab", "up.sh"), "pebble"], cwd=ROOT, check=True, capture_output=True)
        copy_pebble_cas_to_panel(lab)


def test_remove_app_twice(acme):
    remove = dict(app_vars(acme), app_release_action="remove")
    run = ok(run_playbook(role_play("app_release"), extra_vars=remove))
    assert run.changed("panel_host") > 0
    for path in ("/etc/nginx/conf.d/%s.conf" % APP, "/etc/nginx/opsforge/upstreams/%s.conf" % APP, "/etc/systemd/system/%s.service" % APP,
                 "/etc/nginx/certs/%s.crt" % DOMAIN, "/var/lib/opsforge/releases/%s" % APP):
        assert not host_exists(path), path
    run = ok(run_playbook(role_play("app_release"), extra_vars=remove))
    assert run.changed("panel_host") == 0, run.explain()
