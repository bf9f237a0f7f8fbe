# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deploy_events callback against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys

from ansible.plugins.loader import callback_loader

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "module_utils"))
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
    assert len(srv.requests) == 3 and cb.sent == 1 and not cb.failures
    req = srv.requests[-1]
    expected = "sha256=" + hmac.new(b"s3cret", req["body"], hashlib.sha256).hexdigest()
    assert req["headers"]["X-Opsforge-Signature"] == expected
    assert json.loads(req["body"])["event"] == "final"


def test_webhook_gives_up_and_warns(tmp_path):
    with Server(status=500) as srv:
        cb = callback(tmp_path, webhook_url=srv.url, webhook_retries=2, status_events=False)
        cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
    assert len(srv.requests) == 3 and cb.failures == ["HTTP 500"]
    with Server(status=400) as srv:
        cb = callback(tmp_path, webhook_url=srv.url, webhook_retries=5, status_events=False)
        cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
    assert len(srv.requests) == 1  # client errors are not retried
    cb = callback(tmp_path, webhook_url="http://127.0.0.1:%d/" % free_port(), webhook_retries=1, status_events=False)
    cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
    assert cb.failures and cb.sent == 0


def test_no_signature_without_secret(tmp_path):
    with Server() as srv:
        cb = callback(tmp_path, webhook_url=srv.url, status_events=True)
        cb.v2_runner_on_ok(Result(dict(deploy_event=EVENT)))
    assert len(srv.requests) == 4
    assert all("X-Opsforge-Signature" not in r["headers"] for r in srv.requests)
