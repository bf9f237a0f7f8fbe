# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared Lightsail base: client, errors, waiters, tags, the resource runner, the module class."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "modules"))

from lightsail_utils import CREATED, Stubbed, operation, ops, run_module

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail import client as client_mod
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import LightsailClient
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import default_retry
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail import tags as tags_mod

STATIC_IP = {"name": "ip-1", "arn": "arn:aws:lightsail:us-east-1:123456789012:StaticIp/ip-1", "createdAt": CREATED,
             "ipAddress": "203.0.113.5", "isAttached": False, "location": {"availabilityZone": "all", "regionName": "us-east-1"}}


def make_client(stub, check_mode=False, retry=None):
    return LightsailClient(stub.client, check_mode=check_mode, retry=retry, sleep=stub.sleep, clock=stub.monotonic, poll_delay=2)


def test_call_returns_response_and_accepts_camel_or_snake_names():
    stub = Stubbed().add("GetStaticIp", {"staticIp": STATIC_IP}, {"staticIpName": "ip-1"})
    stub.add("get_static_ip", {"staticIp": STATIC_IP}, {"staticIpName": "ip-1"})
    with stub.stubber:
        client = make_client(stub)
        assert client.call("GetStaticIp", staticIpName="ip-1")["staticIp"]["ipAddress"] == "203.0.113.5"
        assert client.call("get_static_ip", staticIpName="ip-1")["staticIp"]["name"] == "ip-1"
    assert stub.calls == ["GetStaticIp", "GetStaticIp"]
    assert client.calls == ["get_static_ip", "get_static_ip"]


def test_not_found_is_none_only_when_asked():
    stub = Stubbed().error("GetStaticIp", "NotFoundException", "The StaticIp does not exist")
    stub.error("GetStaticIp", "NotFoundException", "The StaticIp does not exist")
    with stub.stubber:
        client = make_client(stub)
        assert client.call("GetStaticIp", not_found_ok=True, staticIpName="ip-1") is None
        with pytest.raises(LightsailError) as caught:
            client.call("GetStaticIp", staticIpName="ip-1")
    assert caught.value.code == "NotFoundException"
    assert caught.value.is_not_found
    assert str(caught.value) == "Lightsail GetStaticIp failed: NotFoundException: The StaticIp does not exist"
    assert caught.value.fail_kwargs()["error_code"] == "NotFoundException"


def test_other_errors_are_translated_not_swallowed():
    stub = Stubbed().error("GetStaticIp", "AccessDeniedException", "not allowed", status=403)
    with stub.stubber, pytest.raises(LightsailError) as caught:
        make_client(stub).call("GetStaticIp", not_found_ok=True, staticIpName="ip-1")
    assert caught.value.code == "AccessDeniedException"
    assert "not allowed" in caught.value.msg
    assert caught.value.operation == "GetStaticIp"


def test_throttling_is_retried_with_backoff(monkeypatch):
    stub = Stubbed()
    stub.error("GetStaticIp", "ThrottlingException", "Rate exceeded", status=400)
    stub.error("GetStaticIp", "TooManyRequestsException", "slow down", status=429)
    stub.add("GetStaticIp", {"staticIp": STATIC_IP})
    slept = []
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", slept.append)
    with stub.stubber:
        result = make_client(stub, retry=default_retry()).call("GetStaticIp", staticIpName="ip-1")
    assert result["staticIp"]["name"] == "ip-1"
    assert len(slept) == 2
    assert stub.calls == ["GetStaticIp"] * 3


def test_throttling_without_retry_fails():
    stub = Stubbed().error("GetStaticIp", "ThrottlingException", "Rate exceeded")
    with stub.stubber, pytest.raises(LightsailError) as caught:
        make_client(stub).call("GetStaticIp", staticIpName="ip-1")
    assert caught.value.code == "ThrottlingException"


def test_check_mode_refuses_writes_but_allows_reads():
    stub = Stubbed().add("GetStaticIp", {"staticIp": STATIC_IP})
    with stub.stubber:
        client = make_client(stub, check_mode=True)
        client.call("GetStaticIp", staticIpName="ip-1")
        with pytest.raises(LightsailError) as caught:
            client.call("AllocateStaticIp", staticIpName="ip-1")
    assert caught.value.code == "CheckMode"
    assert stub.calls == ["GetStaticIp"]


def test_paginate_follows_tokens():
    stub = Stubbed()
    stub.add("GetStaticIps", {"staticIps": [STATIC_IP], "nextPageToken": "t1"}, {})
    stub.add("GetStaticIps", {"staticIps": [dict(STATIC_IP, name="ip-2")], "nextPageToken": "t2"}, {"pageToken": "t1"})
    stub.add("GetStaticIps", {"staticIps": []}, {"pageToken": "t2"})
    with stub.stubber:
        items = make_client(stub).paginate("GetStaticIps", "staticIps")
    assert [i["name"] for i in items] == ["ip-1", "ip-2"]


def test_wait_operations_polls_until_succeeded():
    stub = Stubbed()
    stub.add("GetOperation", {"operation": operation("CreateInstance", "web-1", status="Started")}, {"operationId": "op-1"})
    stub.add("GetOperation", {"operation": operation("CreateInstance", "web-1", status="Succeeded")}, {"operationId": "op-1"})
    with stub.stubber:
        final = make_client(stub).wait_operations(ops("CreateInstance", "web-1", status="NotStarted")["operations"], timeout=60)
    assert [o["status"] for o in final] == ["Succeeded"]
    assert stub.slept == [2, 2]


def test_wait_operations_skips_finished_ones():
    stub = Stubbed()
    with stub.stubber:
        make_client(stub).wait_operations([operation("CreateInstance", "web-1", status="Succeeded")])
    assert stub.calls == []


def test_failed_operation_names_the_operation_and_error():
    stub = Stubbed()
    stub.add("GetOperation", {"operation": operation("AttachStaticIp", "ip-1", status="Failed", resource_type="StaticIp",
                                                     errorCode="InvalidInput", errorDetails="instance web-9 is not running")})
    with stub.stubber, pytest.raises(LightsailError) as caught:
        make_client(stub).wait_operations([operation("AttachStaticIp", "ip-1", status="Started")])
    assert caught.value.code == "OperationFailed"
    assert caught.value.msg == ("Lightsail operation AttachStaticIp on StaticIp ip-1 failed: InvalidInput: "
                                "instance web-9 is not running")
    assert caught.value.details["operation_id"] == "op-1"


def test_wait_operations_times_out():
    stub = Stubbed()
    for _attempt in range(3):
        stub.add("GetOperation", {"operation": operation("CreateInstance", "web-1", status="Started")})
    with stub.stubber, pytest.raises(LightsailError) as caught:
        make_client(stub).wait_operations([operation("CreateInstance", "web-1", status="Started")], timeout=5)
    assert caught.value.code == "Timeout"
    assert "timed out after 5s" in caught.value.msg


def test_waits_never_sleep_past_wait_timeout_and_check_once_at_it():
    stub = Stubbed()
    client = make_client(stub)
    seen = []
    with pytest.raises(LightsailError) as caught:
        client.wait_for(lambda: seen.append(stub.monotonic()) or {"state": "pending"}, client_mod.disk_available,
                        timeout=5, what="disk d1")
    assert caught.value.code == "Timeout" and caught.value.msg == "timed out after 5s waiting for disk d1"
    assert stub.slept == [2, 2, 1] and seen == [0, 2, 4, 5]
    stub = Stubbed()
    for _attempt in range(3):
        stub.add("GetOperation", {"operation": operation("CreateInstance", "web-1", status="Started")})
    with stub.stubber, pytest.raises(LightsailError) as caught:
        make_client(stub).wait_operations([operation("CreateInstance", "web-1", status="NotStarted")], timeout=5)
    assert caught.value.msg == "timed out after 5s waiting for operation CreateInstance on web-1 (status Started)"
    assert stub.slept == [2, 2, 1]


def test_wait_for_resource_state_and_failure():
    states = iter([{"state": {"name": "pending"}}, {"state": {"name": "running"}, "publicIpAddress": ""},
                   {"state": {"name": "running"}, "publicIpAddress": "198.51.100.7"}])
    stub = Stubbed()
    client = make_client(stub)
    found = client.wait_for(lambda: next(states), client_mod.instance_ready, timeout=60, what="instance web-1")
    assert found["publicIpAddress"] == "198.51.100.7"
    with pytest.raises(LightsailError) as caught:
        client.wait_for(lambda: {"state": "error"}, client_mod.disk_available, what="disk d1", failed_fn=client_mod.disk_failed)
    assert caught.value.msg == "disk d1 failed: disk is in state error"
    with pytest.raises(LightsailError) as caught:
        client.wait_for(lambda: None, client_mod.disk_available, what="disk d1")
    assert caught.value.code == "NotFoundException"
    assert client_mod.instance_ready({"state": {"name": "running"}, "ipAddressType": "ipv6", "ipv6Addresses": ["2001:db8::1"]})
    assert client_mod.load_balancer_active({"state": "active"}) and not client_mod.snapshot_available({"state": "pending"})


def test_tags_round_trip_and_ensure():
    assert tags_mod.tags_to_dict([{"key": "env", "value": "prod"}, {"key": "empty"}]) == {"env": "prod", "empty": ""}
    assert tags_mod.dict_to_tags({"b": 1, "a": None}) == [{"key": "a", "value": ""}, {"key": "b", "value": "1"}]
    assert tags_mod.predict_tags({"a": "1", "b": "2"}, {"a": "9"}, purge=True) == {"a": "9"}
    assert tags_mod.predict_tags({"a": "1", "b": "2"}, {"a": "9"}, purge=False) == {"a": "9", "b": "2"}
    stub = Stubbed()
    stub.add("UntagResource", ops("UntagResource", "ip-1"), {"resourceName": "ip-1", "tagKeys": ["b"]})
    stub.add("TagResource", ops("TagResource", "ip-1"), {"resourceName": "ip-1", "tags": [{"key": "a", "value": "9"}]})
    with stub.stubber:
        operations = tags_mod.ensure_tags(make_client(stub), "ip-1", {"a": "1", "b": "2"}, {"a": "9"})
    assert len(operations) == 2
    stub = Stubbed()
    with stub.stubber:
        assert tags_mod.ensure_tags(make_client(stub), "ip-1", {"a": "1"}, None) == []
        assert tags_mod.ensure_tags(make_client(stub, check_mode=True), "ip-1", {"a": "1"}, {}) == []
    assert stub.calls == []


def test_normalize_resource():
    assert normalize_resource({"name": "x", "createdAt": CREATED, "tags": [{"key": "K", "value": "v"}],
                               "ipAddressType": "dualstack"}) == {
        "name": "x", "created_at": "2026-01-02T03:04:05+00:00", "tags": {"K": "v"}, "ip_address_type": "dualstack"}
    assert normalize_resource(None) == {}


class _StaticIp(LightsailResource):
    result_key = "static_ip"

    def describe(self):
        return (self.client.call("GetStaticIp", not_found_ok=True, staticIpName="ip-1") or {}).get("staticIp")

    def plan_create(self):
        return [Action("allocate", lambda: self.client.call("AllocateStaticIp", staticIpName="ip-1"))]

    def plan_delete(self, current):
        return [Action("release", lambda: self.client.call("ReleaseStaticIp", staticIpName="ip-1"))]

    def predict(self, current):
        return {} if self.state == "absent" else {"name": "ip-1"}


@pytest.mark.parametrize("check_mode", [False, True])
def test_runner_create(check_mode):
    stub = Stubbed().error("GetStaticIp")
    if not check_mode:
        stub.add("AllocateStaticIp", ops("AllocateStaticIp", "ip-1", status="Started", resource_type="StaticIp"))
        stub.add("GetOperation", {"operation": operation("AllocateStaticIp", "ip-1", resource_type="StaticIp")})
        stub.add("GetStaticIp", {"staticIp": STATIC_IP})
    with stub.stubber:
        result = _StaticIp(make_client(stub, check_mode=check_mode), {"state": "present"}).run()
    stub.stubber.assert_no_pending_responses()
    assert result["changed"] is True
    assert result["actions"] == ["allocate"]
    assert result["diff"]["before"] == {}
    assert result["static_ip"]["name"] == "ip-1"
    assert result["diff"]["after"] == result["static_ip"]
    assert stub.count(writes=True) == (0 if check_mode else 1)


def test_runner_unchanged_is_one_read_and_absent_missing_is_noop():
    stub = Stubbed().add("GetStaticIp", {"staticIp": STATIC_IP})
    stub.error("GetStaticIp")
    with stub.stubber:
        result = _StaticIp(make_client(stub), {"state": "present"}).run()
        gone = _StaticIp(make_client(stub), {"state": "absent"}).run()
    assert result["changed"] is False and result["actions"] == []
    assert result["static_ip"]["ip_address"] == "203.0.113.5"
    assert result["diff"]["before"] == result["diff"]["after"]
    assert gone == {"changed": False, "actions": [], "diff": {"before": {}, "after": {}}, "static_ip": {}}
    assert stub.calls == ["GetStaticIp", "GetStaticIp"]


def _probe_main():
    module = LightsailModule(argument_spec=dict(name=dict(type="str")))
    client = module.lightsail()
    try:
        found = client.call("GetStaticIp", not_found_ok=True, staticIpName=module.params["name"])
    except LightsailError as error:
        module.fail_error(error)
    module.exit_json(found=found is not None, region=client.region)


def test_module_builds_client_from_task_credentials():
    stub = Stubbed(region="eu-west-1").error("GetStaticIp")
    result = run_module(_probe_main, {"name": "ip-1", "access_key": "AKIAEXAMPLE", "secret_key": "s3cr3t",
                                      "session_token": "tok", "endpoint_url": "http://127.0.0.1:9"}, stub)
    assert result == {"changed": False, "found": False, "region": "eu-west-1"}
    kwargs = stub.client_kwargs[0]
    assert kwargs["region_name"] == "eu-west-1"
    assert kwargs["aws_access_key_id"] == "AKIAEXAMPLE"
    assert kwargs["aws_secret_access_key"] == "s3cr3t"
    assert kwargs["aws_session_token"] == "tok"
    assert kwargs["endpoint_url"] == "http://127.0.0.1:9"


def test_module_fails_with_translated_error():
    stub = Stubbed().error("GetStaticIp", "UnauthenticatedException", "bad token", status=401)
    result = run_module(_probe_main, {"name": "ip-1"}, stub)
    assert result["failed"] is True
    assert result["msg"] == "Lightsail GetStaticIp failed: UnauthenticatedException: bad token"
    assert result["error_code"] == "UnauthenticatedException"
    assert "Traceback" in result["exception"]


def test_module_uses_a_named_profile(tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text("[profile prod]\nregion = ap-south-1\naws_access_key_id = AKIAPROD\naws_secret_access_key = prodsecret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    stub = Stubbed(region="ap-south-1").error("GetStaticIp")
    result = run_module(_probe_main, {"name": "ip-1", "profile": "prod", "region": "ap-south-1"}, stub)
    assert result["found"] is False
    assert stub.client_kwargs[0]["profile_name"] == "prod"
    assert stub.client_kwargs[0]["region_name"] == "ap-south-1"
