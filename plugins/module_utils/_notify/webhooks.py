# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Webhook notifications: Feishu/Lark and DingTalk custom bots (with their signing
schemes), Slack incoming webhooks and a generic JSON POST (optionally HMAC-signed).

Used by the ``notify`` module, by ``gpu_reaper`` (warnings before a stop) and by budget
alerts. Webhook URLs carry tokens: no message built here ever contains the URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from urllib.error import HTTPError
from urllib.parse import quote_plus, urlsplit

from ansible.module_utils.urls import open_url

from ansible_collections.opsforge.infra.plugins.module_utils._common.retries import call_with_retries
from ansible_collections.opsforge.infra.plugins.module_utils._notify.errors import NotifyError

KINDS = ("feishu", "dingtalk", "slack", "generic")
LEVELS = ("info", "warning", "critical")
RETRYABLE_HTTP = (429, 500, 502, 503, 504)
# Application-level "sending too fast" answers (HTTP 200 with an error code).
RETRYABLE_CODES = {
    "feishu": (11232,),  # frequency limited
    "dingtalk": (130101,),  # sending too fast, throttled
}
GENERIC_SIGNATURE_HEADER = "X-Opsforge-Signature"
_ICONS = {"info": "[INFO]", "warning": "[WARNING]", "critical": "[CRITICAL]"}


class _Retryable(Exception):
    """A webhook answer worth another try (kept apart from final failures)."""

    def __init__(self, msg, status=None, body=None):
        super().__init__(msg)
        self.status = status
        self.body = body


def feishu_sign(secret, timestamp):
    """Feishu/Lark custom bot signature: base64(HMAC-SHA256(key="<ts>\\n<secret>", msg="")).

    ``timestamp`` is in seconds.
    """
    key = ("%d\n%s" % (int(timestamp), secret)).encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", digestmod=hashlib.sha256).digest()).decode("ascii")


def dingtalk_sign(secret, timestamp_ms):
    """DingTalk custom robot signature: base64(HMAC-SHA256(key=secret, msg="<ts_ms>\\n<secret>")),
    URL-encoded, sent as the ``sign`` query parameter beside ``timestamp`` (milliseconds)."""
    text = ("%d\n%s" % (int(timestamp_ms), secret)).encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), text, digestmod=hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def generic_sign(secret, body):
    """``sha256=<hex HMAC-SHA256(secret, body)>`` for the generic JSON webhook."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, digestmod=hashlib.sha256).hexdigest()


def render_text(message):
    """Plain-text rendering of ``message`` (title, text, then ``key: value`` fields)."""
    lines = []
    title = message.get("title")
    level = message.get("level") or "info"
    if title:
        lines.append("%s %s" % (_ICONS.get(level, ""), title))
    if message.get("text"):
        lines.append(message["text"])
    for key, value in sorted((message.get("fields") or {}).items()):
        lines.append("%s: %s" % (key, value))
    return "\n".join(lines)


def build_payload(kind, message):
    """The JSON body (a dict) each service expects, without any signature."""
    text = render_text(message)
    if kind == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    if kind == "dingtalk":
        body = {"msgtype": "text", "text": {"content": text}}
        mentions = message.get("mentions") or []
        if mentions:
            body["at"] = {"atMobiles": list(mentions), "isAtAll": False}
        return body
    if kind == "slack":
        return {"text": text}
    return {
        "title": message.get("title") or "",
        "text": message.get("text") or "",
        "level": message.get("level") or "info",
        "fields": dict(message.get("fields") or {}),
        "source": "opsforge.infra",
    }


def validate(kind, url, secret=None, message=None):
    """Raise :class:`NotifyError` on input that cannot work, before anything is sent."""
    if kind not in KINDS:
        raise NotifyError("unknown notification kind %r (use one of %s)" % (kind, ", ".join(KINDS)))
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NotifyError("the %s webhook URL must be an http:// or https:// URL" % kind)
    if kind == "slack" and secret:
        raise NotifyError("Slack incoming webhooks are not signed: remove the secret")
    if message is not None:
        if not (message.get("text") or message.get("title")):
            raise NotifyError("a notification needs a title or a text")
        if (message.get("level") or "info") not in LEVELS:
            raise NotifyError("unknown notification level %r (use one of %s)" % (message.get("level"), ", ".join(LEVELS)))


def build_request(kind, url, message, secret=None, now=time.time):
    """``(url, body_bytes, headers)`` of the POST, signed with ``secret`` when given."""
    validate(kind, url, secret, message)
    payload = build_payload(kind, message)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if secret and kind == "feishu":
        timestamp = int(now())
        payload["timestamp"] = str(timestamp)
        payload["sign"] = feishu_sign(secret, timestamp)
    if secret and kind == "dingtalk":
        timestamp_ms = int(now() * 1000)
        url = "%s%stimestamp=%d&sign=%s" % (url, "&" if "?" in url else "?", timestamp_ms, dingtalk_sign(secret, timestamp_ms))
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if secret and kind == "generic":
        headers[GENERIC_SIGNATURE_HEADER] = generic_sign(secret, body)
    return url, body, headers


def _check_answer(kind, status, raw):
    """Raise on an application-level error in a 2xx answer; return the parsed body."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        data = {"body": text[:500]}
    if not isinstance(data, dict):
        data = {"body": data}
    code, msg = None, None
    if kind == "feishu":
        code = data.get("code", data.get("StatusCode"))
        msg = data.get("msg", data.get("StatusMessage"))
    elif kind == "dingtalk":
        code, msg = data.get("errcode"), data.get("errmsg")
    if code not in (None, 0):
        if code in RETRYABLE_CODES.get(kind, ()):
            raise _Retryable("%s webhook is throttling (code %s: %s)" % (kind, code, msg), status, data)
        raise NotifyError("%s webhook refused the message: code %s: %s" % (kind, code, msg),
                          details={"response": data, "http_status": status})
    if kind == "slack" and text.strip() not in ("ok", ""):
        raise NotifyError("slack webhook refused the message: %s" % text.strip()[:200], details={"http_status": status})
    return data


def send(kind, url, message, secret=None, retries=3, delay=1.0, max_delay=30.0, timeout=10,
         validate_certs=True, opener=open_url, sleep=time.sleep, now=time.time):
    """Send ``message`` (``title``, ``text``, ``level``, ``fields``, ``mentions``) to a webhook.

    Retries throttling and 5xx answers and connection errors with jittered backoff (each
    attempt is signed again: the signatures carry a timestamp). Returns
    ``{"kind", "attempts", "status", "response"}``; raises :class:`NotifyError`.
    """
    validate(kind, url, secret, message)
    attempts = [0]

    def attempt():
        attempts[0] += 1
        target, body, headers = build_request(kind, url, message, secret=secret, now=now)
        try:
            response = opener(target, data=body, headers=headers, method="POST", timeout=timeout,
                              validate_certs=validate_certs, follow_redirects="none")
            status = response.getcode() if hasattr(response, "getcode") else response.status
            raw = response.read()
        except HTTPError as exc:
            raw = exc.read() if hasattr(exc, "read") else b""
            if exc.code in RETRYABLE_HTTP:
                raise _Retryable("%s webhook answered HTTP %s" % (kind, exc.code), exc.code, raw)
            raise NotifyError("%s webhook answered HTTP %s: %s" % (kind, exc.code, (raw or b"")[:300].decode("utf-8", "replace")),
                              details={"http_status": exc.code}, cause=exc)
        except (OSError, ValueError) as exc:
            # URLError, connection refused, timeouts; the message of these never holds the token
            raise _Retryable("could not reach the %s webhook at %s: %s" % (kind, urlsplit(url).hostname, getattr(exc, "reason", exc)))
        return status, _check_answer(kind, status, raw)

    try:
        status, data = call_with_retries(attempt, lambda exc: isinstance(exc, _Retryable), retries=retries,
                                         delay=delay, max_delay=max_delay, sleep=sleep)
    except _Retryable as exc:
        raise NotifyError("%s (gave up after %d attempts)" % (exc, attempts[0]), details={"http_status": exc.status})
    return {"kind": kind, "attempts": attempts[0], "status": status, "response": data}


def send_notification(params, check_mode=False):
    """The ``notify`` module's one call: send the message its options ``params`` describe (nothing in check mode).

    Returns ``{"changed": True, "notification": {...}}``; a failure raises :class:`NotifyError` whose
    ``notification`` detail says what was tried. Neither holds the URL or the secret.
    """
    message = {k: params.get(k) for k in ("title", "text", "level", "fields", "mentions")}
    notification = {"kind": params["kind"], "sent": False, "attempts": 0, "status": None, "response": None,
                    "payload": build_payload(params["kind"], message)}
    try:
        validate(params["kind"], params["url"], params["secret"], message)
        if not check_mode:
            notification.update(send(params["kind"], params["url"], message, secret=params["secret"],
                                     retries=params["retries"], delay=params["retry_delay"], timeout=params["timeout"],
                                     validate_certs=params["validate_certs"]))
            notification["sent"] = True
    except NotifyError as error:
        error.details["notification"] = notification
        raise
    return {"changed": True, "notification": notification}
