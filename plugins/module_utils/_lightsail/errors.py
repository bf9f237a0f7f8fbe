# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one error type of the Lightsail family and the one place SDK errors are translated."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError

try:
    import botocore.exceptions as _boto_exc
except ImportError:  # pragma: no cover - guarded by LightsailModule (check_boto3)
    _boto_exc = None

NOT_FOUND_CODES = frozenset(("NotFoundException", "DoesNotExist", "ResourceNotFoundException"))


class LightsailError(OpsforgeError):
    """Error of every Lightsail module.

    ``code`` is the AWS error code (``NotFoundException``, ``InvalidInputException``,
    ``OperationFailed``, ``Timeout``, ``Invalid`` for bad module input ...) or ``None``.
    ``operation`` is the API operation that failed, when one did.
    """

    def __init__(self, msg, code=None, operation=None, details=None, cause=None):
        details = dict(details or {})
        if code is not None:
            details.setdefault("error_code", code)
        if operation is not None:
            details.setdefault("operation", operation)
        super().__init__(msg, details=details, cause=cause)
        self.code = code
        self.operation = operation

    @property
    def is_not_found(self):
        return self.code in NOT_FOUND_CODES


def error_code(exc):
    """The AWS error code of a botocore ``ClientError`` (or ``None``)."""
    response = getattr(exc, "response", None) or {}
    return (response.get("Error") or {}).get("Code")


def translate(exc, operation=None):
    """Turn a botocore exception (or anything else) into a :class:`LightsailError` naming ``operation``."""
    if isinstance(exc, LightsailError):
        return exc
    where = " (%s)" % operation if operation else ""
    if _boto_exc is not None and isinstance(exc, _boto_exc.ClientError):
        code = error_code(exc)
        response = exc.response or {}
        message = (response.get("Error") or {}).get("Message") or response.get("message") or str(exc)
        details = {}
        request_id = (response.get("ResponseMetadata") or {}).get("RequestId")
        if request_id:
            details["request_id"] = request_id
        return LightsailError("Lightsail %s failed: %s: %s" % (operation or "call", code, message),
                              code=code, operation=operation, details=details, cause=exc)
    if _boto_exc is not None and isinstance(exc, _boto_exc.WaiterError):
        return LightsailError("waiting failed%s: %s" % (where, exc), code="WaiterError", operation=operation, cause=exc)
    if _boto_exc is not None and isinstance(exc, _boto_exc.NoCredentialsError):
        return LightsailError("no AWS credentials found%s: set profile, access_key/secret_key or the AWS_* "
                              "environment variables" % where, code="NoCredentials", operation=operation, cause=exc)
    if _boto_exc is not None and isinstance(exc, _boto_exc.BotoCoreError):
        return LightsailError("Lightsail %s failed: %s" % (operation or "call", exc), code=type(exc).__name__,
                              operation=operation, cause=exc)
    return LightsailError("Lightsail %s failed: %s" % (operation or "call", exc), operation=operation, cause=exc)


def is_translatable(exc):
    """True when ``exc`` comes from botocore (so :func:`translate` knows it)."""
    if _boto_exc is None:
        return False
    return isinstance(exc, (_boto_exc.ClientError, _boto_exc.BotoCoreError))
