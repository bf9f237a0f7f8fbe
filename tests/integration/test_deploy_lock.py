# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One deploy at a time per host and app (deploy_host), stale lock takeover, and following an async deploy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from lab import ROOT, ansible_env, run_playbook
from lab import deploy_sh as sh

APP = "opsforge-deploy-test-lock"
STATE_DIR = "/var/lib/opsforge-deploy-test/lock"
LOCK = "%s/locks/%s.lock" % (STATE_DIR, APP)

PLAY = """
- name: Deploy with deploy_shell
  hosts: deploy_host
  gather_facts: false
  tasks:
    - name: Deploy
      opsforge.infra.deploy_shell: "{{ deploy_args }}"
      register: result
      ignore_errors: true
"""


@pytest.fixture
def clean(lab):
    sh("rm -rf %s" % STATE_DIR)
    yield
    sh("rm -rf %s" % STATE_DIR)


def args(version, script, **kw):
    out = dict(app=APP, version=version, script=script, state_dir=STATE_DIR)
    out.update(kw)
    return out


def background(tmp_path, deploy_args):
    book = tmp_path / "play.yml"
    book.write_text(PLAY)
    return subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                             os.path.join(ROOT, "lab", "inventory.yml"), str(book), "-e", json.dumps(dict(deploy_args=deploy_args))],
                            cwd=ROOT, env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_lock(timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = sh("cat %s 2>/dev/null" % LOCK, check=False).stdout
        if out:
            return json.loads(out)
        time.sleep(0.2)
    raise AssertionError("the first deploy never took the lock")


def test_second_deploy_refused_naming_owner_then_waits(clean, tmp_path):
    first = background(tmp_path, args("1", "sleep 10"))  # long enough for a second ansible-playbook to start on a busy machine
    try:
        owner = wait_for_lock()
        run = run_playbook(PLAY, extra_vars=dict(deploy_args=args("2", "true")))
        res = run.task_results("Deploy")[0]
        assert res["failed"] and "another deploy of %s is running" % APP in res["msg"]
        assert owner["deploy_id"] in res["msg"] and res["lock_owner"]["pid"] == owner["pid"]
        assert res["lock_owner"]["user"] == "root" and res["lock_owner"]["host"]
        # With lock_wait the second one waits for the first and then runs.
        run = run_playbook(PLAY, extra_vars=dict(deploy_args=args("2", "true", lock_wait=60)))
        res = run.task_results("Deploy")[0]
        assert not res.get("failed") and res["deploy"]["status"] == "success", res
    finally:
        first.wait(timeout=120)
    assert sh("test -e %s" % LOCK, check=False).returncode != 0, "the lock was not released"


def test_stale_lock_of_killed_owner_is_taken_over(clean, tmp_path):
    first = background(tmp_path, args("1", "sleep 120"))
    owner = wait_for_lock()
    # Kill the module process that holds the lock (a process this test started, through the deploy).
    sh("kill -9 %d" % owner["pid"])
    first.wait(timeout=60)
    run = run_playbook(PLAY, extra_vars=dict(deploy_args=args("2", "echo fine")))
    res = run.task_results("Deploy")[0]
    assert not res.get("failed"), res
    assert res["deploy"]["details"]["lock_taken_over_from"]["deploy_id"] == owner["deploy_id"]
    assert sh("test -e %s" % LOCK, check=False).returncode != 0


STATUS = """
- name: Read the status
  hosts: deploy_host
  gather_facts: false
  tasks:
    - name: Status
      opsforge.infra.deploy_status:
        app: %(app)s
        state_dir: %(state)s
        wait: true
        wait_timeout: 60
      register: status
""" % dict(app=APP, state=STATE_DIR)


def test_killed_module_takes_its_script_along_and_reads_abandoned(clean, tmp_path):
    marker = "sleep 131.7"
    first = background(tmp_path, args("1", "%s & %s; wait" % (marker, marker)))
    running = "pgrep -f '^sleep 131[.]7$'"  # (a plain pattern would match the sh -c running pgrep)
    owner = wait_for_lock()
    deadline = time.time() + 30
    while time.time() < deadline and not sh(running, check=False).stdout.strip():
        time.sleep(0.2)
    assert sh(running, check=False).stdout.strip(), "the script never started"
    sh("kill -9 %d" % owner["pid"])  # the module process of that deploy (started by this test)
    first.wait(timeout=60)
    deadline = time.time() + 10
    while time.time() < deadline and sh(running, check=False).stdout.strip():
        time.sleep(0.2)
    assert not sh(running, check=False).stdout.strip(), "the script outlived its module"
    started = time.time()
    status = run_playbook(STATUS).task_results("Status")[0]["deploy_status"]
    assert time.time() - started < 30  # wait: true ended on the dead owner, it did not run to wait_timeout
    assert status["status"] == "abandoned" and status["finished"] and not status["running"], status
    assert status["deploy_id"] == owner["deploy_id"] and "died" in status["message"]
    run = run_playbook(PLAY, extra_vars=dict(deploy_args=args("2", "true")))
    assert not run.task_results("Deploy")[0].get("failed")
    records = [json.loads(line) for line in sh("cat %s/records/%s.jsonl" % (STATE_DIR, APP)).stdout.splitlines()]
    assert [r["status"] for r in records] == ["abandoned", "success"]


def test_lock_released_after_failure(clean):
    run = run_playbook(PLAY, extra_vars=dict(deploy_args=args("1", "exit 3")))
    assert run.task_results("Deploy")[0]["failed"]
    assert sh("test -e %s" % LOCK, check=False).returncode != 0


ASYNC = """
- name: Follow an async deploy
  hosts: deploy_host
  gather_facts: false
  tasks:
    - name: Start the deploy in the background
      opsforge.infra.deploy_shell:
        app: %(app)s
        version: "7"
        state_dir: %(state)s
        script: "echo step one; sleep 4; echo step two"
      async: 60
      poll: 0

    - name: Status while it runs
      opsforge.infra.deploy_status:
        app: %(app)s
        state_dir: %(state)s
      register: live
      until: live.deploy_status and live.deploy_status.status == 'script_running'
      retries: 40
      delay: 0.25

    - name: Status once it finished
      opsforge.infra.deploy_status:
        app: %(app)s
        state_dir: %(state)s
        wait: true
        wait_timeout: 60
      register: done
""" % dict(app=APP, state=STATE_DIR)


def test_follow_async_deploy_live(clean):
    run = run_playbook(ASYNC)
    assert run.rc == 0, run.explain()
    live = run.task_results("Status while it runs")[0]["deploy_status"]
    done = run.task_results("Status once it finished")[0]["deploy_status"]
    assert live["status"] == "script_running" and live["running"] and not live["finished"] and live["progress"] == 10
    assert done["deploy_id"] == live["deploy_id"] and done["status"] == "success" and done["finished"]
    assert done["progress"] == 100 and "step two" in done["logs_tail"]


def test_deploy_events_callback_end_to_end(clean, tmp_path):
    """A real playbook with the callback enabled: JSON lines on disk and signed webhook posts."""
    import hashlib
    import hmac

    sys.path.insert(0, os.path.join(ROOT, "tests", "unit", "plugins", "module_utils", "deploy"))
    from deploy_helpers import Server  # pylint: disable=import-outside-toplevel

    events = tmp_path / "events.jsonl"
    with Server() as hook:
        env = dict(ANSIBLE_CALLBACKS_ENABLED="opsforge.infra.deploy_events", OPSFORGE_DEPLOY_EVENTS_FILE=str(events),
                   OPSFORGE_DEPLOY_EVENTS_WEBHOOK_URL=hook.url + "/deploys", OPSFORGE_DEPLOY_EVENTS_WEBHOOK_SECRET="k3y")
        run = run_playbook(PLAY, extra_vars=dict(deploy_args=args("1", "echo hi")), env=env)
        run2 = run_playbook(PLAY, extra_vars=dict(deploy_args=args("2", "exit 9")), env=env)
    ok = run.task_results("Deploy")[0]
    failed = run2.task_results("Deploy")[0]
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    finals = [e for e in lines if e["event"] == "final"]
    assert [(e["callback_id"], e["status"], e["success"]) for e in finals] == [
        (ok["deploy"]["deploy_id"], "success", True), (failed["deploy"]["deploy_id"], "failed", False)]
    assert finals[1]["error"].startswith("deploy script exited 9") and finals[0]["host"] == "deploy_host"
    assert [e["status"] for e in lines if e["event"] == "status" and e["callback_id"] == finals[0]["callback_id"]][-1] == "success"
    assert len(hook.requests) == len(lines)
    for req in hook.requests:
        assert req["headers"]["X-Opsforge-Signature"] == "sha256=" + hmac.new(b"k3y", req["body"], hashlib.sha256).hexdigest()
