# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""A thin wrapper around a boto3 Lightsail client: retries, error translation, paging, waiting."""

from __future__ import annotations

import re
import time

from ansible_collections.opsforge.infra.plugins.module_utils._common.waiting import WaitTimeout, poll_until
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import translate

# Operations that only read: allowed in check mode. Everything else is a write.
READ_PREFIXES = ("get_", "is_", "list_")

# Throttling/transient codes Lightsail uses beyond amazon.aws's AWSRetry defaults.
EXTRA_RETRY_CODES = ["ThrottlingException", "ServiceException", "RegionSetupInProgressException"]

OPERATION_DONE = ("Succeeded", "Completed")
OPERATION_FAILED = ("Failed",)


def _sleep(seconds):
    time.sleep(seconds)  # looked up at call time, so tests can replace this module's ``time``


def _clock():
    return time.monotonic()


def snake_op(name):
    """``GetInstance`` / ``get_instance`` -> ``get_instance`` (boto3 method name)."""
    if "_" in name or name.islower():
        return name
    # acronyms first, like botocore.xform_name: GetContainerAPIMetadata -> get_container_api_metadata
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def camel_op(name):
    """``get_instance`` -> ``GetInstance`` (API operation name, for messages)."""
    if "_" not in name and not name.islower():
        return name
    return "".join(part.capitalize() for part in name.split("_"))


# ONE retry layer: amazon.aws's jittered backoff around each call, with botocore's own retries turned off
# (``client_config()``), so the two never multiply (they did: 8 x 3 = 24 requests, 56-100 s, per throttled call).
# A call that stays throttled makes RETRY_ATTEMPTS requests; the pauses between them are drawn uniformly from
# [0, min(RETRY_DELAY * 2**n, RETRY_MAX_DELAY)], so it waits at most RETRY_MAX_TOTAL_WAIT seconds (25 s on average).
RETRY_ATTEMPTS = 6
RETRY_DELAY = 2
RETRY_MAX_DELAY = 20
RETRY_MAX_TOTAL_WAIT = sum(min(RETRY_DELAY * 2 ** n, RETRY_MAX_DELAY) for n in range(RETRY_ATTEMPTS - 1))  # 50


def default_retry():
    """amazon.aws's jittered backoff (the only retry layer), retrying Lightsail's throttling codes too."""
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # pylint: disable=import-outside-toplevel

    return AWSRetry.jittered_backoff(retries=RETRY_ATTEMPTS, delay=RETRY_DELAY, max_delay=RETRY_MAX_DELAY,
                                     catch_extra_error_codes=EXTRA_RETRY_CODES)


def client_config():
    """botocore ``Config`` for every Lightsail client: botocore's retries off (one attempt), whatever
    ``AWS_RETRY_MODE``/``AWS_MAX_ATTEMPTS`` or the profile say -- :func:`default_retry` is the one layer."""
    import botocore.config  # pylint: disable=import-outside-toplevel

    return botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})


class LightsailClient:
    """Lightsail API access for one region/account.

    ``client``: a boto3 ``lightsail`` client. ``retry``: a decorator applied to every call
    (``default_retry()`` in modules; ``None`` = no retries). ``check_mode``: refuse every write
    operation (a bug guard: resource code must not reach a write in check mode).
    ``sleep``/``clock``/``poll_delay`` drive the waiters (default: this module's ``time``, which
    tests replace with a fake clock).
    """

    def __init__(self, client, check_mode=False, retry=None, sleep=None, clock=None, poll_delay=5.0):
        self.client = client
        self.check_mode = check_mode
        self.retry = retry
        self.sleep = sleep or _sleep
        self.clock = clock or _clock
        self.poll_delay = poll_delay
        self.calls = []  # boto3 method names, in order (for tests and debugging)

    @property
    def region(self):
        return getattr(getattr(self.client, "meta", None), "region_name", None)

    # -- calls -----------------------------------------------------------------------------
    def call(self, op_name, not_found_ok=False, **params):
        """Call ``op_name`` (``GetInstance`` or ``get_instance``) with ``params``.

        Retries throttling, translates every SDK error into :class:`LightsailError`, and returns
        ``None`` instead of raising when ``not_found_ok`` and the resource does not exist.
        """
        method_name = snake_op(op_name)
        if self.check_mode and not method_name.startswith(READ_PREFIXES):
            raise LightsailError("internal error: write operation %s attempted in check mode" % camel_op(method_name),
                                 code="CheckMode", operation=camel_op(method_name))
        method = getattr(self.client, method_name)
        if self.retry is not None:
            method = self.retry(method)
        self.calls.append(method_name)
        try:
            return method(**params)
        except Exception as exc:  # pylint: disable=broad-except
            error = translate(exc, camel_op(method_name))
            if not_found_ok and error.is_not_found:
                return None
            raise error

    def paginate(self, op_name, result_key, **params):
        """All items of ``result_key`` over every page (manual ``pageToken``/``nextPageToken``)."""
        items = []
        token = None
        while True:
            page_params = dict(params)
            if token:
                page_params["pageToken"] = token
            response = self.call(op_name, **page_params)
            items.extend(response.get(result_key) or [])
            token = response.get("nextPageToken")
            if not token:
                return items

    # -- waiting ---------------------------------------------------------------------------
    def _deadline(self, timeout):
        return self.clock() + max(0, timeout or 0)

    def _poll(self, predicate, timeout):
        return poll_until(predicate, timeout, self.poll_delay, clock=self.clock, sleep=self.sleep)

    def wait_operations(self, operations, timeout=300):
        """Wait until each operation (dicts as the API returns them) is Succeeded/Completed.

        A Failed operation raises :class:`LightsailError` (code ``OperationFailed``) naming the
        operation type, the resource and Lightsail's errorCode/errorDetails. Returns the final
        operation dicts. One deadline (``timeout`` from now) covers all of them.
        """
        if isinstance(operations, dict):
            operations = [operations]
        deadline = self._deadline(timeout)
        return [self._wait_operation(operation, timeout, deadline) for operation in operations or []]

    def _wait_operation(self, operation, timeout, deadline):
        seen = [operation, False]  # the latest operation dict, and whether to read it again

        def finished():
            if seen[1]:
                seen[0] = self.call("get_operation", operationId=operation["id"])["operation"]
            current, status = seen[0], seen[0].get("status")
            if status in OPERATION_FAILED:
                raise operation_failed(current)
            if status in OPERATION_DONE or not current.get("id"):
                return current
            seen[1] = True
            return None

        try:
            return self._poll(finished, deadline - self.clock())
        except WaitTimeout:
            last = seen[0]
            raise LightsailError(
                "timed out after %ss waiting for operation %s on %s (status %s)"
                % (timeout, last.get("operationType"), last.get("resourceName"), last.get("status")),
                code="Timeout", operation=last.get("operationType"))

    def wait_for(self, describe_fn, ready_fn, timeout=300, what="resource", failed_fn=None):
        """Poll ``describe_fn()`` until ``ready_fn(result)`` is true; return that result.

        ``failed_fn(result)`` may return a message to stop waiting with an error at once.
        ``None`` from ``describe_fn`` (gone) is an error: there is nothing to wait for.
        """
        def ready():
            current = describe_fn()
            if current is None:
                raise LightsailError("%s disappeared while waiting for it" % what, code="NotFoundException")
            if failed_fn is not None:
                failure = failed_fn(current)
                if failure:
                    raise LightsailError("%s failed: %s" % (what, failure), code="ResourceFailed")
            return current if ready_fn(current) else None

        try:
            return self._poll(ready, timeout)
        except WaitTimeout:
            raise LightsailError("timed out after %ss waiting for %s" % (timeout, what), code="Timeout")


def operation_failed(operation):
    """The :class:`LightsailError` for a Failed operation dict."""
    code = operation.get("errorCode") or "unknown"
    detail = operation.get("errorDetails") or "no details"
    return LightsailError(
        "Lightsail operation %s on %s %s failed: %s: %s"
        % (operation.get("operationType"), operation.get("resourceType", "resource"), operation.get("resourceName"), code, detail),
        code="OperationFailed", operation=operation.get("operationType"),
        details={"operation_id": operation.get("id"), "operation_error_code": code, "operation_error_details": detail})


# -- readiness predicates for wait_for ----------------------------------------------------------
def instance_ready(instance):
    """Running, with its public address (IPv4, or IPv6 for ipv6-only instances)."""
    if (instance.get("state") or {}).get("name") != "running":
        return False
    if instance.get("ipAddressType") == "ipv6":
        return bool(instance.get("ipv6Addresses"))
    return bool(instance.get("publicIpAddress"))


def instance_in_state(name):
    return lambda instance: (instance.get("state") or {}).get("name") == name


def disk_available(disk):
    return disk.get("state") in ("available", "in-use")


def disk_failed(disk):
    return "disk is in state error" if disk.get("state") == "error" else None


def snapshot_available(snapshot):
    return snapshot.get("state") == "available"


def snapshot_failed(snapshot):
    return "snapshot is in state error" if snapshot.get("state") == "error" else None


def load_balancer_active(load_balancer):
    return load_balancer.get("state") in ("active", "active_impaired")


def load_balancer_failed(load_balancer):
    return "load balancer is in state failed" if load_balancer.get("state") == "failed" else None
