"""Who is calling: an owner (a signed owner token) or a device (HMAC-signed request).

No header that a caller can set is an identity by itself: the owner id comes only out of a
token signed with the master key (``X-Camera-Owner-Token``), whatever sits in front of the
function (custom domain, HTTP trigger, API Gateway).
"""

from .errors import HttpError, unauthorized
from .security import HEADER_DEVICE, HEADER_OWNER_TOKEN, read_owner_token, require_device_id, verify_request


def owner_of(request, services):
    """The owner id of a valid owner token; 401 without one."""
    owner = read_owner_token(services.config.signing_key, request.headers.get(HEADER_OWNER_TOKEN, ""), int(services.clock()))
    if owner is None:
        raise unauthorized("owner token is missing, expired or not ours", code="NoOwner")
    return owner


def authenticate_device(request, services, fields):
    """Verify a device-signed request, then burn its nonce. Returns ``(device_id, device_row)``."""
    now = services.clock()
    try:
        device_hint = require_device_id(request.headers.get(HEADER_DEVICE, ""))
    except HttpError:
        raise unauthorized()
    row = services.store.get_device(device_hint)
    device_id, nonce = verify_request(request, services.config.signing_key, row, now, services.config.clock_skew)
    services.store.use_nonce(device_id, nonce, now)
    fields["device_id"] = device_id
    return device_id, row
