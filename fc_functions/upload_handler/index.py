"""upload_handler: record image metadata in Tablestore.

* ``POST /images`` signed by the device: ``{"object_key", "thumbnail_key", "has_motion"}``.
* OSS ``ObjectCreated:*`` trigger events for originals under ``devices/``.

The row key comes from the object key, so a retried upload or a second event for the same
object updates one row. The original and the thumbnail must be plain uploads (OSS object type
``Normal`` or ``Multipart``) under the device's own prefix: a symlink (``PutSymlink`` needs
only ``oss:PutObject``) could point at another device's object, an appendable object can change
after it is checked. A key outside the prefix, a missing object and an object of another type
get one and the same answer, so a report is no oracle of what exists. The size is read from
OSS, not trusted from the device. Motion images notify the device's webhook; a failed
notification is logged and never fails the upload.

Handler: ``index.handler`` (FC 3.0, Python runtime).
"""

import json

from camera_common import notify, runtime
from camera_common.auth import authenticate_device
from camera_common.errors import HttpError, bad_request, forbidden
from camera_common.security import parse_image_key, row_key_for, valid_device_id

FUNCTION = "upload_handler"
ACCEPTED_TYPES = ("Normal", "Multipart")
# ObjectCreated events of plain uploads; PutSymlink, AppendObject, CopyObject... are not images a device uploaded
UPLOAD_EVENTS = ("ObjectCreated:PutObject", "ObjectCreated:PostObject", "ObjectCreated:CompleteMultipartUpload")


def refused():
    """One answer for a foreign key, a missing object and an object of another type."""
    return forbidden("object is not an image this device uploaded", code="ObjectRefused")


def _checked_key(key, device_id, top):
    try:
        return parse_image_key(key, device_id, top=top)
    except HttpError:
        raise refused()


def _object_size(services, key):
    """Size of a plain uploaded object; refused() when it is missing or of another type."""
    status, headers = services.head_object(key)
    if status in (403, 404):
        raise refused()
    if status != 200:
        runtime.LOG.error(json.dumps({"event": "oss_error", "status": status, "request_id": headers.get("x-oss-request-id")}))
        raise HttpError(503, "Unavailable", "object storage is unavailable, try again")
    if headers.get("x-oss-object-type") not in ACCEPTED_TYPES:
        raise refused()
    size = headers.get("content-length", "0")
    return int(size) if size.isdigit() else 0


def _record(services, device_id, match, attrs, fields):
    """Create or update the row; notify on a new motion image. Returns (row_key, created)."""
    row_key = row_key_for(match)
    store = services.store
    before = store.get_image(device_id, row_key)
    if before is None:
        created = store.create_image(device_id, row_key, attrs)
        if not created:  # a concurrent writer won the race: merge into its row
            before = store.get_image(device_id, row_key) or {}
            store.update_image(device_id, row_key, attrs)
    else:
        created = False
        store.update_image(device_id, row_key, attrs)
    return row_key, created, before


def report(request, services, fields):
    device_id, device = authenticate_device(request, services, fields)
    body = request.json()
    key = body.get("object_key")
    match = _checked_key(key, device_id, "devices")
    thumb = body.get("thumbnail_key")
    if thumb is not None:
        _checked_key(thumb, device_id, "thumbnails/devices")
    has_motion = body.get("has_motion", False)
    if not isinstance(has_motion, bool):
        raise bad_request("has_motion must be true or false")
    attrs = {
        "device_id": device_id,
        "has_motion": has_motion,
        "oss_path_original": key,
        "oss_path_thumbnail": thumb,
        "created_at": int(match.group("ms")),
        "image_size": _object_size(services, key),
    }
    if thumb is not None:
        _object_size(services, thumb)
    row_key, created, before = _record(services, device_id, match, attrs, fields)
    notified = None
    if has_motion and not (before or {}).get("has_motion"):
        webhook = device.get("webhook")
        if webhook:
            notified = notify.notify_motion(webhook, device_id, row_key, services.clock(), send=services.send, request_id=fields.get("request_id", ""))
    fields["image_id"] = row_key
    return (201 if created else 200), {"device_id": device_id, "image_id": row_key, "created": created, "notified": notified}


def on_oss_event(event, services, fields):
    """Record every valid ObjectCreated event; refuse (and log) the rest. Never raises for bad input."""
    recorded, refused = [], 0
    for record in event.get("events", []):
        try:
            name = record.get("eventName", "")
            oss = record.get("oss") or {}
            bucket = (oss.get("bucket") or {}).get("name")
            obj = oss.get("object") or {}
            key = obj.get("key")
            if name not in UPLOAD_EVENTS or bucket != services.config.bucket:
                raise bad_request("not an ObjectCreated event of the camera bucket")
            match = parse_image_key(key, None, top="devices")
            device_id = match.group("device")
            if not valid_device_id(device_id) or services.store.get_device(device_id) is None:
                raise bad_request("object of an unknown device")
            size = obj.get("size")
            attrs = {
                "device_id": device_id,
                "oss_path_original": key,
                "created_at": int(match.group("ms")),
                "image_size": size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
            }
            row_key = row_key_for(match)
            if services.store.create_image(device_id, row_key, dict(attrs, has_motion=False)):
                recorded.append(row_key)
            else:
                services.store.update_image(device_id, row_key, {"image_size": attrs["image_size"]})
                recorded.append(row_key)
        except HttpError as exc:
            if exc.status == 503:
                raise
            refused += 1
            runtime.LOG.warning(json.dumps({"event": "oss_event_refused", "request_id": fields.get("request_id"), "reason": exc.message}))
        except (AttributeError, TypeError):
            refused += 1
    fields["recorded"] = len(recorded)
    fields["refused"] = refused
    return {"recorded": recorded, "refused": refused}


ROUTES = {"images": {"POST": report}}


def handler(event, context, services=None):
    return runtime.serve(FUNCTION, ROUTES, event, context, services, oss_handler=on_oss_event)
