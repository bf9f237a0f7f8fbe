# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test harness for Lightsail modules: run ``main()`` against a Stubber-wrapped real botocore client.

Every request a module sends is validated by ``botocore.stub.Stubber`` against the real Lightsail
service model (operation name, parameter names and types), every canned response against the
output model. Usage::

    stub = Stubbed()
    stub.add("GetInstance", {"instance": INSTANCE}, {"instanceName": "web-1"})
    stub.error("GetStaticIp", "NotFoundException")
    result = run_module(lightsail_instance.main, {"name": "web-1"}, stub)
    assert result["changed"] is False
    assert stub.calls == ["GetInstance"]          # API operation names, in order
    assert stub.count(writes=True) == 0           # or stub.count("GetInstance") == 1

``run_module`` patches boto3's session so the module builds its client through amazon.aws's real
credential path (``stub.client_kwargs`` records what it asked for), replaces sleeping by a fake clock
(``stub.slept`` records waiter and retry sleeps), and by default asserts that every queued response
was consumed.
"""

from __future__ import annotations

import datetime
from unittest import mock

import boto3
import botocore.session
from botocore.stub import ANY, Stubber

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail import client as client_mod
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import snake_op

__all__ = ["ANY", "ACCOUNT", "CREATED", "ModuleExit", "Stubbed", "arn", "new_client", "operation", "ops", "run_module",
           "run_read_only"]

UTC = datetime.timezone.utc
CREATED = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCOUNT = "123456789012"


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


_SESSION = []


def new_client(region="us-east-1"):
    """A real botocore Lightsail client (one shared botocore session: the service model loads once)."""
    if not _SESSION:
        _SESSION.append(botocore.session.get_session())
    return _SESSION[0].create_client(
        "lightsail", region_name=region, aws_access_key_id="AKIDTESTTESTTEST", aws_secret_access_key="secret")


class Stubbed:
    """A real botocore Lightsail client, a Stubber on it, and a record of the calls made."""

    def __init__(self, region="us-east-1"):
        self.region = region
        self.client = new_client(region)
        self.stubber = Stubber(self.client)
        self.calls = []
        self.client_kwargs = []
        self.slept = []
        self.now = 0.0
        self.client.meta.events.register("before-parameter-build.lightsail", self._record)

    def _record(self, model, params, **kwargs):
        self.calls.append(model.name)

    def add(self, op, response=None, params=None):
        """Queue ``response`` for operation ``op`` (``GetInstance`` or ``get_instance``);
        ``params`` (if given) must equal the request's parameters (``ANY`` allowed as values)."""
        self.stubber.add_response(snake_op(op), response or {}, params)
        return self

    def error(self, op, code="NotFoundException", message="resource does not exist", status=400, params=None):
        """Queue an AWS error for ``op``."""
        self.stubber.add_client_error(snake_op(op), service_error_code=code, service_message=message,
                                      http_status_code=status, expected_params=params)
        return self

    def count(self, op=None, writes=False):
        """Number of calls made (to ``op``, or only non-read calls with ``writes=True``)."""
        calls = self.calls
        if op is not None:
            calls = [c for c in calls if c == op]
        if writes:
            calls = [c for c in calls if not c.startswith(("Get", "Is", "List"))]
        return len(calls)

    # fake time for the waiters and the retry decorator
    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self):
        return self.now


class _FakeTime:
    def __init__(self, stub):
        self._stub = stub

    def sleep(self, seconds):
        self._stub.sleep(seconds)

    def monotonic(self):
        return self._stub.monotonic()

    def time(self):
        return 1_700_000_000 + self._stub.monotonic()


def run_module(main, params, stub, check_mode=False, diff=False, assert_consumed=True):
    """Run ``main()`` with module ``params``; return the exit or fail JSON as a dict.

    A failure has ``failed: True``. ``region`` defaults to the stub's region.
    """
    args = dict(params)
    args.setdefault("region", stub.region)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    args.setdefault("_ansible_remote_tmp", "/tmp")
    args.setdefault("_ansible_keep_remote_files", False)

    def fake_client(session, service_name, region_name=None, endpoint_url=None, **kwargs):
        assert service_name == "lightsail"
        stub.client_kwargs.append(dict(kwargs, region_name=region_name, endpoint_url=endpoint_url,
                                       profile_name=session.profile_name if session.available_profiles else None))
        return stub.client

    def exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        raise ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        kwargs["failed"] = True
        raise ModuleExit(kwargs)

    fake_time = _FakeTime(stub)
    result = None
    with patch_module_args(args), \
            mock.patch.object(boto3.session.Session, "client", fake_client), \
            mock.patch.object(basic.AnsibleModule, "exit_json", exit_json), \
            mock.patch.object(basic.AnsibleModule, "fail_json", fail_json), \
            mock.patch.object(client_mod, "time", fake_time), \
            mock.patch("ansible_collections.amazon.aws.plugins.module_utils.cloud.time", fake_time), \
            stub.stubber:
        try:
            main()
        except ModuleExit as done:
            result = done.result
    if result is None:  # pragma: no cover - a module must exit
        raise AssertionError("module did not call exit_json or fail_json")
    if assert_consumed:
        stub.stubber.assert_no_pending_responses()
    return result


def operation(op_type, resource_name, status="Succeeded", op_id="op-1", resource_type="Instance", **extra):
    """An operation dict as Lightsail returns it."""
    value = {
        "id": op_id, "resourceName": resource_name, "resourceType": resource_type, "createdAt": CREATED,
        "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "isTerminal": status in ("Succeeded", "Failed", "Completed"),
        "operationType": op_type, "status": status, "statusChangedAt": CREATED,
    }
    value.update(extra)
    return value


def ops(op_type, resource_name, status="Succeeded", op_id="op-1", resource_type="Instance", **extra):
    """``{"operations": [operation(...)]}``."""
    return {"operations": [operation(op_type, resource_name, status, op_id, resource_type, **extra)]}


def arn(kind, name, region="us-east-1"):
    return "arn:aws:lightsail:%s:%s:%s/%s" % (region, ACCOUNT, kind, name)


def run_read_only(main, params, queue):
    """Run a read-only (info) module normally and in check mode, each time with the responses
    ``queue(stub)`` adds; assert both runs succeed, report ``changed: false``, make no write call
    and return the same result. Returns the result."""
    results = []
    for check_mode in (False, True):
        stub = Stubbed()
        queue(stub)
        result = run_module(main, params, stub, check_mode=check_mode)
        assert not result.get("failed"), result
        assert result["changed"] is False and stub.count(writes=True) == 0
        results.append(result)
    assert results[0] == results[1]
    return results[0]
