# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Dead deploys: a module process killed mid-deploy takes its script with it and is recorded as abandoned."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import records
from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.shell import SHELL_OPTIONS, ShellDeployment

COLLECTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "..", ".build", "collections")
SCRIPT = 'echo $$ > "$W/sh.pid"; sleep 300 & echo $! > "$W/child.pid"; wait'

MODULE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.shell import SHELL_OPTIONS, ShellDeployment
params = dict((k, v.get("default")) for k, v in SHELL_OPTIONS.items())
params.update(json.loads(sys.argv[2]))
ShellDeployment(params).run()
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(predicate, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def killed_deploy(tmp_path):
    """A deploy whose module process is SIGKILLed while its script runs."""
    state = str(tmp_path / "state")
    params = dict(app="web", version="1", script=SCRIPT, state_dir=state, env=dict(W=str(tmp_path)), timeout=600)
    proc = subprocess.Popen([sys.executable, "-c", MODULE, os.path.abspath(COLLECTIONS), json.dumps(params)])
    assert wait_for(lambda: (tmp_path / "child.pid").exists() and (tmp_path / "child.pid").read_text().strip())
    pids = [int((tmp_path / name).read_text()) for name in ("sh.pid", "child.pid")]
    store = st.Store(state)
    assert store.read_status("web")["status"] == "script_running"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    yield store, pids, tmp_path
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def test_script_dies_with_the_module(killed_deploy):
    _store, pids, _tmp = killed_deploy
    assert wait_for(lambda: not any(alive(pid) for pid in pids), timeout=8), "the script outlived its module"


def test_status_read_reports_abandoned_and_records_it(killed_deploy):
    store, _pids, _tmp = killed_deploy
    status = records.read_deploy_status(store, "web")
    assert status["status"] == "abandoned" and status["finished"] is True and status["running"] is False
    assert "died" in status["message"]
    kept = store.records("web")
    assert [r["status"] for r in kept] == ["abandoned"] and kept[0]["deploy_id"] == status["deploy_id"]
    assert kept[0]["success"] is False and kept[0]["history"][-1]["status"] == "abandoned"
    assert records.read_deploy_status(store, "web")["status"] == "abandoned" and len(store.records("web")) == 1


def test_wait_returns_abandoned_not_early(killed_deploy):
    store, _pids, _tmp = killed_deploy
    status = records.wait_deploy_status(store, "web", timeout=30)
    assert status["finished"] is True and status["status"] == "abandoned"


def test_next_deploy_records_the_abandoned_one(killed_deploy):
    store, _pids, tmp_path = killed_deploy
    first = store.read_status("web")["deploy_id"]
    params = dict((k, v.get("default")) for k, v in SHELL_OPTIONS.items())
    params.update(app="web", version="2", script="true", state_dir=store.state_dir)
    res = ShellDeployment(params).run()
    assert res["deploy"]["status"] == "success"
    expected = [(first, "abandoned"), (res["deploy"]["deploy_id"], "success")]
    assert [(r["deploy_id"], r["status"]) for r in store.records("web")] == expected


def test_wait_polls_until_finished_or_returns_the_last_status_at_the_deadline(monkeypatch):
    """wait_deploy_status is the one wait loop (poll_until) with an injected clock: it returns the finished
    status as soon as it is read, and at the deadline the last unfinished one (never raises, never sleeps past)."""
    clock = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds

    reads = iter([dict(finished=False, n=1), dict(finished=False, n=2), dict(finished=True, n=3)])
    monkeypatch.setattr(records, "read_deploy_status", lambda *_a: next(reads))
    status = records.wait_deploy_status(None, "web", timeout=10, poll=2, sleep=sleep, clock=lambda: clock[0])
    assert status == dict(finished=True, n=3) and sleeps == [2, 2]

    clock[0], sleeps[:] = 0.0, []
    monkeypatch.setattr(records, "read_deploy_status", lambda *_a: dict(finished=False, at=clock[0]))
    status = records.wait_deploy_status(None, "web", timeout=5, poll=2, sleep=sleep, clock=lambda: clock[0])
    assert status == dict(finished=False, at=5.0) and sleeps == [2, 2, 1]
    sleeps[:] = []
    monkeypatch.setattr(records, "read_deploy_status", lambda *_a: None)  # no deploy at all: no wait
    assert records.wait_deploy_status(None, "web", timeout=5, poll=2, sleep=sleep, clock=lambda: clock[0]) is None
    assert sleeps == []
