# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Several apps on one panel host (the lab's panel_host): names and certificates have one owner, secret config
files stay out of sight, and one publish of an app runs at a time.

Ports: nginx 127.0.0.1:19201 (HTTP) and 19202 (HTTPS), apps 19211-19213. Certificates from the lab's Pebble over
DNS-01 (pebble-challtestsrv), so port 5002 stays free for test_panel.py. Every app is removed at the end, and
whatever a failed test left is cleaned up so that no conflicting site stays behind on the shared host.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time

import pytest

from lab import PANEL_CA_DIR as LAB_CA_DIR, ROOT, run_playbook, panel_exec as host

HTTP_PORT = 19201
HTTPS_PORT = 19202
APPS = {"sites-alpha": 19211, "sites-beta": 19212, "sites-gamma": 19213}

pytestmark = pytest.mark.timeout(900)


def host_exists(path):
    return host("test", "-e", path).returncode == 0


def domain(app):
    return "%s.sites.lab.test" % app.split("-", 1)[1]


def http_body(name):
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "-H", "Host: " + name, "http://127.0.0.1:%d/" % HTTP_PORT],
                         capture_output=True, text=True, check=False)
    return out.stdout


def https_body(lab, name):
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", lab["LAB_PEBBLE_ROOT"], "--resolve",
                          "%s:%d:127.0.0.1" % (name, HTTPS_PORT), "https://%s:%d/" % (name, HTTPS_PORT)],
                         capture_output=True, text=True, check=False)
    return out.stdout + out.stderr


def publish_play():
    return os.path.join(ROOT, "playbooks", "publish.yml")


def app_vars(acme, app, content="hello\n", tls=False, domains=None, **extra):
    port = APPS[app]
    out = dict(
        acme,
        panel_hosts="panel_host",
        app_release_name=app,
        app_release_port=port,
        app_release_exec_start="/usr/bin/python3 -m http.server %d --bind 127.0.0.1 --directory /etc/opsforge/apps/%s/www" % (port, app),
        app_release_config_files=[dict(dest="www/index.html", content=content)],
        app_release_domains=domains or [domain(app)],
        app_release_listen_address="127.0.0.1",
        app_release_http_port=HTTP_PORT,
        app_release_https_port=HTTPS_PORT,
        app_release_tls=tls,
        app_release_acme_challenge="dns-01",
        acme_certificate_dns_provider="pebble_challtestsrv",
        app_release_https_probe_ca_file=LAB_CA_DIR + "/pebble-root.pem",
        app_release_who="pytest",
    )
    out.update(extra)
    return out


def ok(run):
    assert run.rc == 0 and run.failed() == 0, run.explain()
    return run


def cleanup_host():
    """Remove whatever these tests may have left (also after a failed test), then reload nginx."""
    script = "; ".join(
        "systemctl disable --now {a}.service 2>/dev/null; rm -rf /etc/systemd/system/{a}.service /etc/nginx/conf.d/{a}.conf "
        "/etc/nginx/opsforge/upstreams/{a}.conf /etc/opsforge/apps/{a} /var/lib/opsforge/releases/{a} "
        "/run/lock/opsforge-panel/{a}.lock /etc/nginx/certs/{d}.*".format(a=app, d=domain(app)) for app in APPS)
    host("sh", "-c", script + "; rm -f /etc/nginx/conf.d/zz-intruder.conf; systemctl daemon-reload; "
         "nginx -t -q && systemctl reload nginx; true")
    registry = host("cat", "/var/lib/opsforge/panel/claims.json")
    if registry.returncode == 0:
        data = json.loads(registry.stdout)
        for kind in ("names", "certificates"):
            data[kind] = {k: v for k, v in data.get(kind, {}).items() if v not in APPS}
        host("sh", "-c", "cat > /var/lib/opsforge/panel/claims.json <<'EOF'\n%s\nEOF" % json.dumps(data))


# the shared ``acme`` fixture (tests/integration/conftest.py) runs cleanup_host() before and after this module


@pytest.fixture(scope="module")
def alpha(lab, acme):
    """sites-alpha published with HTTPS (a Pebble certificate over DNS-01)."""
    ok(run_playbook(publish_play(), extra_vars=app_vars(acme, "sites-alpha", "alpha\n", tls=True)))
    assert "alpha" in https_body(lab, domain("sites-alpha"))
    return domain("sites-alpha")


# ------------------------------------------------------------------------------------------------ names
def test_a_name_served_by_another_app_is_refused_before_anything_is_written(lab, acme, alpha):
    beta = "sites-beta"
    run = run_playbook(publish_play(), extra_vars=app_vars(acme, beta, "beta\n", tls=True, domains=[alpha, domain(beta)]))
    assert run.rc != 0, run.explain()
    msg = run.failed_messages()
    assert alpha in msg and "app sites-alpha" in msg, msg
    assert run.changed("panel_host") == 0, run.explain()
    for path in ("/etc/nginx/conf.d/%s.conf" % beta, "/etc/systemd/system/%s.service" % beta,
                 "/var/lib/opsforge/releases/%s" % beta, "/etc/opsforge/apps/%s" % beta):
        assert not host_exists(path), path
    assert "alpha" in https_body(lab, alpha)


def test_nginx_warning_about_a_conflicting_name_is_an_error(lab, alpha):
    intruder = "/etc/nginx/conf.d/zz-intruder.conf"
    play = ("- hosts: panel_host\n  gather_facts: false\n  tasks:\n    - opsforge.infra.nginx_site_config:\n"
            "        files:\n          - path: %s\n            content: |\n"
            "              server {\n                listen 127.0.0.1:%d;\n                server_name %s;\n"
            "                return 200 intruder;\n              }\n" % (intruder, HTTP_PORT, alpha))
    run = run_playbook(play)
    assert run.rc != 0, run.explain()
    assert "conflicting server name" in run.failed_messages()
    assert not host_exists(intruder)
    assert "alpha" in https_body(lab, alpha)


def test_removing_an_app_never_deletes_a_certificate_another_app_owns(lab, acme, alpha):
    cert = "/etc/nginx/certs/%s.crt" % alpha
    before = host("sha256sum", cert, check=True).stdout
    remove = app_vars(acme, "sites-beta", tls=True, domains=[alpha], app_release_action="remove")
    run = run_playbook(publish_play(), extra_vars=remove)
    assert host("sha256sum", cert).stdout == before, "removing sites-beta deleted the certificate of sites-alpha"
    assert host_exists(cert.replace(".crt", ".key"))
    assert "alpha" in https_body(lab, alpha), run.explain()


# ------------------------------------------------------------------------------------------------ secrets
def test_a_secret_config_file_is_never_shown_nor_stored(acme):
    app = "sites-gamma"
    secret = "S3CRET-%d-do-not-print" % os.getpid()
    files = [dict(dest="www/index.html", content="gamma\n"), dict(dest="db.ini", content="password=%s\n" % secret, secret=True)]
    run = ok(run_playbook(publish_play(), extra_vars=app_vars(acme, app, app_release_config_files=files), diff=True))
    assert secret not in run.stdout + run.stderr
    assert host("cat", "/etc/opsforge/apps/%s/db.ini" % app).stdout == "password=%s\n" % secret
    assert host("stat", "-c", "%a", "/etc/opsforge/apps/%s/db.ini" % app).stdout.strip() == "600"
    ledger = "/var/lib/opsforge/releases/%s" % app
    plain = hashlib.sha256(("password=%s\n" % secret).encode()).hexdigest()
    for needle in (secret, plain):
        assert host("grep", "-r", "-l", needle, ledger).stdout == "", "the ledger keeps %s" % needle
    # a changed secret: the diff says so without the content, and the app restarts
    secret2 = secret.replace("S3CRET", "N3W")
    files[1]["content"] = "password=%s\n" % secret2
    run = ok(run_playbook(publish_play(), extra_vars=app_vars(acme, app, app_release_config_files=files), diff=True))
    assert run.changed("panel_host") > 0
    assert secret2 not in run.stdout + run.stderr and secret not in run.stdout + run.stderr
    assert "secret changed" in run.stdout
    # unchanged: changed=0
    run = ok(run_playbook(publish_play(), extra_vars=app_vars(acme, app, app_release_config_files=files)))
    assert run.changed("panel_host") == 0, run.explain()


# ------------------------------------------------------------------------------------------------ locks
def test_a_publish_in_progress_is_not_overrun(acme):
    app = "sites-gamma"
    lock = "/run/lock/opsforge-panel/%s.lock" % app
    index = "/etc/opsforge/apps/%s/www/index.html" % app
    before = host("cat", index).stdout
    host("sh", "-c", "mkdir -p /run/lock/opsforge-panel && printf '%%s' '%s' > %s"
         % (json.dumps(dict(owner="carol@elsewhere", since=time.time(), token="t")), lock), check=True)
    try:
        run = run_playbook(publish_play(), extra_vars=app_vars(acme, app, "other\n", app_release_lock_wait=0))
        assert run.rc != 0
        assert "carol@elsewhere" in run.failed_messages(), run.explain()
        assert run.changed("panel_host") == 0 and host("cat", index).stdout == before
        # a lock left by a publish that died long ago is taken over
        host("sh", "-c", "printf '%%s' '%s' > %s" % (json.dumps(dict(owner="dead@elsewhere", since=time.time() - 86400, token="t")), lock),
             check=True)
        run = ok(run_playbook(publish_play(), extra_vars=app_vars(acme, app, "taken over\n")))
        assert "dead@elsewhere" in run.stdout
        assert host("cat", index).stdout == "taken over\n" and not host_exists(lock)
    finally:
        host("rm", "-f", lock)


def test_concurrent_publishes_of_one_app_are_serialised_and_all_recorded(acme):
    app = "sites-gamma"
    results = {}

    def publish(version):
        results[version] = run_playbook(publish_play(), extra_vars=app_vars(acme, app, "concurrent %s\n" % version))

    threads = [threading.Thread(target=publish, args=(v,)) for v in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for run in results.values():
        ok(run)
    ledger = "/var/lib/opsforge/releases/%s" % app
    current = host("cat", ledger + "/current", check=True).stdout.strip()
    manifest = json.loads(host("cat", "%s/%s/manifest.json" % (ledger, current), check=True).stdout)
    index = "/etc/opsforge/apps/%s/www/index.html" % app
    live_sha = host("sha256sum", index, check=True).stdout.split()[0]
    recorded = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert recorded[index] == live_sha, "the live content is not the live release"
    contents = set()
    for number in host("ls", ledger).stdout.split():
        if number.isdigit():
            files = json.loads(host("cat", "%s/%s/manifest.json" % (ledger, number)).stdout)["files"]
            contents.update(f["sha256"] for f in files if f["path"] == index)
    for version in ("A", "B"):
        assert hashlib.sha256(("concurrent %s\n" % version).encode()).hexdigest() in contents, "publish %s recorded nowhere" % version


# ------------------------------------------------------------------------------------------------ rescue and check mode
def _results(run, suffix):
    out = []
    for play in (run.data or {}).get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].endswith(suffix):
                out.extend(task["hosts"].values())
    return out


def test_check_mode_predicts_the_restart_and_the_release_record(acme):
    app = "sites-gamma"
    index = "/etc/opsforge/apps/%s/www/index.html" % app
    before = host("cat", index, check=True).stdout
    run = ok(run_playbook(publish_play(), extra_vars=app_vars(acme, app, "gamma 2\n"), check=True))
    restart = _results(run, "Restart the service because its unit or config changed")
    assert restart and restart[0].get("changed") and not restart[0].get("skipped"), "check mode does not predict the restart"
    assert any(r.get("changed") for r in _results(run, "Record the release")), "check mode does not predict the release record"
    assert host("cat", index).stdout == before


def test_when_only_nginx_fails_the_app_keeps_running_and_the_rejected_site_is_kept(acme):
    app = "sites-gamma"
    ledger = "/var/lib/opsforge/releases/%s" % app
    pid = host("systemctl", "show", "-P", "MainPID", app + ".service").stdout.strip()
    site = "/etc/nginx/conf.d/%s.conf" % app
    site_before = host("sha256sum", site, check=True).stdout
    live = host("cat", "/etc/opsforge/apps/%s/www/index.html" % app, check=True).stdout  # the app's files do not change
    run = run_playbook(publish_play(), extra_vars=app_vars(acme, app, live, nginx_site_extra_directives=["bogus_directive on"]))
    assert run.rc != 0 and "bogus_directive" in run.failed_messages()
    assert host("systemctl", "show", "-P", "MainPID", app + ".service").stdout.strip() == pid, "the rescue restarted the app"
    assert host("sha256sum", site).stdout == site_before
    last = host("cat", ledger + "/last", check=True).stdout.strip()
    failed = json.loads(host("cat", "%s/%s/manifest.json" % (ledger, last), check=True).stdout)
    assert failed["result"] == "failed"
    index = [f["path"] for f in failed["files"]].index(site)
    kept = host("cat", "%s/%s/files/%d" % (ledger, last, index)).stdout
    assert "bogus_directive" in kept, "the failed attempt keeps the restored site, not the rejected one"


# ------------------------------------------------------------------------------------------------ many sites, one pass
def many_vars(acme, contents, **per_app):
    """app_release_apps for the three apps (HTTPS each, own name and certificate); ``per_app[app]`` adds keys to one app."""
    common = app_vars(acme, "sites-alpha", tls=True)
    for key in ("app_release_name", "app_release_port", "app_release_exec_start", "app_release_config_files", "app_release_domains"):
        del common[key]
    common["app_release_apps"] = [
        dict(dict(name=app, port=port, domains=[domain(app)], config_files=[dict(dest="www/index.html", content=contents[app])],
                  exec_start="/usr/bin/python3 -m http.server %d --bind 127.0.0.1 --directory /etc/opsforge/apps/%s/www" % (port, app)),
             **per_app.get(app, {}))
        for app, port in APPS.items()]
    return common


def served_cert(lab, name):
    """SHA-256 fingerprint of the certificate nginx serves for ``name`` (after curl verified it against Pebble's root)."""
    out = subprocess.run("openssl s_client -connect 127.0.0.1:%d -servername %s </dev/null 2>/dev/null | openssl x509 -noout "
                         "-fingerprint -sha256 -ext subjectAltName" % (HTTPS_PORT, name), shell=True, capture_output=True, text=True, check=False)
    return out.stdout


def test_many_sites_converge_in_one_pass_and_a_broken_site_fails_alone(lab, acme, alpha):
    contents = {app: "%s many 1\n" % app for app in APPS}
    run = ok(run_playbook(publish_play(), extra_vars=many_vars(acme, contents)))
    certs = {}
    for app in APPS:
        assert contents[app] in https_body(lab, domain(app)), app
        certs[app] = served_cert(lab, domain(app))
        assert "DNS:%s" % domain(app) in certs[app] and certs[app].count("DNS:") == 1, certs[app]
    assert len(set(certs.values())) == len(APPS), "two apps share a certificate"
    # unchanged: changed=0, and no app went through its own publish flow
    run = ok(run_playbook(publish_play(), extra_vars=many_vars(acme, contents)))
    assert run.changed("panel_host") == 0, run.explain()
    assert not _results(run, "Record the release"), "an unchanged app was published again"
    # one app's site is broken, another app changes: the broken one is refused and restored, the others serve
    site = "/etc/nginx/conf.d/sites-gamma.conf"
    site_before = host("sha256sum", site, check=True).stdout
    contents["sites-beta"] = "sites-beta many 2\n"
    run = run_playbook(publish_play(), extra_vars=many_vars(
        acme, contents, **{"sites-gamma": dict(nginx_extra_directives=["bogus_directive on"])}))
    assert run.rc != 0
    msg = run.failed_messages()
    assert "sites-gamma" in msg and "bogus_directive" in msg, msg
    final = _results(run, "Fail with the apps that failed")
    assert final and "sites-gamma" in final[0]["msg"] and "sites-beta" not in final[0]["msg"], msg
    assert host("sha256sum", site).stdout == site_before
    for app in APPS:
        assert contents[app] in https_body(lab, domain(app)), app


def test_removing_the_owner_removes_its_certificate(acme):
    """The other apps are removed by the module's clean-up; sites-alpha through the remove flow."""
    ok(run_playbook(publish_play(), extra_vars=app_vars(acme, "sites-alpha", tls=True, app_release_action="remove")))
    assert not host_exists("/etc/nginx/conf.d/sites-alpha.conf")
    assert not host_exists("/etc/nginx/certs/%s.crt" % domain("sites-alpha"))
