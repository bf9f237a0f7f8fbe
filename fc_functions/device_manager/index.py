"""device_manager: ``POST /register`` (owner, through the gateway) and ``POST /token`` (signed device).

Handler: ``index.handler`` (FC 3.0, Python runtime).
"""

import secrets

from camera_common import notify, runtime
from camera_common.auth import authenticate_device, owner_of
from camera_common.errors import bad_request
from camera_common.security import device_key, device_upload_policy, fingerprint, require_device_id

FUNCTION = "device_manager"


def register(request, services, fields):
    owner = owner_of(request, services)
    body = request.json()
    device_id = require_device_id(body.get("device_id"))
    fields["device_id"] = device_id
    webhook = body.get("webhook")
    if webhook is not None:
        try:
            webhook = notify.validate_webhook(webhook)
        except ValueError as exc:
            raise bad_request(str(exc), code="InvalidWebhook")
    salt = secrets.token_hex(16)
    secret = device_key(services.config.signing_key, device_id, salt)
    services.store.create_device(device_id, {
        "owner_id": owner,
        "salt": salt,
        "secret_hash": fingerprint(secret),
        "status": "active",
        "created_at": int(services.clock() * 1000),
        "webhook": webhook,
    })
    return 201, {"device_id": device_id, "device_secret": secret, "signature": "HMAC-SHA256 over METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256(BODY)"}


def token(request, services, fields):
    device_id, dummy = authenticate_device(request, services, fields)
    cfg = services.config
    policy = device_upload_policy(cfg.bucket, device_id)
    creds = services.assume_role(cfg.device_role_arn, ("device-%s" % device_id)[:64], policy, cfg.token_seconds)
    return 200, {
        "credentials": creds,
        "bucket": cfg.bucket,
        "region": cfg.region,
        "prefix": "devices/%s/" % device_id,
        "thumbnail_prefix": "thumbnails/devices/%s/" % device_id,
        "expires_in": cfg.token_seconds,
    }


ROUTES = {"register": {"POST": register}, "token": {"POST": token}}


def handler(event, context, services=None):
    return runtime.serve(FUNCTION, ROUTES, event, context, services)
