# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wall time of a no-op re-run of the panel demo publish versus the way users write it today, and of 20 apps versus one.

- opsforge: ``playbooks/publish.yml`` with the demo's variables (app_release: verified unit, ``nginx -t``-tested
  site, ACME certificate renewed only when due, end-to-end HTTPS probe, release ledger). ``playbooks/demo_panel.yml``
  converges first (it also copies the lab's CA files to the host).
- baseline: the same job as users write it without this collection - ansible.builtin.template for the unit and the
  nginx site, ansible.builtin.systemd_service, community.crypto.acme_certificate (two-step HTTP-01), a reload handler;
  no staging, no validation before going live, no ledger, no probe. It publishes its own app (port 19090, HTTPS 19445)
  so the two never fight over files.

- many: ``playbooks/publish.yml`` with ``app_release_apps`` listing 20 apps like the demo's (each its own name, port
  19300-19319, config file and Pebble certificate), published in one pass.

All are converged first (not timed), then re-run alternately ``--runs`` times; the median wall time of each, the two
ratios side by side (1 app / baseline, goal <= 0.7; 20 apps / 1 app, goal <= 3) and the tasks run/changed of the last run
are printed. Every timed run must report changed=0 (the script stops otherwise). Needs the lab (``make lab-up``).

Run: ``.venv/bin/python benchmarks/panel_noop.py [--runs 3] [--keep]`` (the baseline app and the 20 apps are removed
afterwards unless ``--keep``; a kept set is converged again in seconds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from lab import lab_env, run_playbook  # noqa: E402

BASELINE = r"""
- name: Baseline publish (template + systemd_service + acme_certificate)
  hosts: panel_host
  gather_facts: false
  vars:
    app: baseline
    port: 19090
    domain: baseline.panel.lab.test
    https_port: 19445
    webroot: /var/lib/opsforge/acme-challenges
    acme_dir: "{{ lab.LAB_PEBBLE_DIRECTORY }}"
  environment:
    SSL_CERT_FILE: /etc/opsforge/lab/pebble-listener.pem
  tasks:
    - name: App dir
      ansible.builtin.file:
        path: /srv/baseline
        state: directory
        mode: "0755"
    - name: Content
      ansible.builtin.copy:
        dest: /srv/baseline/index.html
        content: "baseline version=1\n"
        mode: "0644"
    - name: Unit
      ansible.builtin.template:
        src: "{{ tmpl }}/unit.j2"
        dest: /etc/systemd/system/baseline.service
        mode: "0644"
      register: unit
    - name: Service
      ansible.builtin.systemd_service:
        name: baseline
        state: "{{ 'restarted' if unit is changed else 'started' }}"
        enabled: true
        daemon_reload: "{{ unit is changed }}"
    - name: Challenge dir
      ansible.builtin.file:
        path: "{{ webroot }}/.well-known/acme-challenge"
        state: directory
        mode: "0755"
    - name: Account key
      community.crypto.openssl_privatekey:
        path: /etc/opsforge/baseline-account.key
        type: ECC
        curve: secp256r1
    - name: Domain key
      community.crypto.openssl_privatekey:
        path: /etc/nginx/certs/baseline.key
        type: ECC
        curve: secp256r1
        mode: "0600"
    - name: CSR
      community.crypto.openssl_csr:
        path: /etc/nginx/certs/baseline.csr
        privatekey_path: /etc/nginx/certs/baseline.key
        subject_alt_name: ["DNS:{{ domain }}"]
    - name: Cert present?
      ansible.builtin.stat:
        path: /etc/nginx/certs/baseline.crt
      register: crt
    - name: HTTP site
      ansible.builtin.template:
        src: "{{ tmpl }}/site.j2"
        dest: /etc/nginx/conf.d/baseline.conf
        mode: "0644"
      vars:
        tls: "{{ crt.stat.exists }}"
      notify: Reload nginx
    - name: Flush
      ansible.builtin.meta: flush_handlers
    - name: Order
      community.crypto.acme_certificate:
        account_key_src: /etc/opsforge/baseline-account.key
        acme_directory: "{{ acme_dir }}"
        acme_version: 2
        terms_agreed: true
        csr: /etc/nginx/certs/baseline.csr
        fullchain_dest: /etc/nginx/certs/baseline.crt
        remaining_days: 30
      register: order
    - name: Challenge files
      ansible.builtin.copy:
        dest: "{{ webroot }}/{{ item.value['http-01'].resource }}"
        content: "{{ item.value['http-01'].resource_value }}"
        mode: "0644"
      loop: "{{ order.challenge_data | dict2items }}"
      when: order is changed
    - name: Finalize
      community.crypto.acme_certificate:
        account_key_src: /etc/opsforge/baseline-account.key
        acme_directory: "{{ acme_dir }}"
        acme_version: 2
        terms_agreed: true
        csr: /etc/nginx/certs/baseline.csr
        fullchain_dest: /etc/nginx/certs/baseline.crt
        remaining_days: 30
        data: "{{ order }}"
      when: order is changed
      notify: Reload nginx
    - name: TLS site
      ansible.builtin.template:
        src: "{{ tmpl }}/site.j2"
        dest: /etc/nginx/conf.d/baseline.conf
        mode: "0644"
      vars:
        tls: true
      notify: Reload nginx
  handlers:
    - name: Reload nginx
      ansible.builtin.systemd_service:
        name: nginx
        state: reloaded
"""

CLEANUP = r"""
- name: Remove the baseline app
  hosts: panel_host
  gather_facts: false
  tasks:
    - name: Stop it
      ansible.builtin.systemd_service:
        name: baseline
        state: stopped
        enabled: false
      failed_when: false
    - name: Remove its files
      ansible.builtin.file:
        path: "{{ item }}"
        state: absent
      loop: [/etc/systemd/system/baseline.service, /etc/nginx/conf.d/baseline.conf, /srv/baseline, /etc/nginx/certs/baseline.crt,
             /etc/nginx/certs/baseline.key, /etc/nginx/certs/baseline.csr, /etc/opsforge/baseline-account.key]
    - name: Reload
      ansible.builtin.systemd_service:
        name: nginx
        state: reloaded
        daemon_reload: true
"""

CLEANUP_MANY = r"""
- name: Remove the 20 benchmark apps
  hosts: panel_host
  gather_facts: false
  tasks:
    - name: Stop them
      ansible.builtin.systemd_service:
        name: "{{ item }}.service"
        state: stopped
        enabled: false
      loop: "{{ apps }}"
      failed_when: false
    - name: Remove their files, ledgers and certificates
      ansible.builtin.shell:
        cmd: >-
          rm -rf /etc/systemd/system/{{ item }}.service /etc/nginx/conf.d/{{ item }}.conf /etc/nginx/opsforge/upstreams/{{ item }}.conf
          /etc/opsforge/apps/{{ item }} /var/lib/opsforge/releases/{{ item }} /etc/nginx/certs/{{ item }}.panel.lab.test.*
          /var/lib/opsforge/acme/certificates/{{ item }}.panel.lab.test.json
      loop: "{{ apps }}"
      changed_when: true
    - name: Drop their names from the registry
      ansible.builtin.shell:
        cmd: >-
          python3 -c "import json,sys; p='/var/lib/opsforge/panel/claims.json'; d=json.load(open(p)); a=set(sys.argv[1:]);
          d={k: {n: o for n, o in v.items() if o not in a} for k, v in d.items()}; json.dump(d, open(p, 'w'), indent=2)"
          {{ apps | join(' ') }}
      changed_when: true
    - name: Reload
      ansible.builtin.systemd_service:
        name: nginx
        state: reloaded
        daemon_reload: true
"""

MANY = 20

UNIT = """[Unit]
Description=baseline
[Service]
ExecStart=/usr/bin/python3 -m http.server {{ port }} --bind 127.0.0.1 --directory /srv/baseline
Restart=on-failure
[Install]
WantedBy=multi-user.target
"""

SITE = """upstream baseline_app { server 127.0.0.1:{{ port }}; }
server {
    listen 127.0.0.1:5002;
    server_name {{ domain }};
    location ^~ /.well-known/acme-challenge/ { root {{ webroot }}; }
    location / { {% if tls %}return 301 https://$host:{{ https_port }}$request_uri;{% else %}proxy_pass http://baseline_app;{% endif %} }
}
{% if tls %}
server {
    listen 127.0.0.1:{{ https_port }} ssl http2;
    server_name {{ domain }};
    ssl_certificate /etc/nginx/certs/baseline.crt;
    ssl_certificate_key /etc/nginx/certs/baseline.key;
    location / { proxy_pass http://baseline_app; }
}
{% endif %}
"""


def demo_vars(lab):
    """The variables playbooks/demo_panel.yml gives app_release, for playbooks/publish.yml."""
    return dict(
        panel_hosts="panel_host",
        acme_certificate_directory_url=lab["LAB_PEBBLE_DIRECTORY"],
        acme_certificate_directory_ca_file="/etc/opsforge/lab/pebble-listener.pem",
        acme_certificate_terms_agreed=True,
        acme_certificate_use_ari=False,
        acme_certificate_trusted_root_file="/etc/opsforge/lab/pebble-root.pem",
        app_release_name="demo",
        app_release_port=19080,
        app_release_exec_start="/usr/bin/python3 -m http.server 19080 --bind 127.0.0.1 --directory /etc/opsforge/apps/demo/www",
        app_release_config_files=[dict(dest="www/index.html", content="opsforge panel demo, version=1\n")],
        app_release_domains=["demo.panel.lab.test"],
        app_release_listen_address="127.0.0.1",
        app_release_http_port=5002,
        app_release_https_port=19443,
        app_release_https_probe_ca_file="/etc/opsforge/lab/pebble-root.pem",
    )


def many_vars(lab):
    """20 apps like the demo's, each with its own name, port, content and certificate, in one app_release_apps pass."""
    out = demo_vars(lab)
    for key in ("app_release_name", "app_release_port", "app_release_exec_start", "app_release_config_files", "app_release_domains"):
        del out[key]
    out["app_release_apps"] = [
        dict(name=name, port=port, domains=["%s.panel.lab.test" % name],
             exec_start="/usr/bin/python3 -m http.server %d --bind 127.0.0.1 --directory /etc/opsforge/apps/%s/www" % (port, name),
             config_files=[dict(dest="www/index.html", content="opsforge panel bench %s, version=1\n" % name)])
        for name, port in many_apps()]
    return out


def many_apps():
    return [("bench%02d" % (i + 1), 19300 + i) for i in range(MANY)]


def tasks(run):
    ok = sum(v.get("ok", 0) for v in run.stats.values())
    return ok, run.changed()


def timed(playbook, extra):
    start = time.perf_counter()
    run = run_playbook(playbook, extra_vars=extra)
    elapsed = time.perf_counter() - start
    if run.rc != 0:
        raise SystemExit("playbook failed:\n" + run.explain())
    return elapsed, run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the baseline app on the host")
    args = parser.parse_args()
    lab = lab_env()
    tmpl = tempfile.mkdtemp(prefix="panel-bench-", dir=os.path.join(ROOT, ".build"))
    with open(os.path.join(tmpl, "unit.j2"), "w") as handle:
        handle.write(UNIT)
    with open(os.path.join(tmpl, "site.j2"), "w") as handle:
        handle.write(SITE)
    demo = os.path.join(ROOT, "playbooks", "demo_panel.yml")
    publish = os.path.join(ROOT, "playbooks", "publish.yml")
    extra = dict(lab=lab, tmpl=tmpl)
    print("converging both (not timed)...", flush=True)
    timed(demo, {})
    timed(BASELINE, extra)
    start = time.perf_counter()
    timed(publish, many_vars(lab))
    print("  (20 apps converged in %.0f s)" % (time.perf_counter() - start), flush=True)
    books = (("opsforge", (publish, demo_vars(lab))), ("baseline", (BASELINE, extra)), ("many", (publish, many_vars(lab))))
    times = {name: [] for name, _book in books}
    last = {}
    for _run in range(args.runs):
        for name, (book, ev) in books:
            elapsed, run = timed(book, ev)
            if run.changed() != 0:
                raise SystemExit("%s: the no-op re-run changed %d tasks:\n%s" % (name, run.changed(), run.explain()))
            times[name].append(elapsed)
            last[name] = run
    print("no-op re-run, median of %d (panel_host via community.docker.docker), load average %s:"
          % (args.runs, " ".join("%.2f" % x for x in os.getloadavg())))
    labels = dict(opsforge="1 app", baseline="baseline", many="%d apps" % MANY)
    for name, _book in books:
        ok, changed = tasks(last[name])
        print("  %-9s %6.2f s   tasks run (ok) %3d   changed %d   (runs: %s)" % (
            labels[name], statistics.median(times[name]), ok, changed, " ".join("%.2f" % t for t in times[name])))
    one = statistics.median(times["opsforge"])
    print("  ratio 1 app / baseline: %.2f (goal <= 0.7)   ratio %d apps / 1 app: %.2f (goal <= 3)"
          % (one / statistics.median(times["baseline"]), MANY, statistics.median(times["many"]) / one))
    if not args.keep:
        timed(CLEANUP, {})
        timed(CLEANUP_MANY, dict(apps=[name for name, _port in many_apps()]))


if __name__ == "__main__":
    main()
