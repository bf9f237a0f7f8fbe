# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one error type of the Kubernetes (GPU platform) family, and the one place that
translates the ``kubernetes`` client's exceptions into it."""

from __future__ import annotations

import json

from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError

# Status codes worth another try (throttling, apiserver overload, gateway hiccups).
RETRYABLE_STATUS = (429, 500, 502, 503, 504)


class K8sError(OpsforgeError):
    """An error from the Kubernetes API or from checks made before any write.

    ``status`` is the HTTP status (``None`` when the server was not reached or when a
    check of ours failed), ``reason`` the Kubernetes ``Status.reason`` (``NotFound``,
    ``Forbidden``, ``Conflict``, ``Invalid``...).
    """

    def __init__(self, msg, status=None, reason=None, details=None, cause=None):
        details = dict(details or {})
        if status is not None:
            details.setdefault("status", status)
        if reason:
            details.setdefault("reason", reason)
        super().__init__(msg, details=details, cause=cause)
        self.status = status
        self.reason = reason


def _status_message(exc):
    """(reason, message) from an ApiException's JSON ``Status`` body, when it has one."""
    body = getattr(exc, "body", None)
    reason = getattr(exc, "reason", None)
    message = None
    if body:
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            data = None
        if isinstance(data, dict):
            reason = data.get("reason") or reason
            message = data.get("message")
    return reason, message


def is_retryable(exc):
    """True for exceptions worth retrying: throttling / 5xx statuses and connection errors."""
    status = getattr(exc, "status", None)
    if status is not None and hasattr(exc, "body"):
        return status in RETRYABLE_STATUS
    return type(exc).__name__ in ("MaxRetryError", "NewConnectionError", "ProtocolError", "ReadTimeoutError")


def translate(exc, action, what):
    """Turn any exception of the kubernetes client / urllib3 into a :class:`K8sError`.

    ``action`` is a verb (``get``, ``create``...), ``what`` names the object
    (``StatefulSet ws-a/env1``), both for the message.
    """
    if isinstance(exc, K8sError):
        return exc
    status = getattr(exc, "status", None)
    if status is not None and hasattr(exc, "body"):
        reason, message = _status_message(exc)
        msg = "Kubernetes API refused to %s %s: %s %s%s" % (
            action, what, status, reason or "", (": " + message) if message else "")
        return K8sError(msg.strip(), status=status, reason=reason, cause=exc)
    name = type(exc).__name__
    if name == "ValidationError":  # the client checks bodies against the API schema before sending
        return K8sError("Invalid %s (rejected by the kubernetes client before %s): %s" % (what, action, exc), cause=exc)
    if name == "ConfigException" or name == "CoreException":
        return K8sError("Could not configure the Kubernetes client: %s" % exc, cause=exc)
    return K8sError("Could not reach the Kubernetes API to %s %s: %s" % (action, what, exc), cause=exc)
