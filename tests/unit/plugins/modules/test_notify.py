# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""notify module: real HTTP requests to a webhook server on 127.0.0.1 that checks the signatures
the way Feishu and DingTalk document them (independently of the code under test)."""

from __future__ import annotations

import contextlib
import json
import os
import sys

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opsforge.infra.plugins.modules import notify as notify_module

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "module_utils", "notify"))
from webhook_server import SECRET, TOKEN  # noqa: E402
import webhook_server  # noqa: E402


@pytest.fixture
def hook():
    yield from webhook_server.serve()


# -------------------------------------------------------------------------------- module


def run_module(args, monkeypatch):
    result = {}

    def exit_json(self, **kwargs):
        result.update(kwargs)
        raise SystemExit(0)

    def fail_json(self, **kwargs):
        result.update(kwargs, failed=True)
        raise SystemExit(1)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    with patch_module_args(args), pytest.raises(SystemExit):
        notify_module.main()
    return result


def test_module_check_mode_sends_nothing(hook, monkeypatch):
    result = run_module({"kind": "feishu", "url": hook.url, "secret": SECRET, "text": "hello", "_ansible_check_mode": True}, monkeypatch)
    assert hook.requests == []
    assert result["changed"] is True
    assert result["notification"]["sent"] is False
    assert result["notification"]["payload"] == {"msg_type": "text", "content": {"text": "hello"}}
    assert TOKEN not in json.dumps(result) and SECRET not in json.dumps(result)


def test_module_sends_and_reports(hook, monkeypatch):
    result = run_module({"kind": "feishu", "url": hook.url, "secret": SECRET, "title": "t", "text": "hello"}, monkeypatch)
    assert len(hook.requests) == 1
    assert result["notification"]["sent"] is True
    assert result["notification"]["response"] == {"code": 0, "msg": "success"}
    assert TOKEN not in json.dumps(result) and SECRET not in json.dumps(result)


def test_module_refusal_fails_the_task(hook, monkeypatch):
    hook.script = [(200, {"code": 19021, "msg": "sign match fail"})]
    result = run_module({"kind": "feishu", "url": hook.url, "secret": "bad", "text": "hello", "retries": 0}, monkeypatch)
    assert result["failed"] is True
    assert result["msg"] == "feishu webhook refused the message: code 19021: sign match fail"
    with contextlib.suppress(KeyError):
        assert TOKEN not in result["exception"]


def test_module_failure_returns_what_was_tried(hook, monkeypatch):
    hook.script = [(200, {"code": 19021, "msg": "sign match fail"})]
    args = {"kind": "feishu", "url": hook.url, "secret": "bad", "text": "hello", "retries": 0}
    result = run_module(args, monkeypatch)
    assert result["failed"] is True and result["http_status"] == 200
    assert result["notification"] == {"kind": "feishu", "sent": False, "attempts": 0, "status": None, "response": None,
                                      "payload": {"msg_type": "text", "content": {"text": "hello"}}}
    result = run_module(dict(args, url="ftp://example.invalid/hook"), monkeypatch)
    assert result["failed"] is True and result["msg"] == "the feishu webhook URL must be an http:// or https:// URL"
    assert result["notification"]["sent"] is False and len(hook.requests) == 1
