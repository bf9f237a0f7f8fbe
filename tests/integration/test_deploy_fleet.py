# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rolling deploys (playbooks/deploy_rolling.yml) across the lab's six fleet hosts, reached over SSH the way users
reach theirs (inventory group lab_fleet: sshd on 127.0.0.1:22211-22216, key auth, pipelining).

Each host runs the app (busybox httpd as a systemd unit, restarted at every deploy) on its own port 21601-21606; a
private nginx on the controller (127.0.0.1:21690) balances over the six, retrying another host while one restarts.
A client sends requests through nginx the whole time: a rollout that fails in its last batch must end with every
host on the old version and not one failed request.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from lab import ROOT, Hammer, host_sh, http_get, private_nginx, run_playbook

APP = "opsforge-fleet-test"
STATE_DIR = "/var/lib/opsforge-deploy-test/fleet"
HOSTS = ["fleet%d" % i for i in range(1, 7)]
PORTS = {host: 21600 + i for i, host in enumerate(HOSTS, 1)}
NGINX_PORT = 21690

# The deploy script restarts the unit (a real gap on that host); with FLEET_BREAK=yes the new version does not come
# up (the unit stays stopped), so that host's health check fails and its own rollback runs.
SCRIPT = r"""
mkdir -p /srv/fleetapp/www
if [ ! -f /etc/systemd/system/fleetapp.service ]; then
  printf '[Service]\nExecStart=/bin/busybox httpd -f -p 127.0.0.1:%s -h /srv/fleetapp/www\n' "$PORT" > /etc/systemd/system/fleetapp.service
  systemctl daemon-reload
fi
printf 'version=%s\n' "$DEPLOY_VERSION" > /srv/fleetapp/www/index.new && mv /srv/fleetapp/www/index.new /srv/fleetapp/www/index.html
if [ "$FLEET_BREAK" = yes ]; then systemctl stop fleetapp; else systemctl restart fleetapp; fi
"""
ROLLBACK = r"""
printf 'version=%s\n' "$DEPLOY_VERSION" > /srv/fleetapp/www/index.new && mv /srv/fleetapp/www/index.new /srv/fleetapp/www/index.html
systemctl restart fleetapp
"""

# nginx retries another host while one restarts. max_fails=0: a host that refused one connection while it restarted is
# tried again at once, not set aside for fail_timeout (with six hosts restarting batch by batch, all of them could be
# set aside at the same moment).
NGINX_HTTP = """
    upstream fleet {
%s
    }
    server {
        listen 127.0.0.1:%d;
        location / {
            proxy_pass http://fleet;
            proxy_connect_timeout 1s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 6;
        }
    }""" % ("\n".join("        server 127.0.0.1:%d max_fails=0;" % port for port in PORTS.values()), NGINX_PORT)


@pytest.fixture
def fleet(lab):
    proc = subprocess.run(["bash", os.path.join(ROOT, "lab", "up.sh"), "fleet"], capture_output=True, text=True,
                          check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    clean = "systemctl stop fleetapp 2>/dev/null; rm -rf %s /srv/fleetapp /etc/systemd/system/fleetapp.service" % STATE_DIR
    for host in HOSTS:
        host_sh(host, clean, check=False)
    try:
        with private_nginx(NGINX_HTTP, prefix="opsforge-fleet-nginx-"):
            yield
    finally:
        for host in HOSTS:
            host_sh(host, clean, check=False)


def rolling(version, broken=(), batches=(2, 2, 2)):
    env = {"PORT": "{{ lab_fleet_app_port }}",
           "FLEET_BREAK": "{{ 'yes' if inventory_hostname in %s else 'no' }}" % json.dumps(list(broken))}
    return run_playbook(os.path.join(ROOT, "playbooks", "deploy_rolling.yml"), extra_vars=dict(
        deploy_hosts="lab_fleet", deploy_app=APP, deploy_version=version, deploy_script=SCRIPT,
        deploy_rollback_script=ROLLBACK, deploy_state_dir=STATE_DIR, deploy_env=env, deploy_batches=list(batches),
        deploy_health_port="{{ lab_fleet_app_port }}", deploy_health_retries=2, deploy_health_delay=0.5))


def served():
    return {host: http_get("http://127.0.0.1:%d/" % port) for host, port in PORTS.items()}


def records(host):
    out = host_sh(host, "cat %s/records/%s.jsonl 2>/dev/null" % (STATE_DIR, APP), check=False).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_failing_last_batch_rolls_the_whole_fleet_back_without_a_failed_request(fleet):
    run = rolling("1", batches=(6,))
    assert run.rc == 0, run.explain()
    assert served() == {host: "version=1" for host in HOSTS}

    hammer = Hammer("http://127.0.0.1:%d/" % NGINX_PORT, timeout=3, pause=0.02)
    hammer.start()
    try:
        time.sleep(1)
        run = rolling("2", broken=("fleet5", "fleet6"))
        time.sleep(1)
    finally:
        hammer.stop.set()
        hammer.join()
    assert run.rc != 0, run.explain()
    assert "fleet5, fleet6 failed, and every host it had switched was rolled back" in run.failed_messages()
    # every host is on the old version again, and nobody behind nginx saw an error meanwhile
    assert served() == {host: "version=1" for host in HOSTS}
    assert len(hammer.answers) > 50
    assert hammer.failures() == [], hammer.failures()[:5]
    assert "version=2" in hammer.answers, "the first batches never served v2: the test proved nothing"
    # recorded per host: the switched hosts have the v2 deploy and the rollback that undid it
    for host in HOSTS:
        kept = [(r["command_type"], r["version"], r["status"]) for r in records(host)]
        assert kept[0] == ("shell", "1", "success"), (host, kept)
        if host in ("fleet5", "fleet6"):
            # its own deploy failed and rolled itself back
            assert kept[1:] == [("shell", "2", "failed")], (host, kept)
            assert "rolled_back" in [h["status"] for h in records(host)[1]["history"]], (host, records(host)[1])
        else:
            assert kept[1:] == [("shell", "2", "success"), ("rollback", "1", "success")], (host, kept)
            v2, undo = records(host)[1:]
            assert undo["deploy_id"] != v2["deploy_id"] and undo.get("rollback_of") == v2["deploy_id"], (host, undo)
            assert v2.get("rolled_back_by") == undo["deploy_id"], (host, v2)


def test_a_failing_canary_stops_the_rollout_before_any_other_host(fleet):
    assert rolling("1", batches=(6,)).rc == 0
    run = rolling("2", broken=("fleet1",), batches=(1, 5))
    assert run.rc != 0, run.explain()
    assert served() == {host: "version=1" for host in HOSTS}
    assert [r["version"] for r in records("fleet1")] == ["1", "2"]
    for host in HOSTS[1:]:
        assert [r["version"] for r in records(host)] == ["1"], "%s was deployed after the canary failed" % host
