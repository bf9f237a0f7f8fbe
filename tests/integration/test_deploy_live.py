# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live deploy progress as an AWX user sees it: the playbook runs through ansible-runner (what AWX runs every
job with), its event stream is recorded with arrival times, and a webhook sink on 127.0.0.1 records when
each status event arrived. Each stage must be seen in both within a second of happening, while the deploy
runs, for a synchronous task and for an ``async`` one alike."""

from __future__ import annotations

import datetime
import io
import json
import os
import sys
import tarfile
import time

import ansible_runner
import pytest

from lab import INVENTORY, ansible_env
from lab import deploy_sh as sh

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "unit", "plugins", "module_utils", "deploy"))
from deploy_helpers import Server  # noqa: E402

APP = "opsforge-deploy-test-live"
STATE_DIR = "/var/lib/opsforge-deploy-test/live"
SINK_PORT = 18140

PLAY = """
- name: Live progress
  hosts: deploy_host
  gather_facts: false
  tasks:
    - name: Deploy
      opsforge.infra.deploy_shell:
        app: %(app)s
        version: "{{ version }}"
        state_dir: %(state)s
        script: "sleep 1.5; echo deployed"
        health_checks:
          - type: script
            script: "sleep 1.5"
            retries: 0
      register: result
      %(async)s
"""


def epoch(stamp):
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


@pytest.fixture
def clean(lab):
    sh("rm -rf %s" % STATE_DIR)
    yield
    sh("rm -rf %s" % STATE_DIR)


def run_through_runner(tmp_path, version, async_line, hook_url, play=PLAY):
    book = tmp_path / "project" / "live.yml"
    book.parent.mkdir(parents=True, exist_ok=True)
    book.write_text(play % {"app": APP, "state": STATE_DIR, "async": async_line})
    seen = []

    def handler(event):
        seen.append((time.time(), event))
        return True

    env = ansible_env(dict(ANSIBLE_CALLBACKS_ENABLED="opsforge.infra.deploy_events",
                           OPSFORGE_DEPLOY_EVENTS_WEBHOOK_URL=hook_url, OPSFORGE_DEPLOY_EVENTS_FILE=str(tmp_path / "ev.jsonl")))
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = env["PATH"]
    try:
        run = ansible_runner.run(private_data_dir=str(tmp_path), playbook=str(book), inventory=INVENTORY,
                                 envvars=dict((k, v) for k, v in env.items() if k.startswith(("ANSIBLE_", "OPSFORGE_"))),
                                 extravars=dict(version=version), event_handler=handler, quiet=True)
    finally:
        os.environ["PATH"] = old_path
    assert run.rc == 0, "\n".join(e.get("stdout", "") for _t, e in seen)
    return seen


@pytest.mark.parametrize("async_line", ["", "async: 60\n      poll: 1"], ids=["sync", "async"])
def test_each_stage_is_seen_live_at_the_sink_and_in_the_job_output(clean, tmp_path, async_line):
    with Server(port=SINK_PORT) as sink:
        arrivals = []
        sink.status = lambda n: arrivals.append(time.time()) or 200
        seen = run_through_runner(tmp_path, "1", async_line, sink.url + "/deploys")
        posted = [(arrivals[i], json.loads(req["body"])) for i, req in enumerate(sink.requests)]
    done = [t for t, e in seen if e.get("event") in ("runner_on_ok", "runner_on_async_ok") and e.get("event_data", {}).get("task") == "Deploy"]
    assert done, "no result event for the deploy task"
    status = [(t, e) for t, e in posted if e["event"] == "status"]
    stages = [e["status"] for _t, e in status]
    assert stages[:3] == ["pending", "executing", "script_running"] and "health_check" in stages, stages
    for arrived, event in status:
        late = arrived - epoch(event["timestamp"])
        assert late < 1.0, "%s arrived at the sink %.2fs after it happened" % (event["status"], late)
    assert [e["event"] for _t, e in posted].count("final") == 1
    assert len(set((e["status"], e["timestamp"]) for _t, e in status)) == len(status), "an event was sent twice: %s" % stages
    # The job output (ansible-runner events) shows each stage with its progress while the task runs.
    lines = [(t, e.get("stdout", "")) for t, e in seen]
    for _arrived, event in status:
        needle = "%s %s%%" % (event["status"], event["progress"])
        shown = [t for t, text in lines if "opsforge deploy [deploy_host]" in text and needle in text]
        assert shown, "%s never showed in the job output" % needle
        assert shown[0] - epoch(event["timestamp"]) < 1.0, "%s showed %.2fs late" % (needle, shown[0] - epoch(event["timestamp"]))
        if (event["status"], event["progress"]) == ("script_running", 10):
            assert shown[0] < done[0] - 2.0  # while the deploy ran (3 s of script and check), not in a burst after it


DETACHED = PLAY + """
    - name: Follow it
      opsforge.infra.deploy_status:
        app: %(app)s
        state_dir: %(state)s
        wait: true
        wait_timeout: 60
"""


def test_async_poll_0_is_followed_live_by_deploy_status(clean, tmp_path):
    """The documented AWX pattern (async, poll: 0, then deploy_status): every stage reaches the sink once,
    those after the follow-up task started within a second, and the final event too."""
    with Server(port=SINK_PORT) as sink:
        arrivals = []
        sink.status = lambda n: arrivals.append(time.time()) or 200
        seen = run_through_runner(tmp_path, "2", "async: 60\n      poll: 0", sink.url + "/deploys", play=DETACHED)
        posted = [(arrivals[i], json.loads(req["body"])) for i, req in enumerate(sink.requests)]
    follow = [t for t, e in seen if e.get("event") == "playbook_on_task_start" and e.get("event_data", {}).get("task") == "Follow it"]
    status = [(t, e) for t, e in posted if e["event"] == "status"]
    assert [e["status"] for _t, e in status][-1] == "success" and [e["event"] for _t, e in posted].count("final") == 1
    assert len(set((e["status"], e["timestamp"]) for _t, e in status)) == len(status)
    for arrived, event in status:
        if epoch(event["timestamp"]) > follow[0] + 0.5:
            assert arrived - epoch(event["timestamp"]) < 1.0, event


TAR_PLAY = """
- name: Live progress
  hosts: deploy_ssh
  gather_facts: false
  tasks:
    - name: Deploy
      opsforge.infra.deploy_tar:
        app: %(app)s
        version: "{{ version }}"
        src: "{{ package }}"
        state_dir: %(state)s
        deploy_dir: /srv/%(app)s
        start_command: "sleep 1.5"
        health_checks:
          - type: script
            script: "sleep 1.5"
            retries: 0
      register: result
      %(async)s
"""


def test_deploy_tar_stages_are_seen_live_after_the_transfer(clean, tmp_path):
    """deploy_tar over SSH: after the transfer, its deploy stages reach the sink and the job output as they happen."""
    package = tmp_path / "app-1.tar.gz"
    with tarfile.open(package, "w:gz") as archive:
        info = tarfile.TarInfo("index.html")
        body = b"version=1\n"
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    with Server(port=SINK_PORT) as sink:
        arrivals = []
        sink.status = lambda n: arrivals.append(time.time()) or 200
        seen = run_through_runner(tmp_path, "1", "", sink.url + "/deploys", play=TAR_PLAY.replace(
            '"{{ package }}"', '"%s"' % package))
        posted = [(arrivals[i], json.loads(req["body"])) for i, req in enumerate(sink.requests)]
    sh("rm -rf /srv/%s" % APP)
    done = [t for t, e in seen if e.get("event") == "runner_on_ok" and e.get("event_data", {}).get("task") == "Deploy"]
    assert done, "no result event for the deploy task"
    status = [(t, e) for t, e in posted if e["event"] == "status"]
    stages = [e["status"] for _t, e in status]
    assert stages[0] == "pending" and "health_check" in stages and stages[-1] == "success", stages
    for arrived, event in status:
        assert arrived - epoch(event["timestamp"]) < 1.0, "%s arrived %.2fs late" % (event["status"], arrived - epoch(event["timestamp"]))
    assert [e["event"] for _t, e in posted].count("final") == 1
    lines = [(t, e.get("stdout", "")) for t, e in seen]
    health = [e for _t, e in status if e["status"] == "health_check"][0]
    shown = [t for t, text in lines if "opsforge deploy [deploy_ssh]" in text and "health_check %s%%" % health["progress"] in text]
    assert shown and shown[0] < done[0] - 1.0, "the health check stage did not show while the deploy ran"
