# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""State, lock, safety and health checks of the deploy family (no network beyond 127.0.0.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.health import normalize_check, run_check
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.safety import (
    MAX_SCRIPT_BYTES, check_script, run_script, scrub)

sys.path.insert(0, os.path.dirname(__file__))
from deploy_helpers import Server, free_port  # noqa: E402


@pytest.fixture
def store(tmp_path):
    return st.Store(str(tmp_path / "state"), keep_records=3)


def test_atomic_write_leaves_no_temp_files(tmp_path):
    path = str(tmp_path / "d" / "status.json")
    st.atomic_write(path, '{"a": 1}\n')
    st.atomic_write(path, '{"a": 2}\n')
    assert json.load(open(path)) == {"a": 2}
    assert os.listdir(str(tmp_path / "d")) == ["status.json"]


def test_tracker_writes_status_and_record_with_rotation(store):
    for i in range(5):
        tracker = st.Tracker(store, "web", "shell", version=str(i))
        tracker.update(st.EXECUTING, 5, "go")
        status = store.read_status("web")
        assert status["status"] == "executing" and status["progress"] == 5 and status["finished"] is False
        assert status["deploy_id"] == tracker.deploy_id
        tracker.log("line %d" % i)
        tracker.finish(st.SUCCESS, effective_version=str(i))
    records = store.records("web")
    assert [r["version"] for r in records] == ["2", "3", "4"]  # rotated to keep_records=3
    last = records[-1]
    assert [h["status"] for h in last["history"]] == ["executing", "success"]
    assert last["duration"] >= 0 and last["logs"] == "line 4\n"
    assert store.read_status("web")["finished"] is True
    assert store.last_success("web")["version"] == "4"


def test_lock_refuses_second_owner_and_names_it(store):
    first = st.DeployLock(store, "web", "web-1").acquire()
    with pytest.raises(DeployError) as err:
        st.DeployLock(store, "web", "web-2", wait=0).acquire()
    assert "web-1" in err.value.msg
    assert err.value.details["lock_owner"]["pid"] == os.getpid()
    first.release()
    assert not os.path.exists(store.lock_path("web"))
    st.DeployLock(store, "web", "web-3").acquire().release()


def test_lock_waits_then_gives_up(store):
    st.DeployLock(store, "web", "web-1").acquire()
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    lock = st.DeployLock(store, "web", "web-2", wait=3, poll=1, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(DeployError):
        lock.acquire()
    assert sleeps == [1, 1, 1]


def test_stale_lock_of_dead_process_is_taken_over(store):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    os.makedirs(os.path.dirname(store.lock_path("web")))
    owner = dict(deploy_id="web-dead", pid=proc.pid, host=__import__("socket").gethostname(), expires_epoch=9e12)
    with open(store.lock_path("web"), "w") as handle:
        json.dump(owner, handle)
    lock = st.DeployLock(store, "web", "web-new").acquire()
    assert lock.took_over["deploy_id"] == "web-dead"
    assert json.load(open(store.lock_path("web")))["deploy_id"] == "web-new"


def test_expired_lock_is_taken_over(store):
    os.makedirs(os.path.dirname(store.lock_path("web")))
    with open(store.lock_path("web"), "w") as handle:
        json.dump(dict(deploy_id="web-old", pid=os.getpid(), host="elsewhere", expires_epoch=1), handle)
    assert st.DeployLock(store, "web", "web-new").acquire().took_over["deploy_id"] == "web-old"


@pytest.mark.parametrize("script", [
    "rm -rf /", "rm -fr /*", "sudo rm --recursive --force /", "mkfs.ext4 /dev/sda1", "dd if=x of=/dev/sda bs=1M",
    ":(){ :|:& };:", "curl -s http://x/install | sh", "wget -qO- http://x | sudo bash", "echo x > /dev/sda",
])
def test_denylist_refuses(script):
    with pytest.raises(DeployError) as err:
        check_script("set -e\n" + script + "\n")
    assert "dangerous" in err.value.msg
    check_script(script, allow_dangerous=True)


@pytest.mark.parametrize("script", ["rm -rf /srv/app/tmp", "rm -f /tmp/x", "dd if=/dev/zero of=/tmp/f count=1",
                                    "curl -fsS http://127.0.0.1/health", "echo done > /dev/null"])
def test_denylist_allows_ordinary_commands(script):
    check_script(script)


def test_script_size_cap():
    check_script("#" * MAX_SCRIPT_BYTES)
    with pytest.raises(DeployError, match="more than the 102400 bytes"):
        check_script("#" * (MAX_SCRIPT_BYTES + 1))


def test_run_script_timeout_kills_group():
    result = run_script("sleep 30 & sleep 30", timeout=0.5)
    assert result.timed_out and not result.ok and result.duration < 5


def test_run_script_env_and_scrub():
    result = run_script('echo "pw=$PW"', env=dict(PW="s3cret"))
    assert result.ok and scrub(result.stdout, ["s3cret"]) == "pw=********\n"


def test_health_http_statuses_and_body():
    with Server(status=200, body=b"version=2") as srv:
        ok = run_check(normalize_check(dict(port=srv.port, body_regex="version=2", delay=0, retries=0)))
        assert ok["success"] and ok["check_type"] == "http" and ok["retry_count"] == 0 and ok["response_time"] >= 0
        bad = run_check(normalize_check(dict(url=srv.url + "/x", body_regex="version=3", delay=0, retries=1)))
        assert not bad["success"] and "does not match" in bad["detail"] and bad["retry_count"] == 1
    with Server(status=lambda n: 503 if n < 3 else 200) as srv:
        res = run_check(normalize_check(dict(port=srv.port, delay=0.05, retries=5)))
        assert res["success"] and res["retry_count"] == 2
    with Server(status=500) as srv:
        res = run_check(normalize_check(dict(port=srv.port, delay=0, retries=0, status_codes=[200, 204])))
        assert not res["success"] and "HTTP 500" in res["detail"]


def test_health_tcp_and_script():
    port = free_port()
    res = run_check(normalize_check(dict(type="tcp", port=port, retries=1, delay=0)))
    assert not res["success"] and res["attempts"] == 2
    with Server() as srv:
        assert run_check(normalize_check(dict(type="tcp", port=srv.port)))["success"]
    assert run_check(normalize_check(dict(type="script", script="true")))["success"]
    res = run_check(normalize_check(dict(type="script", script="echo nope >&2; exit 3", retries=0)))
    assert not res["success"] and "exited 3" in res["detail"]


def test_health_deadline_bounds_retries():
    port = free_port()
    res = run_check(normalize_check(dict(type="tcp", port=port, retries=100, delay=0.2, timeout=1)))
    assert not res["success"] and res["elapsed"] < 2 and "deadline" in res["detail"]


def test_health_defaults_match_issue():
    check = normalize_check(dict(port=80))
    assert (check["timeout"], check["retries"], check["delay"]) == (60, 3, 10)
    assert check["url"] == "http://127.0.0.1:80/"


@pytest.mark.parametrize("check,msg", [
    (dict(type="http"), "needs url or port"), (dict(type="tcp"), "needs port"), (dict(type="script"), "needs script"),
    (dict(type="script", script="rm -rf /"), "dangerous"), (dict(port=1, body_regex="("), "not a valid regular"),
])
def test_health_bad_input(check, msg):
    with pytest.raises(DeployError, match=msg):
        normalize_check(check)


def test_stability_window_fails_an_app_that_turns_unhealthy():
    """200, 200, then 500: the first success is not enough when three in a row are asked for."""
    with Server(status=lambda n: 200 if n <= 2 else 500) as srv:
        check = normalize_check(dict(port=srv.port, retries=0, delay=0, timeout=5, stable_successes=4, stable_period=0.3))
        result = run_check(check)
    assert result["success"] is False and "HTTP 500" in result["detail"]
    assert "after 2 consecutive success" in result["detail"] and len(srv.requests) == 3


def test_stability_window_passes_a_steady_app():
    with Server(status=200) as srv:
        check = normalize_check(dict(port=srv.port, retries=0, delay=0, timeout=5, stable_successes=3, stable_period=0.4))
        result = run_check(check)
    assert result["success"] and result["consecutive_successes"] >= 3 and result["elapsed"] >= 0.4
    assert len(srv.requests) == result["consecutive_successes"]


def test_stability_window_watches_more_than_http():
    """A watcher (Docker's own health state) that reports a problem inside the window fails the check."""
    seen = []

    def watch():
        seen.append(1)
        return "container web-new is unhealthy (Docker HEALTHCHECK)" if len(seen) >= 2 else None

    with Server(status=200) as srv:
        check = normalize_check(dict(port=srv.port, retries=0, delay=0, timeout=5, stable_successes=5, stable_period=0.2))
        result = run_check(check, watch=watch)
    assert result["success"] is False and "Docker HEALTHCHECK" in result["detail"]
