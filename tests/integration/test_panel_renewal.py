# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A certificate re-issue keeps HTTPS up on the lab's panel_host: while Pebble issues the new certificate, a thread
opens a TLS connection every ~50 ms, verifies the chain against the Pebble root and fetches the page. Every probe must
succeed (the old certificate until the new one is installed, then the new one), and the serial must change.

Ports: nginx 127.0.0.1:19495 (HTTP) and 19496 (HTTPS), app 19497. Certificates over DNS-01 (pebble-challtestsrv), so
port 5002 stays free for test_panel.py. The app is removed at the end, also after a failure.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509

from lab import PANEL_CA_DIR as LAB_CA_DIR, ROOT, run_playbook, panel_exec as host

APP = "renew-shop"
APP_PORT = 19497
HTTP_PORT = 19495
HTTPS_PORT = 19496
DOMAIN = "shop.renew.lab.test"

pytestmark = pytest.mark.timeout(600)


def cleanup_host():
    host("sh", "-c", "systemctl disable --now {a}.service 2>/dev/null; rm -rf /etc/systemd/system/{a}.service "
         "/etc/nginx/conf.d/{a}.conf /etc/nginx/opsforge/upstreams/{a}.conf /etc/opsforge/apps/{a} /var/lib/opsforge/releases/{a} "
         "/run/lock/opsforge-panel/{a}.lock /etc/nginx/certs/{d}.* /etc/nginx/certs/.staging/{d}.* "
         "/var/lib/opsforge/acme/certificates/{d}.json; systemctl daemon-reload; nginx -t -q && systemctl reload nginx; true"
         .format(a=APP, d=DOMAIN))
    registry = host("cat", "/var/lib/opsforge/panel/claims.json")
    if registry.returncode == 0:
        data = json.loads(registry.stdout)
        for kind in ("names", "certificates"):
            data[kind] = {k: v for k, v in data.get(kind, {}).items() if v != APP}
        host("sh", "-c", "cat > /var/lib/opsforge/panel/claims.json <<'EOF'\n%s\nEOF" % json.dumps(data))


def ok(run):
    assert run.rc == 0 and run.failed() == 0, run.explain()
    return run


# the shared ``acme`` fixture (tests/integration/conftest.py) runs cleanup_host() before and after this module
DNS01 = dict(acme_certificate_challenge="dns-01", acme_certificate_dns_provider="pebble_challtestsrv")


def publish_vars(acme):
    return dict(
        acme,
        **DNS01,
        panel_hosts="panel_host",
        app_release_name=APP,
        app_release_port=APP_PORT,
        app_release_exec_start="/usr/bin/python3 -m http.server %d --bind 127.0.0.1 --directory /etc/opsforge/apps/%s/www" % (APP_PORT, APP),
        app_release_config_files=[dict(dest="www/index.html", content="renewed-site\n")],
        app_release_domains=[DOMAIN],
        app_release_listen_address="127.0.0.1",
        app_release_http_port=HTTP_PORT,
        app_release_https_port=HTTPS_PORT,
        app_release_acme_challenge="dns-01",
        app_release_https_probe_ca_file=LAB_CA_DIR + "/pebble-root.pem",
        app_release_who="pytest",
    )


class HttpsProber(threading.Thread):
    """GET / over HTTPS every ~50 ms, verifying the chain against the Pebble root; records (time, serial or error)."""

    def __init__(self, root_file):
        super().__init__(daemon=True)
        self.context = ssl.create_default_context(cafile=root_file)
        self.stop = threading.Event()
        self.results = []

    def probe(self):
        with socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=5) as raw:
            with self.context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
                serial = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True)).serial_number
                tls.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % DOMAIN).encode())
                response = b""
                while True:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    response += chunk
        if not response.startswith(b"HTTP/1.1 200") or b"renewed-site" not in response:
            raise AssertionError("unexpected answer: %r" % response[:200])
        return serial

    def assert_switched_once(self, old, during):
        """Every probe while it ran was answered over HTTPS, with ``old``'s certificate first, then the new one for
        good (one switch, no flapping)."""
        failures = [(round(t - self.results[0][0], 2), r) for t, r in self.results if isinstance(r, str)]
        assert len(self.results) > 20, "the prober hardly ran: %r" % self.results
        assert not failures, "%d of %d HTTPS probes failed during %s: %r" % (len(failures), len(self.results), during, failures[:10])
        serials = [r for _t, r in self.results]
        assert serials[0] == old and serials[-1] != old, "the new certificate is not served after %s" % during
        switched = [i for i in range(1, len(serials)) if serials[i] != serials[i - 1]]
        assert len(switched) == 1, "the served certificate flapped: %r" % switched

    def run(self):
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.results.append((started, self.probe()))
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                self.results.append((started, "%s: %s" % (type(exc).__name__, exc)))
            self.stop.wait(max(0.0, 0.05 - (time.monotonic() - started)))


class NginxConfigWatcher(threading.Thread):
    """Run ``nginx -t`` on the host in a loop, as another app's publish would: the files on disk must always form a
    usable key/certificate pair (a reload in the middle of a re-issue must not fail)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.results = []

    def run(self):
        while not self.stop.is_set():
            out = host("nginx", "-t", "-q")
            self.results.append(out.returncode == 0 or out.stderr.strip())


@pytest.fixture(scope="module")
def published(lab, acme):
    ok(run_playbook(os.path.join(ROOT, "playbooks", "publish.yml"), extra_vars=publish_vars(acme)))


def test_reissue_with_a_new_key_keeps_https_up_and_switches_to_the_new_certificate(lab, acme, published):
    prober, watcher = HttpsProber(lab["LAB_PEBBLE_ROOT"]), NginxConfigWatcher()
    old = prober.probe()
    prober.start()
    watcher.start()
    try:
        play = "- hosts: panel_host\n  gather_facts: false\n  roles:\n    - role: opsforge.infra.acme_certificate\n"
        # a new key type forces a re-issue with a new key: the old pair must serve until the new pair is installed
        run = ok(run_playbook(play, extra_vars=dict(acme, **DNS01, acme_certificate_domains=[DOMAIN], acme_certificate_key_curve="secp384r1")))
        assert run.changed("panel_host") > 0, run.explain()
        time.sleep(0.3)
    finally:
        prober.stop.set()
        watcher.stop.set()
        prober.join(10)
        watcher.join(10)
    prober.assert_switched_once(old, "the re-issue")
    rejected = [r for r in watcher.results if r is not True]
    assert watcher.results and not rejected, "nginx -t failed %d of %d times during the re-issue: %s" % (
        len(rejected), len(watcher.results), rejected[:3])


def test_a_certificate_file_deleted_by_hand_keeps_https_up_while_the_next_publish_issues_a_new_one(lab, acme, published):
    """The live site serves TLS from nginx's memory; a publish must not bootstrap it back to HTTP only."""
    site = "/etc/nginx/conf.d/%s.conf" % APP
    live_site = host("cat", site, check=True).stdout
    assert "ssl_certificate /etc/nginx/certs/%s.crt;" % DOMAIN in live_site
    host("rm", "-f", "/etc/nginx/certs/%s.crt" % DOMAIN, check=True)
    run = ok(run_playbook(os.path.join(ROOT, "playbooks", "publish.yml"), extra_vars=publish_vars(acme), check=True))
    assert run.changed("panel_host") > 0, "check mode predicted no new certificate"
    assert host("cat", site, check=True).stdout == live_site, "check mode rewrote the site"
    prober = HttpsProber(lab["LAB_PEBBLE_ROOT"])
    old = prober.probe()
    prober.start()
    try:
        run = ok(run_playbook(os.path.join(ROOT, "playbooks", "publish.yml"), extra_vars=publish_vars(acme)))
        time.sleep(0.3)
    finally:
        prober.stop.set()
        prober.join(10)
    prober.assert_switched_once(old, "the publish")
    assert host("test", "-s", "/etc/nginx/certs/%s.crt" % DOMAIN).returncode == 0
    assert host("cat", site, check=True).stdout == live_site
    assert host("nginx", "-t", "-q").returncode == 0
