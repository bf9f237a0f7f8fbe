# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deploy_events callback against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sys

import pytest
from ansible import constants as C
from ansible.plugins.loader import callback_loader

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "module_utils", "deploy"))
from deploy_helpers import Server, free_port  # noqa: E402

EVENT = dict(callback_id="web-1", app="web", command_type="docker", deploy_type="docker", status="failed", success=False,
             version="3", result=dict(effective_version="2"), error="unhealthy", duration=4.2, timestamp="2026-01-01T00:00:00Z",
             history=[dict(status="pending", stage="pending", progress=0, message="", timestamp="t0"),
                      dict(status="rolling_back", stage="rolling_back", progress=70, message="", timestamp="t1"),
                      dict(status="failed", stage="failed", progress=70, message="x", timestamp="t2")])


class Named:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class Result:
    def __init__(self, result):
        self._result = result
        self._host = Named("deploy_host")
        self._task = Named("Deploy")


@pytest.fixture(autouse=True)
def run_tmp(tmp_path, monkeypatch):
    """Each test is its own playbook run: its own local temp dir (where live-streamed deploys are marked)."""
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path / "local"))


def callback(tmp_path, **options):
    cb = callback_loader.get("opsforge.infra.deploy_events")
    assert cb is not None, "the collection is not on the collections path"
    cb.sleep = lambda s: None
    direct = dict(log_file=str(tmp_path / "events.jsonl"))
    direct.update(options)
    cb.set_options(direct=direct)
    return cb


def test_file_gets_status_changes_and_final_payload(tmp_path):
    cb = callback(tmp_path)
    cb.v2_runner_on_failed(Result(dict(failed=True, deploy_event=EVENT)))
    cb.v2_runner_on_ok(Result(dict(changed=False)))  # no deploy_event: nothing written
    lines = [json.loads(line) for line in open(str(tmp_path / "events.jsonl"))]
    assert [e["event"] for e in lines] == ["status", "status", "status", "final"]
    assert [e["status"] for e in lines[:3]] == ["pending", "rolling_back", "failed"]
    final = lines[-1]
    for key in ("callback_id", "command_type", "deploy_type", "status", "success", "result", "error", "duration", "timestamp"):
        assert key in final
    assert final["callback_id"] == "web-1" and final["success"] is False and final["host"] == "deploy_host"


def test_webhook_signed_and_retried(tmp_path):
    with Server(status=lambda n: 503 if n <= 2 else 200) as srv:
        cb = callback(tmp_path, webhook_url=srv.url + "/hook", webhook_secret="s3cret", webhook_retries=3, status_events=False)
        cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
        cb.v2_playbook_on_stats(None)
    assert len(srv.requests) == 3 and cb.sent == 1 and not cb.failures
    req = srv.requests[-1]
    expected = "sha256=" + hmac.new(b"s3cret", req["body"], hashlib.sha256).hexdigest()
    assert req["headers"]["X-Opsforge-Signature"] == expected
    assert json.loads(req["body"])["event"] == "final"


def test_webhook_gives_up_and_warns(tmp_path):
    with Server(status=500) as srv:
        cb = callback(tmp_path, webhook_url=srv.url, webhook_retries=2, status_events=False)
        cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
        cb.v2_playbook_on_stats(None)
    assert len(srv.requests) == 3 and cb.failures == ["HTTP 500"]
    shutil.rmtree(str(tmp_path / "local"), ignore_errors=True)  # a new playbook run
    with Server(status=400) as srv:
        cb = callback(tmp_path, webhook_url=srv.url, webhook_retries=5, status_events=False)
        cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
        cb.v2_playbook_on_stats(None)
    assert len(srv.requests) == 1  # client errors are not retried
    shutil.rmtree(str(tmp_path / "local"), ignore_errors=True)
    cb = callback(tmp_path, webhook_url="http://127.0.0.1:%d/" % free_port(), webhook_retries=1, status_events=False)
    cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
    cb.v2_playbook_on_stats(None)
    assert cb.failures and cb.sent == 0


def test_no_signature_without_secret(tmp_path):
    with Server() as srv:
        cb = callback(tmp_path, webhook_url=srv.url, status_events=True)
        cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
        cb.v2_playbook_on_stats(None)
    assert len(srv.requests) == 4
    assert all("X-Opsforge-Signature" not in r["headers"] for r in srv.requests)


def test_a_webhook_that_never_answers_does_not_delay_the_play(tmp_path):
    """Each POST waits for an answer that never comes: the task results return at once, the end of the play
    waits at most webhook_flush_timeout, and the give-up is recorded in the events file."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))  # an ephemeral port: nothing later in this run reuses it
    listener.listen(64)  # accepts connections, never answers
    try:
        cb = callback(tmp_path, webhook_url="http://127.0.0.1:%d/hook" % listener.getsockname()[1], webhook_timeout=30,
                      webhook_retries=3, webhook_flush_timeout=1)
        started = time.time()
        for _i in range(5):
            cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
        assert time.time() - started < 0.5
        cb.v2_playbook_on_stats(None)
        assert time.time() - started < 3
    finally:
        listener.close()
    lines = [json.loads(line) for line in open(str(tmp_path / "events.jsonl"))]
    give_up = [e for e in lines if e["event"] == "webhook_give_up"]
    assert len(give_up) == 1 and give_up[0]["abandoned"] + give_up[0]["failed"] + give_up[0]["dropped"] == 16  # 5 x 3 status, 1 final


def test_events_streamed_live_are_not_sent_twice(tmp_path):
    from ansible_collections.opsforge.infra.plugins.plugin_utils._deploy_progress import mark_streamed

    mark_streamed("web-1", 2)  # the action plugin sent the first two status changes while the deploy ran
    assert os.path.exists(str(tmp_path / "local" / "opsforge-deploy-streamed" / "web-1"))
    with Server() as srv:
        cb = callback(tmp_path, webhook_url=srv.url)
        cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
        cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))  # the same result again (async poll): final once
        cb.v2_playbook_on_stats(None)
    sent = [json.loads(r["body"]) for r in srv.requests]
    assert [(e["event"], e["status"]) for e in sent] == [("status", "failed"), ("final", "failed"), ("status", "failed")]
