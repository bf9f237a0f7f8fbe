"""image_query: ``GET /images`` — one device's images in a time range, newest first.

Query parameters: ``device_id`` (required), ``start`` / ``end`` (epoch milliseconds,
default the last 30 days), ``limit`` (1..CAMERA_MAX_LIMIT, default 20), ``motion``
(``true`` / ``false``), ``cursor`` (from the previous page). Only the device's owner may
read; the cursor is signed and bound to the device, the owner and the query as sent, and it
carries the window page 1 resolved (the default end is "now" when page 1 was served), so the
next pages walk the same window however late they are asked for.

The URLs point at the public OSS endpoint and are signed with credentials of one request's
AssumeRole on the reader role, narrowed by a session policy to this device's two prefixes.

Handler: ``index.handler`` (FC 3.0, Python runtime).
"""

import re

from camera_common import runtime
from camera_common.auth import owner_of
from camera_common.clients import Credentials, presign_get
from camera_common.errors import HttpError, bad_request, not_found
from camera_common.security import device_read_policy, make_cursor, read_cursor, require_device_id

FUNCTION = "image_query"
DAY_MS = 24 * 3600 * 1000
MAX_MS = 9999999999999
INT_RE = re.compile(r"^[0-9]{1,13}\Z")


def _int_param(query, name, default, low, high):
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not INT_RE.match(raw) or not low <= int(raw) <= high:
        raise bad_request("%s must be an integer between %d and %d" % (name, low, high), code="InvalidParameter")
    return int(raw)


def _motion(query):
    raw = query.get("motion")
    if raw in (None, ""):
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise bad_request("motion must be true or false", code="InvalidParameter")


def _window(query, now_ms):
    end = _int_param(query, "end", min(now_ms, MAX_MS), 0, MAX_MS)
    start = _int_param(query, "start", max(0, end - 30 * DAY_MS), 0, MAX_MS)
    if start > end:
        raise bad_request("start must not be after end", code="InvalidParameter")
    return start, end


def _signer(services, device_id):
    """sign(key) -> URL, with credentials that can read this device's objects only (one STS call, on first use)."""
    cfg = services.config
    if not cfg.reader_role_arn:
        raise HttpError(500, "Misconfigured", "function is misconfigured")
    creds = []
    expires = int(services.clock()) + cfg.url_seconds

    def sign(key):
        if not creds:
            got = services.assume_role(cfg.reader_role_arn, ("read-%s" % device_id)[:64], device_read_policy(cfg.bucket, device_id), 900)
            creds.append(Credentials(got["access_key_id"], got["access_key_secret"], got["security_token"]))
        return presign_get(cfg.oss_public_endpoint, cfg.bucket, key, creds[0], expires)

    return sign


def list_images(request, services, fields):
    cfg = services.config
    owner = owner_of(request, services)
    query = request.query
    device_id = require_device_id(query.get("device_id"))
    fields["device_id"] = device_id
    start, end = _window(query, int(services.clock() * 1000))
    limit = _int_param(query, "limit", min(20, cfg.max_limit), 1, cfg.max_limit)
    motion = _motion(query)

    device = services.store.get_device(device_id)
    if device is None or device.get("owner_id") != owner:
        raise not_found("device not found")  # the same answer whether absent or someone else's
    bound = [query.get("start") or None, query.get("end") or None, limit, motion]  # the query as sent
    resume = None
    if query.get("cursor"):
        resume, window = read_cursor(cfg.signing_key, query["cursor"], device_id, owner, bound, int(services.clock()))
        if window is not None:
            start, end = window
    items, next_key = services.store.query_images(device_id, start, end, limit, motion, resume)
    sign = _signer(services, device_id)
    images = []
    for item in items:
        out = {
            "image_id": item["image_id"],
            "created_at": item.get("created_at"),
            "has_motion": bool(item.get("has_motion")),
            "image_size": item.get("image_size"),
            "oss_path_original": item.get("oss_path_original"),
            "oss_path_thumbnail": item.get("oss_path_thumbnail"),
        }
        for name in ("original", "thumbnail"):
            key = out["oss_path_%s" % name]
            out["%s_url" % name] = sign(key) if key else None
        images.append(out)
    cursor = None
    if next_key:
        cursor = make_cursor(cfg.signing_key, device_id, owner, next_key, bound, int(services.clock()) + 3600, [start, end])
    return 200, {"device_id": device_id, "images": images, "next_cursor": cursor}


ROUTES = {"images": {"GET": list_images}}


def handler(event, context, services=None):
    return runtime.serve(FUNCTION, ROUTES, event, context, services)
