"""Who is calling: an owner (identity set by API Gateway) or a device (HMAC-signed request)."""

from .errors import HttpError, unauthorized
from .security import HEADER_DEVICE, OWNER_ID_RE, require_device_id, verify_request


def owner_of(request, services):
    """The owner id that API Gateway injected (from the authenticated app); 401 without it."""
    owner = request.headers.get(services.config.owner_header, "")
    if not OWNER_ID_RE.match(owner):
        raise unauthorized("caller identity is missing", code="NoOwner")
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
