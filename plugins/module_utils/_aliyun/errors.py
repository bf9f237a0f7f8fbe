# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The Aliyun family's one error type, and the one place where SDK exceptions are translated.

oss2 (``oss2.exceptions.OssError``), Tablestore (``OTSServiceError`` / ``OTSClientError``)
and the Tea SDKs all become :class:`AliyunError` with the service's error code, HTTP status and
request id. The Tea SDKs are ``Tea.exceptions.TeaException`` / ``UnretryableException`` and what
alibabacloud-tea-openapi 0.4 raises on top of them (darabonba-core's ``ResponseException``:
``ClientException``, ``ServerException``, ``ThrottlingException``), whichever client (FC, RAM,
the generic ``call_api`` of Alidns) raised it. Throttling is retried with jittered backoff first;
"not found" codes can be turned into ``None``.
"""

from __future__ import annotations

import time

from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError
from ansible_collections.opsforge.infra.plugins.module_utils._common.retries import call_with_retries

THROTTLING_CODES = frozenset([
    "Throttling", "Throttling.User", "Throttling.Api", "Throttling.Resource", "ServiceUnavailable", "TooManyRequests",
    "ResourceThrottled", "ConcurrentUpdateError", "RequestTimeout", "InternalError",
    "OTSServerBusy", "OTSQuotaExhausted", "OTSTooFrequentReservedThroughputAdjustment", "OTSServerUnavailable",
    "OTSPartitionUnavailable", "OTSTimeout", "OTSInternalServerError",
])
THROTTLING_STATUS = frozenset([429, 503])
OPENAPI_PACKAGES = frozenset(["Tea", "darabonba", "alibabacloud_tea_openapi"])


class AliyunError(OpsforgeError):
    """An Aliyun API call failed. ``code`` is the service's error code (or None)."""

    @property
    def code(self):
        return self.details.get("error_code")


def error_facts(exc):
    """(service, code, http status, request id, message) of any supported SDK exception."""
    cls = type(exc)
    module = cls.__module__ or ""
    if module.startswith("oss2"):
        message = getattr(exc, "message", None) or str(exc)
        return "oss", getattr(exc, "code", None) or None, getattr(exc, "status", None), getattr(exc, "request_id", None), message
    if module.startswith("tablestore"):
        status = getattr(exc, "http_status", None)
        return "tablestore", getattr(exc, "code", None), status, getattr(exc, "request_id", None), getattr(exc, "message", None) or str(exc)
    if is_openapi_error(cls):
        data = getattr(exc, "data", None)
        data = data if isinstance(data, dict) else {}
        request_id = getattr(exc, "request_id", None) or data.get("RequestId") or data.get("requestId")
        status = getattr(exc, "status_code", None)
        status = getattr(exc, "statusCode", None) if status is None else status
        inner = getattr(exc, "inner_exception", None)
        message = getattr(exc, "message", None) or (str(inner) if inner else str(exc))
        return "openapi", getattr(exc, "code", None), status, request_id, message
    return None, None, None, None, str(exc)


def is_openapi_error(cls):
    """Whether ``cls`` is an exception of the Tea SDKs: alibabacloud-tea's, darabonba-core's or
    alibabacloud-tea-openapi's (0.4: ``ClientException`` and its kin), all ``TeaException``s."""
    if cls.__name__ in ("TeaException", "UnretryableException"):
        return True
    return any((base.__module__ or "").split(".")[0] in OPENAPI_PACKAGES for base in cls.__mro__)


def is_sdk_error(exc):
    return error_facts(exc)[0] is not None


def is_throttling(exc):
    service, code, status, dummy, dummy2 = error_facts(exc)
    if service is None:
        return False
    if code in THROTTLING_CODES:
        return True
    try:
        return int(status) in THROTTLING_STATUS
    except (TypeError, ValueError):
        return service == "openapi" and type(exc).__name__ == "UnretryableException"


def translate(exc, action):
    service, code, status, request_id, message = error_facts(exc)
    details = {"error_code": code}
    if request_id:
        details["request_id"] = request_id
    if status is not None:
        details["http_status"] = status
    text = "%s failed" % action
    if code:
        text += " (%s)" % code
    text += ": %s" % (message or "no message")
    return AliyunError(text, details=details, cause=exc)


def _sleep(seconds):
    time.sleep(seconds)


def call(action, func, *args, **kwargs):
    """Call an SDK function with throttling retries; raise AliyunError on failure.

    ``not_found`` (keyword, a collection of error codes and/or HTTP statuses) makes those
    errors return None. ``retries``, ``sleep`` tune the backoff (tests pass a no-op sleep).
    """
    not_found = kwargs.pop("not_found", ())
    retries = kwargs.pop("retries", 6)
    sleep = kwargs.pop("sleep", None) or _sleep
    try:
        return call_with_retries(lambda: func(*args, **kwargs), is_throttling, retries=retries, delay=0.5, max_delay=20.0, sleep=sleep)
    except AliyunError:
        raise
    except Exception as exc:  # pylint: disable=broad-except
        if not is_sdk_error(exc):
            raise
        dummy, code, status, dummy2, dummy3 = error_facts(exc)
        if code in not_found or status in not_found:
            return None
        raise translate(exc, action)
