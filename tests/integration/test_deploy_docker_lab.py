# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_docker against the lab's Docker engine, registry and test images (hosts: localhost).

Every container is named opsforge-deploy-test-* and removed at the end. The zero-downtime test runs a
private nginx on 127.0.0.1:18080 (config in a temp dir) in front of the app.
"""

from __future__ import annotations

import shutil
import tempfile
import time

import pytest

import docker
from lab import Hammer, http_get, lab_env, run_playbook, zero_downtime_nginx

APP = "opsforge-deploy-test-docker"
PORT = 18501
V1 = "127.0.0.1:5000/opsforge/testapp:1.0"
V2 = "127.0.0.1:5000/opsforge/testapp:2.0"

PLAY = """
- name: Deploy with deploy_docker
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Deploy
      opsforge.infra.deploy_docker: "{{ deploy_args }}"
      register: result
      ignore_errors: "{{ expect_failure | default(false) }}"
"""

INFO = """
- name: Read records
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Info
      opsforge.infra.deploy_info:
        app: "{{ app }}"
        state_dir: "{{ state_dir }}"
        deploy_id: "{{ deploy_id | default(omit) }}"
        include_logs: true
"""


def get(url):
    return http_get(url, timeout=2)


def cleanup(client, prefix):
    for container in client.containers.list(all=True, filters=dict(name=prefix)):
        if container.name.startswith(prefix):
            container.remove(force=True)


@pytest.fixture
def client(lab):
    cli = docker.from_env()
    cleanup(cli, APP)
    yield cli
    cleanup(cli, APP)


@pytest.fixture
def state_dir():
    path = tempfile.mkdtemp(prefix="opsforge-deploy-test-docker-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def deploy(state_dir, check=False, expect_failure=False, **args):
    base = dict(app=APP, state_dir=state_dir, port=PORT, stop_timeout=2, start_timeout=20,
                health_checks=[dict(path="/", retries=3, delay=1, timeout=15)])
    base.update(args)
    run = run_playbook(PLAY, extra_vars=dict(deploy_args=base, expect_failure=expect_failure), check=check, diff=True)
    results = run.task_results("Deploy")
    assert results, run.explain()
    if not expect_failure:
        assert run.rc == 0, run.explain()
    return results[0]


def test_docker_v1_v2_then_failing_v3_roll_back(client, state_dir):
    url = "http://127.0.0.1:%d/" % PORT
    res = deploy(state_dir, check=True, image=V1)
    assert res["changed"] and res["diff"]["after"]["version"] == "1.0"
    assert not client.containers.list(all=True, filters=dict(name=APP)), "check mode started a container"

    res = deploy(state_dir, image=V1)
    assert res["changed"] and res["deploy"]["status"] == "success" and get(url) == "version=1.0"
    assert deploy(state_dir, check=True, image=V1)["changed"] is False
    assert deploy(state_dir, image=V1)["changed"] is False

    res = deploy(state_dir, image=V2)
    assert res["changed"] and get(url) == "version=2.0"
    record = res["deploy"]
    assert record["previous_version"] == "1.0" and record["details"]["strategy"] == "stop_first"
    assert record["details"]["image_id"] == client.images.get(V2).id
    stages = [h["status"] for h in record["history"]]
    assert stages[:3] == ["pending", "executing", "pulling"] and "stopping" in stages and "starting" in stages
    assert "health_check" in stages and stages[-1] == "success"
    live = client.containers.get(APP)
    assert live.image.id == client.images.get(V2).id and live.status == "running"
    assert client.containers.get(APP + "-previous").image.id == client.images.get(V1).id

    failures = [
        (dict(image=lab_env()["LAB_IMAGE_UNHEALTHY"], version="3-unhealthy"), "failed", "unhealthy (Docker HEALTHCHECK)"),
        (dict(image=lab_env()["LAB_IMAGE_CRASH"], version="3-crash"), "failed", "crashed: exited with code"),
        (dict(image=V1, version="3-status", env=dict(HEALTH_STATUS="503"), wait_healthcheck=False,
              health_checks=[dict(path="/cgi-bin/health", retries=1, delay=1, timeout=5)]), "failed", "HTTP 503"),
        (dict(image=V1, version="3-slow", env=dict(STARTUP_DELAY="30"), wait_healthcheck=False,
              health_checks=[dict(retries=10, delay=1, timeout=4)]), "timeout", "deadline of 4s reached"),
    ]
    for args, status, needle in failures:
        res = deploy(state_dir, expect_failure=True, **args)
        assert res["failed"] and needle in res["msg"], res["msg"]
        assert res["rolled_back"] is True and "rollback to 2.0: rolled_back" in res["msg"]
        record = res["deploy"]
        assert record["status"] == status and record["effective_version"] == "2.0"
        assert record["rollback"]["status"] == "rolled_back" and record["rollback"]["health"][0]["success"]
        assert get(url) == "version=2.0", args
        live = client.containers.get(APP)
        assert live.image.id == client.images.get(V2).id and live.status == "running"
        assert not client.containers.list(all=True, filters=dict(name=APP + "-new"))

    info = run_playbook(INFO, extra_vars=dict(app=APP, state_dir=state_dir))
    deploys = info.task_results("Info")[0]["deploys"]
    assert [d["status"] for d in deploys] == ["timeout", "failed", "failed", "failed", "success", "success"]
    assert all("rolled_back" in [h["status"] for h in d["history"]] for d in deploys[:4])


def test_docker_registry_password_is_not_logged(client, state_dir):
    res = deploy(state_dir, image=V1, registry_username="ci", registry_password="pw-should-not-leak")
    assert res["changed"]
    assert "pw-should-not-leak" not in repr(res)


@pytest.fixture
def nginx():
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (lab/install-deps.sh installs nginx-light)")
    with zero_downtime_nginx(APP) as server:
        yield server


def test_docker_zero_downtime_behind_nginx(client, state_dir, nginx):
    zd = dict(strategy="zero_downtime", port_range=[18510, 18520], nginx_upstream_file=nginx["upstream"],
              nginx_test_command=nginx["test"], nginx_reload_command=nginx["reload"], drain_seconds=1)
    res = deploy(state_dir, image=V1, **zd)
    assert res["changed"] and get("http://127.0.0.1:18080/") == "version=1.0"
    first_port = res["deploy"]["details"]["port"]
    assert "server 127.0.0.1:%d;" % first_port in open(nginx["upstream"]).read()

    hammer = Hammer("http://127.0.0.1:18080/")
    hammer.start()
    try:
        time.sleep(1)
        res = deploy(state_dir, image=V2, **zd)
        time.sleep(1)
        failed = deploy(state_dir, expect_failure=True, image=lab_env()["LAB_IMAGE_UNHEALTHY"], version="3", **zd)
        time.sleep(1)
    finally:
        hammer.stop.set()
        hammer.join()
    assert res["changed"] and res["deploy"]["details"]["port"] != first_port
    assert res["deploy"]["details"]["upstream"]["old"] == ["127.0.0.1:%d" % first_port]
    assert failed["rolled_back"] is True
    assert len(hammer.answers) > 50
    assert hammer.failures() == [], hammer.failures()[:5]
    assert "version=1.0" in hammer.answers and hammer.answers[-1] == "version=2.0"
    assert "server 127.0.0.1:%d;" % res["deploy"]["details"]["port"] in open(nginx["upstream"]).read()
    assert client.containers.get(APP + "-previous").status == "exited"


MONITOR = """
- name: Monitor and roll back
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Monitor
      opsforge.infra.docker_monitor_info:
        names: ["{{ app }}*"]
        labels:
          opsforge.deploy.app: "{{ app }}"
      register: mon

    - name: Rollback
      opsforge.infra.deploy_rollback:
        app: "{{ app }}"
        state_dir: "{{ state_dir }}"
        stop_timeout: 2
        health_checks:
          - port: %d
            retries: 3
            delay: 1
      register: rb
""" % PORT


def test_docker_monitor_and_manual_rollback(client, state_dir):
    deploy(state_dir, image=V1)
    deploy(state_dir, image=V2)
    run = run_playbook(MONITOR, extra_vars=dict(app=APP, state_dir=state_dir))
    assert run.rc == 0, run.explain()
    mon = {c["name"]: c for c in run.task_results("Monitor")[0]["containers"]}
    assert set(mon) == {APP, APP + "-previous"}
    live = mon[APP]
    assert live["running"] and live["health"] == "healthy" and live["version"] == "2.0" and live["restart_count"] == 0
    assert live["health_log"] and live["health_log"][-1]["exit_code"] == 0
    raw = client.containers.get(APP).stats(stream=False)
    assert live["cpu_percent"] is not None and live["cpu_percent"] >= 0
    if raw.get("memory_stats", {}).get("usage"):
        assert live["memory"]["usage_bytes"] > 0 and live["memory"]["limit_bytes"] > 0
    else:  # this engine has no memory accounting (dockerd without the cgroup controller)
        assert live["memory"] is None
    assert mon[APP + "-previous"]["status"] == "exited" and mon[APP + "-previous"]["cpu_percent"] is None
    rb = run.task_results("Rollback")[0]
    assert rb["changed"] and rb["deploy"]["version"] == "1.0" and rb["deploy"]["previous_version"] == "2.0"
    assert rb["deploy"]["details"]["method"] == "kept container"
    assert get("http://127.0.0.1:%d/" % PORT) == "version=1.0"
    assert client.containers.get(APP).image.id == client.images.get(V1).id
    # The container 2.0 is kept; with it gone the rollback re-creates 1.0 from the recorded spec by image ID.
    deploy(state_dir, image=V2, force=True)
    client.containers.get(APP + "-previous").remove(force=True)
    run = run_playbook(MONITOR, extra_vars=dict(app=APP, state_dir=state_dir))
    rb = run.task_results("Rollback")[0]
    assert rb["changed"] and rb["deploy"]["details"]["method"] == "re-created from spec by image id", rb
    assert get("http://127.0.0.1:%d/" % PORT) == "version=1.0"
    live = client.containers.get(APP)
    assert live.attrs["Image"] == client.images.get(V1).id and live.attrs["Config"]["Env"].count("PORT=%d" % PORT) == 1


STABLE_PORT = 18120
# testapp 2.0 whose health CGI starts answering 500 three seconds after the start: healthy at first.
TURNS_UNHEALTHY = ["/bin/sh", "-c", r"""(sleep 3; printf '#!/bin/sh\nprintf "Status: 500 Bad\\r\\n\\r\\nbad\\n"\n' """
                   r"""> /www/cgi-bin/health) & exec /bin/app"""]


def test_docker_stability_window_catches_an_app_that_turns_unhealthy(client, state_dir):
    base = dict(app=APP + "-stable", state_dir=state_dir, port=STABLE_PORT, pull="missing", start_timeout=30)
    run = run_playbook(PLAY, extra_vars=dict(deploy_args=dict(base, image=V1)))
    assert run.task_results("Deploy")[0]["deploy"]["status"] == "success"
    check = dict(path="/cgi-bin/health", retries=10, delay=0.5, timeout=30, stable_successes=8, stable_period=7)
    run = run_playbook(PLAY, extra_vars=dict(expect_failure=True, deploy_args=dict(
        base, image=V2, command=TURNS_UNHEALTHY, stable_period=1, health_checks=[check])))
    res = run.task_results("Deploy")[0]
    assert res.get("failed"), "an app that turned unhealthy after its first successes was recorded %s" % res["deploy"]["status"]
    record = res["deploy"]
    assert "unhealthy again after" in record["error"] or "Docker HEALTHCHECK" in record["error"], record["error"]
    assert record["rollback"]["status"] == "rolled_back" and get("http://127.0.0.1:%d/" % STABLE_PORT) == "version=1.0"
