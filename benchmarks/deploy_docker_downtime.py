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
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from lab import Hammer, lab_env, run_playbook, zero_downtime_nginx  # noqa: E402

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


def run(opts, reg, state, nginx):
    """Deploy 1.0, then 2.0 with a client sending --requests requests through nginx meanwhile, then a failing
    release; return the 2.0 result, the client, the failing deploy's wall time and its result."""
    common = dict(app=APP, state_dir=state, port=8080, strategy="zero_downtime", port_range=[18510, 18520],
                  nginx_upstream_file=nginx["upstream"], nginx_test_command=nginx["test"],
                  nginx_reload_command=nginx["reload"], drain_seconds=1, stop_timeout=2,
                  health_checks=[dict(path="/", retries=100, delay=0.5, timeout=opts.health_timeout)])
    first = run_playbook(PLAY, extra_vars=dict(deploy_args=dict(common, image=reg + "/opsforge/testapp:1.0")))
    assert first.task_results("Deploy")[0].get("changed"), first.explain()
    hammer = Hammer("http://127.0.0.1:18080/", pause=0.005, limit=opts.requests)
    hammer.start()
    time.sleep(0.5)
    second = run_playbook(PLAY, extra_vars=dict(deploy_args=dict(common, image=reg + "/opsforge/testapp:2.0")))
    hammer.join()
    start = time.time()
    third = run_playbook(PLAY, extra_vars=dict(deploy_args=dict(common, image=reg + "/opsforge/testapp:1.0", version="3",
                                                                env=dict(HEALTH_STATUS="503"), wait_healthcheck=False,
                                                                health_checks=[dict(path="/cgi-bin/health", retries=100, delay=0.5,
                                                                                    timeout=opts.health_timeout)])))
    wall = time.time() - start
    return second.task_results("Deploy")[0], hammer, wall, third.task_results("Deploy")[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--health-timeout", type=float, default=5)
    opts = parser.parse_args()
    lab = lab_env()
    reg = lab["LAB_REGISTRY"]
    state = tempfile.mkdtemp(prefix="opsforge-deploy-bench-state-")
    try:
        with zero_downtime_nginx(APP) as nginx:
            deployed, hammer, wall, bad = run(opts, reg, state, nginx)
    finally:
        subprocess.run("docker rm -f $(docker ps -aq --filter name=%s) >/dev/null 2>&1" % APP, shell=True, check=False)
        shutil.rmtree(state, ignore_errors=True)
    history = bad["deploy"]["history"]
    health_fail = next(h for h in history if h["status"] == "rolling_back")["timestamp"]
    done = next(h for h in history if h["status"] == "rolled_back")["timestamp"]

    def ts(text):
        return time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + float("0." + text[20:26])

    print("zero-downtime deploy 1.0 -> 2.0 behind nginx: %s (%s)" % (deployed["deploy"]["status"], deployed["deploy"]["duration"]))
    print("failed requests: %d of %d   (goal 0)" % (len(hammer.failures()), len(hammer.answers)))
    print("failed deploy with health timeout %.0fs: whole task %.1fs, deploy record %.1fs, rollback itself %.2fs"
          % (opts.health_timeout, wall, bad["deploy"]["duration"], ts(done) - ts(health_fail)))
    print("rollback finished %.1fs after the deploy started   (goal <= health timeout + 5 s = %.0fs)"
          % (bad["deploy"]["duration"], opts.health_timeout + 5))


if __name__ == "__main__":
    main()
