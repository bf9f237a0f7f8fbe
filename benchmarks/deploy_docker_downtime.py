# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Zero-downtime deploy behind nginx: failed requests out of N sent during the deploy (goal 0), and the
rollback time after a failed health check (goal: health timeout + 5 s at most). Uses the lab's engine and
images, a private nginx on 127.0.0.1:18080 and ports 18510-18520.

    .venv/bin/python benchmarks/deploy_docker_downtime.py [--requests 1000] [--health-timeout 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from lab import lab_env, run_playbook  # noqa: E402

APP = "opsforge-deploy-bench-zd"
PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Deploy
      opsforge.infra.deploy_docker: "{{ deploy_args }}"
      register: result
      ignore_errors: true
"""
NGINX = """
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    include {d}/upstreams/*.conf;
    server {{ listen 127.0.0.1:18080; location / {{ proxy_pass http://opsforge_{app}; proxy_next_upstream off; }} }}
}}
"""


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status == 200
    except Exception:  # noqa: BLE001
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--health-timeout", type=float, default=5)
    opts = parser.parse_args()
    lab = lab_env()
    reg = lab["LAB_REGISTRY"]
    work = tempfile.mkdtemp(prefix="opsforge-deploy-bench-nginx-")
    state = os.path.join(work, "state")
    os.makedirs(os.path.join(work, "tmp"))
    os.makedirs(os.path.join(work, "upstreams"))
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as handle:
        handle.write(NGINX.format(d=work, app=APP.replace("-", "_")))
    with open(os.path.join(work, "upstreams", APP + ".conf"), "w") as handle:
        handle.write("upstream opsforge_%s { server 127.0.0.1:18599; }\n" % APP.replace("-", "_"))
    base = ["nginx", "-c", conf, "-p", work]
    subprocess.run(base, check=True)
    common = dict(app=APP, state_dir=state, port=8080, strategy="zero_downtime", port_range=[18510, 18520],
                  nginx_upstream_file=os.path.join(work, "upstreams", APP + ".conf"), nginx_test_command=base + ["-t"],
                  nginx_reload_command=base + ["-s", "reload"], drain_seconds=1, stop_timeout=2,
                  health_checks=[dict(path="/", retries=100, delay=0.5, timeout=opts.health_timeout)])
    try:
        run = run_playbook(PLAY, extra_vars=dict(deploy_args=dict(common, image=reg + "/opsforge/testapp:1.0")))
        assert run.task_results("Deploy")[0].get("changed"), run.explain()
        results = []

        def client():
            while len(results) < opts.requests:
                results.append(get("http://127.0.0.1:18080/"))
                time.sleep(0.005)

        thread = threading.Thread(target=client)
        thread.start()
        time.sleep(0.5)
        run = run_playbook(PLAY, extra_vars=dict(deploy_args=dict(common, image=reg + "/opsforge/testapp:2.0")))
        deployed = run.task_results("Deploy")[0]
        thread.join()
        failed = results.count(False)

        start = time.time()
        run = run_playbook(PLAY, extra_vars=dict(deploy_args=dict(common, image=reg + "/opsforge/testapp:1.0", version="3",
                                                                  env=dict(HEALTH_STATUS="503"), wait_healthcheck=False,
                                                                  health_checks=[dict(path="/cgi-bin/health", retries=100, delay=0.5,
                                                                                      timeout=opts.health_timeout)])))
        wall = time.time() - start
        bad = run.task_results("Deploy")[0]
        history = bad["deploy"]["history"]
        health_fail = next(h for h in history if h["status"] == "rolling_back")["timestamp"]
        done = next(h for h in history if h["status"] == "rolled_back")["timestamp"]
    finally:
        subprocess.run(base + ["-s", "quit"], check=False)
        subprocess.run("docker rm -f $(docker ps -aq --filter name=%s) >/dev/null 2>&1" % APP, shell=True, check=False)
        time.sleep(0.3)
        shutil.rmtree(work, ignore_errors=True)

    def ts(text):
        return time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + float("0." + text[20:26])

    print("zero-downtime deploy 1.0 -> 2.0 behind nginx: %s (%s)" % (deployed["deploy"]["status"], deployed["deploy"]["duration"]))
    print("failed requests: %d of %d   (goal 0)" % (failed, len(results)))
    print("failed deploy with health timeout %.0fs: whole task %.1fs, deploy record %.1fs, rollback itself %.2fs"
          % (opts.health_timeout, wall, bad["deploy"]["duration"], ts(done) - ts(health_fail)))
    print("rollback finished %.1fs after the deploy started   (goal <= health timeout + 5 s = %.0fs)"
          % (bad["deploy"]["duration"], opts.health_timeout + 5))


if __name__ == "__main__":
    main()
