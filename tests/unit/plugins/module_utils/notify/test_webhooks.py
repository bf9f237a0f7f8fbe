# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""notify: real HTTP requests to a webhook server on 127.0.0.1 that checks the signatures
the way Feishu and DingTalk document them (independently of the code under test)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._notify import webhooks as notify
from webhook_server import SECRET, TOKEN
import webhook_server
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError


@pytest.fixture
def hook():
    yield from webhook_server.serve()


def no_sleep(delays):
    return delays.append


# ---------------------------------------------------------------- signatures as documented


def test_feishu_signed_message_verifies_like_feishu_does(hook):
    before = int(time.time())
    result = notify.send("feishu", hook.url, {"title": "Budget", "text": "90 % used", "level": "warning"}, secret=SECRET)
    assert result == {"kind": "feishu", "attempts": 1, "status": 200, "response": {"code": 0, "msg": "success"}}
    (request,) = hook.requests
    body = json.loads(request["body"])
    # Feishu: string_to_sign = timestamp + "\n" + secret; sign = Base64(HmacSHA256 keyed by it over "")
    timestamp = int(body["timestamp"])
    expected = base64.b64encode(hmac.new(("%s\n%s" % (timestamp, SECRET)).encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert before <= timestamp <= int(time.time())  # Feishu rejects timestamps older than an hour
    assert body["msg_type"] == "text"
    assert body["content"]["text"] == "[WARNING] Budget\n90 % used"
    assert request["headers"]["Content-Type"].startswith("application/json")


def test_dingtalk_signature_in_query_verifies_like_dingtalk_does(hook):
    hook.success = {"errcode": 0, "errmsg": "ok"}
    notify.send("dingtalk", hook.url + "?access_token=" + TOKEN, {"text": "node drained", "mentions": ["13800000000"]}, secret=SECRET)
    (request,) = hook.requests
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    assert query["access_token"] == [TOKEN]
    timestamp_ms = int(query["timestamp"][0])
    assert abs(timestamp_ms / 1000.0 - time.time()) < 60
    # DingTalk: sign = urlEncode(Base64(HmacSHA256(key=secret, timestamp + "\n" + secret)))
    digest = hmac.new(SECRET.encode(), ("%d\n%s" % (timestamp_ms, SECRET)).encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(digest).decode()]  # parse_qs undid the URL encoding
    body = json.loads(request["body"])
    assert body == {"msgtype": "text", "text": {"content": "node drained"}, "at": {"atMobiles": ["13800000000"], "isAtAll": False}}


def test_slack_and_generic_hmac(hook):
    hook.success = b"ok"
    notify.send("slack", hook.url, {"title": "Reaper", "text": "3 environments stopped"})
    assert json.loads(hook.requests[0]["body"]) == {"text": "[INFO] Reaper\n3 environments stopped"}
    hook.success = {"accepted": True}
    result = notify.send("generic", hook.url, {"title": "Invoice", "fields": {"month": "2026-10"}}, secret=SECRET)
    request = hook.requests[1]
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"][notify.GENERIC_SIGNATURE_HEADER] == expected
    assert json.loads(request["body"])["fields"] == {"month": "2026-10"}
    assert result["response"] == {"accepted": True}


# ------------------------------------------------------------------------------- retries


def test_throttling_is_retried_with_jittered_backoff_and_signed_again(hook):
    hook.script = [(429, {"code": 9499, "msg": "too many"}), (200, {"code": 11232, "msg": "frequency limited"})]
    delays = []
    result = notify.send("feishu", hook.url, {"text": "x"}, secret=SECRET, retries=3, delay=0.5, max_delay=1.0, sleep=no_sleep(delays))
    assert result["attempts"] == 3
    assert len(hook.requests) == 3
    assert len(delays) == 2 and 0 <= delays[0] <= 0.5 and 0 <= delays[1] <= 1.0
    assert all("sign" in json.loads(r["body"]) for r in hook.requests)


def test_gives_up_after_the_retries_and_never_leaks_the_token(hook):
    hook.script = [(503, b"busy")] * 5
    delays = []
    with pytest.raises(K8sError) as err:
        notify.send("slack", hook.url, {"text": "x"}, retries=2, delay=0.01, sleep=no_sleep(delays))
    assert str(err.value) == "slack webhook answered HTTP 503 (gave up after 3 attempts)"
    assert len(hook.requests) == 3 and len(delays) == 2
    assert TOKEN not in str(err.value)


def test_refusals_are_not_retried(hook):
    hook.script = [(200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})]
    with pytest.raises(K8sError, match="feishu webhook refused the message: code 19021: sign match fail"):
        notify.send("feishu", hook.url, {"text": "x"}, secret="wrong", sleep=no_sleep([]))
    assert len(hook.requests) == 1
    hook.script = [(400, b"invalid_payload")]
    with pytest.raises(K8sError, match="slack webhook answered HTTP 400: invalid_payload"):
        notify.send("slack", hook.url, {"text": "x"}, sleep=no_sleep([]))


def test_connection_refused_is_retried_then_reported_by_host():
    delays = []
    with pytest.raises(K8sError) as err:
        notify.send("generic", "http://127.0.0.1:20999/hook/" + TOKEN, {"text": "x"}, retries=1, delay=0.01, sleep=no_sleep(delays))
    assert "could not reach the generic webhook at 127.0.0.1" in str(err.value)
    assert "gave up after 2 attempts" in str(err.value)
    assert TOKEN not in str(err.value)


@pytest.mark.parametrize("kind, url, secret, message, error", [
    ("feishu", "ftp://example.com/x", None, {"text": "x"}, "must be an http:// or https:// URL"),
    ("slack", "https://hooks.slack.com/services/T/B/X", "s", {"text": "x"}, "Slack incoming webhooks are not signed"),
    ("generic", "https://example.com", None, {"text": "", "title": ""}, "needs a title or a text"),
    ("generic", "https://example.com", None, {"text": "x", "level": "panic"}, "unknown notification level 'panic'"),
])
def test_bad_input_fails_before_sending(kind, url, secret, message, error):
    def opener(*args, **kwargs):
        raise AssertionError("nothing may be sent")
    with pytest.raises(K8sError, match=error):
        notify.send(kind, url, message, secret=secret, opener=opener)


# ---------------------------------------------------------------- the notify module's one call


def module_params(url, **extra):
    params = {"kind": "generic", "url": url, "secret": None, "title": "Invoice ready", "text": None, "level": "info",
              "fields": {"month": "2026-10"}, "mentions": None, "retries": 0, "retry_delay": 0.0, "timeout": 5,
              "validate_certs": True}
    params.update(extra)
    return params


def test_send_notification_sends_once_and_reports(hook):
    result = notify.send_notification(module_params(hook.url))
    assert result["changed"] is True and len(hook.requests) == 1
    notification = result["notification"]
    assert (notification["sent"], notification["attempts"], notification["status"]) == (True, 1, 200)
    assert notification["payload"]["title"] == "Invoice ready" and TOKEN not in json.dumps(result)


def test_send_notification_in_check_mode_sends_nothing(hook):
    result = notify.send_notification(module_params(hook.url), check_mode=True)
    assert result["changed"] is True and hook.requests == []
    assert (result["notification"]["sent"], result["notification"]["attempts"]) == (False, 0)


def test_send_notification_failure_carries_what_was_tried(hook):
    hook.script = [(400, {"error": "no"})]
    with pytest.raises(K8sError, match="generic webhook answered HTTP 400") as err:
        notify.send_notification(module_params(hook.url))
    assert err.value.details["http_status"] == 400
    assert err.value.details["notification"]["sent"] is False
    assert err.value.details["notification"]["payload"]["fields"] == {"month": "2026-10"}
