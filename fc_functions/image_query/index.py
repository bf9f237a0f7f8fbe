"""image_query: ``GET /images`` — one device's images in a time range, newest first.

Query parameters: ``device_id`` (required), ``start`` / ``end`` (epoch milliseconds,
default the last 30 days), ``limit`` (1..CAMERA_MAX_LIMIT, default 20), ``motion``
(``true`` / ``false``), ``cursor`` (from the previous page). Only the device's owner may
read; the cursor is signed and bound to the device, the owner and the query.

Handler: ``index.handler`` (FC 3.0, Python runtime).
"""

import re

from camera_common import runtime
from camera_common.auth import owner_of
from camera_common.errors import bad_request, not_found
from camera_common.security import make_cursor, read_cursor, require_device_id

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


def list_images(request, services, fields):
    cfg = services.config
    owner = owner_of(request, services)
    query = request.query
    device_id = require_device_id(query.get("device_id"))
    fields["device_id"] = device_id
    now_ms = int(services.clock() * 1000)
    end = _int_param(query, "end", min(now_ms, MAX_MS), 0, MAX_MS)
    start = _int_param(query, "start", max(0, end - 30 * DAY_MS), 0, MAX_MS)
    if start > end:
        raise bad_request("start must not be after end", code="InvalidParameter")
    limit = _int_param(query, "limit", min(20, cfg.max_limit), 1, cfg.max_limit)
    motion_raw = query.get("motion")
    if motion_raw in (None, ""):
        motion = None
    elif motion_raw in ("true", "false"):
        motion = motion_raw == "true"
    else:
        raise bad_request("motion must be true or false", code="InvalidParameter")

    device = services.store.get_device(device_id)
    if device is None or device.get("owner_id") != owner:
        raise not_found("device not found")  # the same answer whether absent or someone else's
    bound = [start, end, limit, motion]
    resume = None
    if query.get("cursor"):
        resume = read_cursor(cfg.signing_key, query["cursor"], device_id, owner, bound, int(services.clock()))
    items, next_key = services.store.query_images(device_id, start, end, limit, motion, resume)
    images = []
    bucket = None
    for item in items:
        out = {
            "image_id": item["image_id"],
            "created_at": item.get("created_at"),
            "has_motion": bool(item.get("has_motion")),
            "image_size": item.get("image_size"),
            "oss_path_original": item.get("oss_path_original"),
            "oss_path_thumbnail": item.get("oss_path_thumbnail"),
        }
        if bucket is None:
            bucket = services.oss_bucket
        for name in ("original", "thumbnail"):
            key = out["oss_path_%s" % name]
            out["%s_url" % name] = bucket.sign_url("GET", key, cfg.url_seconds) if key else None
        images.append(out)
    cursor = None
    if next_key:
        cursor = make_cursor(cfg.signing_key, device_id, owner, next_key, bound, int(services.clock()) + 3600)
    return 200, {"device_id": device_id, "images": images, "next_cursor": cursor}


ROUTES = {"images": {"GET": list_images}}


def handler(event, context, services=None):
    return runtime.serve(FUNCTION, ROUTES, event, context, services)
