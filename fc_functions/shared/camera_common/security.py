"""Device identity, request signatures, paging cursors and the STS session policy.

Everything a caller controls is checked here against strict patterns before it reaches
an OSS path, a Tablestore key or a RAM policy.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re

from .errors import bad_request, unauthorized

DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
OWNER_ID_RE = re.compile(r"^[A-Za-z0-9_.@:-]{1,128}\Z")
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}\Z")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}\Z")
SIGNATURE_RE = re.compile(r"^[0-9a-f]{64}\Z")
# devices/<device_id>/<13-digit epoch ms>-<suffix>.<ext>; the thumbnail mirrors it under thumbnails/
IMAGE_KEY_RE = re.compile(
    r"^(?P<top>devices|thumbnails/devices)/(?P<device>[A-Za-z0-9_-]{1,64})/"
    r"(?P<ms>[0-9]{13})-(?P<suffix>[A-Za-z0-9_-]{1,32})\.(?P<ext>jpg|jpeg|png)\Z"
)

HEADER_DEVICE = "x-camera-device"
HEADER_TIMESTAMP = "x-camera-timestamp"
HEADER_NONCE = "x-camera-nonce"
HEADER_SIGNATURE = "x-camera-signature"
HEADER_OWNER_TOKEN = "x-camera-owner-token"


def valid_device_id(value):
    return isinstance(value, str) and DEVICE_ID_RE.match(value) is not None


def require_device_id(value):
    if not valid_device_id(value):
        raise bad_request("device_id must match ^[A-Za-z0-9_-]{1,64}$", code="InvalidDeviceId")
    return value


def _derive(master, label, *parts):
    msg = b"\x00".join([label.encode("ascii")] + [p.encode("utf-8") for p in parts])
    return hmac.new(master.encode("utf-8"), msg, hashlib.sha256).digest()


def device_key(master, device_id, salt):
    """The device's signing secret: derived from the master key, the id and a per-registration salt.

    It is given to the device once at registration; Tablestore keeps only the salt and a
    SHA-256 fingerprint of it, so a copy of the table cannot sign requests.
    """
    return _derive(master, "camera-device-key-v1", device_id, salt).hex()


def fingerprint(secret):
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def string_to_sign(method, path, timestamp, nonce, body):
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def sign(secret, method, path, timestamp, nonce, body):
    """Hex HMAC-SHA256 that a device puts in ``X-Camera-Signature``."""
    return hmac.new(secret.encode("utf-8"), string_to_sign(method, path, timestamp, nonce, body).encode("utf-8"), hashlib.sha256).hexdigest()


def signed_headers(request):
    """Pull and syntax-check the signature headers; raise 401 when any is missing or malformed."""
    device_id = request.headers.get(HEADER_DEVICE, "")
    timestamp = request.headers.get(HEADER_TIMESTAMP, "")
    nonce = request.headers.get(HEADER_NONCE, "")
    signature = request.headers.get(HEADER_SIGNATURE, "").lower()
    if not (valid_device_id(device_id) and TIMESTAMP_RE.match(timestamp) and NONCE_RE.match(nonce) and SIGNATURE_RE.match(signature)):
        raise unauthorized()
    return device_id, timestamp, nonce, signature


def verify_request(request, master, device_row, now, skew):
    """Check freshness and the HMAC of a device request against its registration row.

    Replay (the nonce) is checked by the caller *after* this succeeds, so that unsigned
    garbage cannot fill the nonce table.
    """
    device_id, timestamp, nonce, signature = signed_headers(request)
    if abs(int(timestamp) - int(now)) > skew:
        raise unauthorized("request timestamp is outside the allowed window", code="StaleRequest")
    if not device_row or device_row.get("status") != "active":
        raise unauthorized()
    secret = device_key(master, device_id, device_row.get("salt", ""))
    if not hmac.compare_digest(fingerprint(secret), device_row.get("secret_hash", "")):
        raise unauthorized()
    expected = sign(secret, request.method, request.path, timestamp, nonce, request.body)
    if not hmac.compare_digest(expected, signature):
        raise unauthorized()
    return device_id, nonce


def device_upload_policy(bucket, device_id):
    """The STS session policy of a device token: PutObject under the device's two prefixes only.

    Built as a Python structure and serialised with ``json.dumps``: a hostile id can never
    change the document's shape (and is refused before it gets here anyway).
    """
    return _prefix_policy(bucket, device_id, "oss:PutObject")


def device_read_policy(bucket, device_id):
    """The session policy of the credentials that sign an owner's URLs: GetObject of one device's objects."""
    return _prefix_policy(bucket, device_id, "oss:GetObject")


def _prefix_policy(bucket, device_id, action):
    require_device_id(device_id)
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [action],
                    "Resource": [
                        "acs:oss:*:*:%s/devices/%s/*" % (bucket, device_id),
                        "acs:oss:*:*:%s/thumbnails/devices/%s/*" % (bucket, device_id),
                    ],
                }
            ],
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def parse_image_key(key, device_id=None, top="devices"):
    """Return the match of an image key, or raise 403 when it is outside the device's prefix."""
    from .errors import forbidden

    match = IMAGE_KEY_RE.match(key) if isinstance(key, str) else None
    if match is None or match.group("top") != top or (device_id is not None and match.group("device") != device_id):
        raise forbidden("object key is outside the device's prefix", code="KeyOutsidePrefix")
    return match


def row_key_for(match):
    """Time-ordered row key derived from the object key: a retried upload maps to the same row."""
    return "%s-%s" % (match.group("ms"), match.group("suffix"))


# ---------------------------------------------------------------- paging cursors
def _b64e(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_cursor(master, device_id, owner, row_key, query, expires, window=None):
    """A signed cursor bound to the device, owner and query as sent; ``window`` is the resolved [start, end]."""
    data = {"d": device_id, "o": owner, "k": row_key, "q": query, "x": int(expires), "w": window}
    body = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    mac = _derive(master, "camera-cursor-v1", body.decode("utf-8"))
    return "%s.%s" % (_b64e(body), _b64e(mac))


def read_cursor(master, cursor, device_id, owner, query, now):
    """Return ``(row_key, window)`` the cursor resumes at; 400 unless it is ours, unexpired and bound to this device, owner and query.

    ``window`` is the ``[start, end]`` that page 1 resolved (its default end was "now"), or None.
    """
    err = bad_request("invalid paging cursor", code="InvalidCursor")
    if not isinstance(cursor, str) or len(cursor) > 1024 or cursor.count(".") != 1:
        raise err
    body_text, mac_text = cursor.split(".")
    try:
        body = _b64d(body_text)
        mac = _b64d(mac_text)
        text = body.decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise err
    if not hmac.compare_digest(mac, _derive(master, "camera-cursor-v1", text)):
        raise err
    data = json.loads(text)
    if data.get("d") != device_id or data.get("o") != owner or data.get("q") != query or int(data.get("x", 0)) < now:
        raise err
    key = data.get("k")
    if not isinstance(key, str) or not re.match(r"^[0-9]{13}-[A-Za-z0-9_-]{1,32}\Z", key):
        raise err
    window = data.get("w")
    if window is not None and not (isinstance(window, list) and len(window) == 2 and all(isinstance(v, int) for v in window)):
        raise err
    return key, window


# ---------------------------------------------------------------- owner tokens
OWNER_TOKEN_LABEL = "camera-owner-token-v1"
MAX_TOKEN = 512


def make_owner_token(master, owner, expires):
    """The bearer token of one owner's service: ``<base64url body>.<base64url MAC>``, signed with the master key.

    Issued by the operator at onboarding (``fc_functions/owner_token.py``); nobody without the
    master key can make one, and a paging cursor (another label) is never a token.
    """
    if not isinstance(owner, str) or not OWNER_ID_RE.match(owner):
        raise ValueError("owner id must match %s" % OWNER_ID_RE.pattern)
    body = json.dumps({"o": owner, "x": int(expires)}, sort_keys=True, separators=(",", ":"))
    return "%s.%s" % (_b64e(body.encode("utf-8")), _b64e(_derive(master, OWNER_TOKEN_LABEL, body)))


def read_owner_token(master, token, now):
    """The owner id in a valid, unexpired token; None for anything else."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN or token.count(".") != 1:
        return None
    body_text, mac_text = token.split(".")
    try:
        text = _b64d(body_text).decode("utf-8")
        mac = _b64d(mac_text)
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not hmac.compare_digest(mac, _derive(master, OWNER_TOKEN_LABEL, text)):
        return None
    data = json.loads(text)
    owner, expires = data.get("o"), data.get("x")
    if not isinstance(owner, str) or not OWNER_ID_RE.match(owner) or not isinstance(expires, int) or expires < now:
        return None
    return owner
