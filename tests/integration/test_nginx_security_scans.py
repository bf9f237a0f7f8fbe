# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nginx files the collection writes, judged by scanners nobody here wrote.

- ``gixy`` (gixy-ng, an nginx configuration analyser) over the rendered configuration of every
  template: the panel site (HTTP only, and TLS with each profile) and the upstream file the
  deploy center rewrites at a zero-downtime switch. No high or medium finding.
- ``nginx -t`` accepts each rendered configuration on this machine's nginx.
- ``testssl.sh`` against sites really served over HTTPS on the lab's panel host: the panel
  demo (certificate from Pebble) and a zero-downtime proxy whose upstream file the deploy
  center switched. Fails on any protocol or cipher suite outside the chosen profile, a missing
  HSTS header, or a version banner.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from lab import ROOT, run_playbook

ROLE = os.path.join(ROOT, "roles", "nginx_site")
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

# The Mozilla "intermediate" profile (TLS 1.2 + 1.3, ECDHE with AEAD only on TLS 1.2) and "modern" (TLS 1.3 only),
# written as the IANA names testssl.sh reports.
INTERMEDIATE_TLS12 = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}
TLS13 = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
PROFILES = {
    "intermediate": {"protocols": {"TLS1_2", "TLS1_3"}, "suites": INTERMEDIATE_TLS12 | TLS13},
    "modern": {"protocols": {"TLS1_3"}, "suites": TLS13},
}


def _render(tmp_path, name, overrides):
    """Render the nginx_site templates with the role's own defaults and vars (plus ``overrides``) into tmp_path."""
    out = tmp_path / name
    out.mkdir()
    play = textwrap.dedent("""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - ansible.builtin.include_vars: {{ file: "{role}/defaults/main.yml" }}
            - ansible.builtin.include_vars: {{ file: "{role}/vars/main.yml" }}
            - ansible.builtin.template:
                src: "{role}/templates/{{{{ item.src }}}}"
                dest: "{out}/{{{{ item.dest }}}}"
                mode: "0644"
              loop:
                - {{ src: site.conf.j2, dest: site.conf }}
                - {{ src: upstream.conf.j2, dest: upstream.conf }}
                - {{ src: http.conf.j2, dest: http.conf }}
        """).format(role=ROLE, out=out)
    extra = dict(nginx_site_name="shop", nginx_site_server_names=["shop.example.test", "www.shop.example.test"],
                 nginx_site_upstreams=[{"server": "127.0.0.1:19390"}], nginx_site_listen_address="127.0.0.1",
                 nginx_site_http_port=19480, nginx_site_https_port=19481, _nginx_site_http2_directive=False,
                 nginx_site_upstream_dir=str(out))
    extra.update(overrides)
    run = run_playbook(play, extra_vars=extra, inventory=os.path.join(ROOT, "lab", "inventory.yml"))
    assert run.rc == 0, run.explain()
    return out


def _self_signed(directory):
    key, cert = directory / "site.key", directory / "site.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "2", "-subj", "/CN=shop.example.test", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return key, cert


def _main_conf(directory, includes):
    """A Debian-like nginx.conf (http context including the rendered files)."""
    conf = directory / "nginx.conf"
    conf.write_text("pid {d}/nginx.pid;\nerror_log {d}/error.log;\nworker_rlimit_nofile 1024;\n"
                    "events {{ worker_connections 64; }}\n"
                    "http {{\n    access_log off;\n    client_body_temp_path {d}; proxy_temp_path {d};\n{inc}}}\n"
                    .format(d=directory, inc="".join("    include %s;\n" % i for i in includes)))
    return conf


def _deploy_upstream(directory):
    """The upstream file exactly as the deploy center writes it at a zero-downtime switch."""
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.nginx import render_upstream
    path = directory / "deploy-upstream.conf"
    path.write_text(render_upstream("shop", ["127.0.0.1:19391"]))
    return path


CASES = {
    "http-only": dict(nginx_site_tls=False),
    "tls-intermediate": dict(nginx_site_tls=True),
    "tls-modern": dict(nginx_site_tls=True, nginx_site_tls_profile="modern"),
    "tls-no-redirect-with-locations": dict(
        nginx_site_tls=True, nginx_site_redirect_https=False,
        nginx_site_locations=[
            {"path": "/"},
            {"path": "/static/", "proxy": False, "directives": ["root /srv/shop", "expires 1h", "add_header Cache-Control public"]},
        ]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_site_passes_gixy_and_nginx_t(tmp_path, case):
    if not shutil.which("nginx"):
        pytest.fail("nginx is missing (lab/install-deps.sh installs nginx-light)")
    key, cert = _self_signed(tmp_path)
    out = _render(tmp_path, case, dict(CASES[case], nginx_site_tls_certificate=str(cert),
                                       nginx_site_tls_certificate_key=str(key),
                                       nginx_site_acme_webroot=str(tmp_path / "acme")))
    site = out / "site.conf"
    # the site includes its upstream file by path: point it at the deploy center's own rendering too
    variants = {"role upstream": tmp_path / "role-upstream.conf", "deploy switch": _deploy_upstream(tmp_path)}
    shutil.copy(out / "upstream.conf", variants["role upstream"])
    for label, upstream in variants.items():
        (out / "shop.conf").write_text(upstream.read_text())  # the path the site includes
        conf = _main_conf(out, [out / "http.conf", site])
        test = subprocess.run(["nginx", "-t", "-q", "-c", str(conf), "-p", str(out)], capture_output=True, text=True,
                              check=False)
        assert test.returncode == 0 and "warn" not in test.stderr, "%s / %s: %s" % (case, label, test.stderr)
        gixy = subprocess.run([os.path.join(os.path.dirname(sys.executable), "gixy"), "-f", "json", str(conf)],
                              capture_output=True, text=True, check=False)
        findings = json.loads(gixy.stdout or "[]")
        serious = [f for f in findings if f.get("severity") in ("HIGH", "MEDIUM")]
        assert not serious, "%s / %s: gixy found %s\n%s" % (case, label, json.dumps(serious, indent=1),
                                                            site.read_text())


def test_headers_an_app_overrides_and_hsts_options(tmp_path):
    out = _render(tmp_path, "headers", dict(
        nginx_site_tls=True, nginx_site_hsts_include_subdomains=True, nginx_site_hsts_preload=True,
        nginx_site_headers={"X-Frame-Options": "", "Content-Security-Policy": "default-src 'self'; img-src \"data:\""}))
    site = (out / "site.conf").read_text()
    https = site[site.index("ssl_certificate "):]
    assert 'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;' in https
    assert "X-Frame-Options" not in site
    assert 'add_header Content-Security-Policy "default-src \'self\'; img-src \\"data:\\"" always;' in https
    assert 'add_header X-Content-Type-Options "nosniff" always;' in https
    # HSTS is never sent over plain HTTP (the HTTP server only redirects and serves ACME challenges)
    assert "Strict-Transport-Security" not in site[:site.index("ssl_certificate ")]
    assert (out / "http.conf").read_text().strip().endswith("server_tokens off;")


def test_custom_profile_without_ciphers_is_refused_before_the_host_is_touched(tmp_path):
    play = textwrap.dedent("""\
        - hosts: localhost
          gather_facts: false
          roles:
            - role: opsforge.infra.nginx_site
              vars:
                nginx_site_name: shop
                nginx_site_server_names: [shop.example.test]
                nginx_site_upstreams: [{server: "127.0.0.1:19490"}]
                nginx_site_tls: true
                nginx_site_tls_profile: custom
                nginx_site_tls_protocols: TLSv1.2
                nginx_site_conf_dir: "%s"
        """) % tmp_path
    run = run_playbook(play)
    assert run.rc != 0
    assert "the custom TLS profile needs nginx_site_tls_protocols and nginx_site_tls_ciphers" in run.failed_messages()
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- testssl.sh against sites really served

def _testssl(port, sni, tmp_path, checks=("-p", "-E", "-h")):
    """Run testssl.sh (by default: protocols, every cipher per protocol, headers) and return its findings."""
    if not shutil.which("testssl"):
        pytest.fail("testssl.sh is missing (lab/install-deps.sh installs the Debian package testssl.sh)")
    report = tmp_path / ("testssl-%d.json" % port)
    proc = subprocess.run(["testssl", "--quiet", "--color", "0", "--warnings", "off", "--sneaky", *checks,
                           "--ip", "127.0.0.1", "--jsonfile", str(report), "https://%s:%d/" % (sni, port)],
                          capture_output=True, text=True, check=False, timeout=600)
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    return json.loads(report.read_text())


def assert_scan_passes(findings, profile):
    """No protocol or suite outside ``profile`` offered, HSTS sent, no version banner."""
    wanted = PROFILES[profile]
    offered = {f["id"] for f in findings if f["id"] in {"SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"}
               and f["finding"].startswith("offered")}
    assert offered == wanted["protocols"], findings
    if profile == "intermediate":
        _assert_suites(findings, wanted)
    hsts = [f for f in findings if f["id"] == "HSTS_time"]
    assert hsts and hsts[0]["severity"] == "OK", [f for f in findings if f["id"].startswith("HSTS")]
    banner = [f for f in findings if f["id"] == "banner_server"]
    assert banner and banner[0]["finding"] == "nginx", banner


def _assert_suites(findings, wanted):
    suites = set()
    for f in findings:
        if f["id"].startswith("cipher-tls") or f["id"].startswith("cipher_x"):
            # e.g. "TLSv1.2   xc02f   ECDHE-RSA-AES128-GCM-SHA256 ... TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            suites.update(word for word in f["finding"].split() if word.startswith("TLS_"))
    assert suites, "testssl reported no cipher suites: %s" % findings
    assert suites <= wanted["suites"], "suites outside the profile: %s" % sorted(suites - wanted["suites"])


def test_demo_site_passes_testssl(lab, tmp_path):
    """The site `make demo` publishes (playbooks/demo_panel.yml, certificate from Pebble, on the panel host)."""
    with _panel_lock():
        result = run_playbook(os.path.join(ROOT, "playbooks", "demo_panel.yml"))
        assert result.rc == 0, result.explain()
        findings = _testssl(19443, "demo.panel.lab.test", tmp_path)
    assert_scan_passes(findings, "intermediate")


@contextlib.contextmanager
def _panel_lock():
    """The panel host is shared with other lab tests run by hand in parallel: one at a time."""
    with open(os.path.join(ROOT, ".lab", "panel-host.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


ZD_APP = "opsforge-tls-zd"
ZD_DEPLOY = """
- name: Zero-downtime deploy behind the site nginx_site rendered
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Deploy
      opsforge.infra.deploy_docker:
        app: "{{ app }}"
        image: "{{ image }}"
        state_dir: "{{ state_dir }}"
        strategy: zero_downtime
        port: 19483
        port_range: [19483, 19489]
        nginx_upstream_file: "{{ upstream }}"
        nginx_test_command: "{{ nginx + ['-t'] }}"
        nginx_reload_command: "{{ nginx + ['-s', 'reload'] }}"
        drain_seconds: 1
        stop_timeout: 2
        health_checks:
          - path: /
            retries: 10
            delay: 1
"""


@pytest.mark.parametrize("profile", ["intermediate", "modern"])
def test_zero_downtime_proxy_passes_testssl(lab, tmp_path, profile):
    """The deploy center's zero-downtime proxy: a site rendered by nginx_site on a private nginx (127.0.0.1:19481)
    whose upstream file deploy_docker switches to the new container; scanned after the switch."""
    key, cert = _self_signed(tmp_path)
    prefix = tmp_path / "nginx"
    (prefix / "upstreams").mkdir(parents=True)
    out = _render(tmp_path, "zd", dict(nginx_site_name=ZD_APP, nginx_site_server_names=["zd.example.test"],
                                       nginx_site_tls=True, nginx_site_tls_profile=profile,
                                       nginx_site_tls_certificate=str(cert), nginx_site_tls_certificate_key=str(key),
                                       nginx_site_acme_webroot=str(tmp_path / "acme"),
                                       nginx_site_upstream_dir=str(prefix / "upstreams")))
    upstream = prefix / "upstreams" / ("%s.conf" % ZD_APP)
    shutil.copy(out / "upstream.conf", upstream)
    conf = _main_conf(prefix, [out / "http.conf", out / "site.conf"])
    nginx = ["nginx", "-c", str(conf), "-p", str(prefix)]
    subprocess.run(nginx, check=True)
    try:
        run = run_playbook(ZD_DEPLOY, extra_vars=dict(app=ZD_APP, image=lab["LAB_IMAGE_TESTAPP_V1"], nginx=nginx,
                                                      state_dir=str(tmp_path / "state"), upstream=str(upstream)))
        assert run.rc == 0, run.explain()
        port = run.task_results("Deploy")[0]["deploy"]["details"]["port"]
        assert "server 127.0.0.1:%d;" % port in upstream.read_text()
        served = subprocess.run(["curl", "-sk", "--resolve", "zd.example.test:19481:127.0.0.1",
                                 "https://zd.example.test:19481/"], capture_output=True, text=True, check=False)
        assert served.stdout.strip() == "version=1.0", served
        # "modern" offers TLS 1.3 alone, whose suites are all AEAD: no need to list them one by one there.
        findings = _testssl(19481, "zd.example.test", tmp_path, ("-p", "-E", "-h") if profile == "intermediate" else ("-p", "-h"))
    finally:
        subprocess.run(nginx + ["-s", "quit"], check=False)
        subprocess.run(["docker", "rm", "-f", ZD_APP, ZD_APP + "-previous"], capture_output=True, check=False)
    assert_scan_passes(findings, profile)
