"""Signed motion notifications to Feishu / DingTalk custom bots.

Only HTTPS URLs on the bots' own hosts are accepted (no request to an address a user
chose). Sending never raises: a failed notification is logged, the upload still succeeds.
"""

import base64
import hashlib
import hmac
import json
import logging
import urllib.parse

LOG = logging.getLogger("camera")

HOSTS = {
    "feishu": ("open.feishu.cn", "open.larksuite.com"),
    "dingtalk": ("oapi.dingtalk.com",),
}


def validate_webhook(value):
    """Return a clean webhook dict or raise ValueError with the reason."""
    if not isinstance(value, dict):
        raise ValueError("webhook must be an object")
    kind = value.get("type")
    url = value.get("url")
    secret = value.get("secret")
    if kind not in HOSTS:
        raise ValueError("webhook.type must be feishu or dingtalk")
    if not isinstance(url, str) or len(url) > 512:
        raise ValueError("webhook.url must be a string")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or parts.hostname not in HOSTS[kind] or parts.port not in (None, 443) or parts.username or parts.password:
        raise ValueError("webhook.url must be https on %s" % ", ".join(HOSTS[kind]))
    if not isinstance(secret, str) or not 8 <= len(secret) <= 128:
        raise ValueError("webhook.secret (the bot's signing secret) is required")
    return {"type": kind, "url": url, "secret": secret}


def feishu_request(webhook, text, now):
    timestamp = str(int(now))
    key = ("%s\n%s" % (timestamp, webhook["secret"])).encode("utf-8")
    sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")
    body = {"timestamp": timestamp, "sign": sign, "msg_type": "text", "content": {"text": text}}
    return webhook["url"], body


def dingtalk_request(webhook, text, now):
    timestamp = str(int(now * 1000))
    to_sign = ("%s\n%s" % (timestamp, webhook["secret"])).encode("utf-8")
    sign = base64.b64encode(hmac.new(webhook["secret"].encode("utf-8"), to_sign, hashlib.sha256).digest()).decode("ascii")
    sep = "&" if "?" in webhook["url"] else "?"
    url = "%s%stimestamp=%s&sign=%s" % (webhook["url"], sep, timestamp, urllib.parse.quote_plus(sign))
    return url, {"msgtype": "text", "text": {"content": text}}


def urllib_send(url, body, timeout=3):
    import urllib.request

    data = json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read(4096)


def notify_motion(webhook, device_id, image_id, now, send=urllib_send, request_id=""):
    """Send a motion message; return True on success, False (logged) on any failure."""
    try:
        webhook = validate_webhook(webhook)
        text = "Motion detected on camera %s (image %s)" % (device_id, image_id)
        build = feishu_request if webhook["type"] == "feishu" else dingtalk_request
        url, body = build(webhook, text, now)
        status, reply = send(url, body)
        if status != 200:
            raise RuntimeError("webhook answered HTTP %s" % status)
        try:
            parsed = json.loads(reply.decode("utf-8") or "{}")
        except ValueError:
            parsed = {}
        code = parsed.get("code", parsed.get("errcode", 0)) if isinstance(parsed, dict) else 0
        if code not in (0, None):
            raise RuntimeError("webhook refused the message (code %s)" % code)
        return True
    except Exception as exc:  # a notification must never fail the upload
        LOG.warning(json.dumps({"event": "notify_failed", "request_id": request_id, "device_id": device_id, "error": str(exc)[:200]}))
        return False
