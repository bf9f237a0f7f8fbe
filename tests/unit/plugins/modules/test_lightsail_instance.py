# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""opsforge.infra.lightsail_instance against a Stubber-checked Lightsail client."""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

from lightsail_utils import ANY, CREATED, Stubbed, operation, ops, run_module

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.instance import desired_ports
from ansible_collections.opsforge.infra.plugins.modules import lightsail_instance
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.instance import PARAMS, SSH_PORT, WEB_PORT, get, instance


def test_create_sends_everything_in_one_call_then_sets_the_firewall():
    stub = Stubbed()
    get(stub, missing=True)
    stub.add("CreateInstances", ops("CreateInstance", "web-1", status="Started"), {
        "instanceNames": ["web-1"], "availabilityZone": "us-east-1a", "blueprintId": "debian_12", "bundleId": "nano_3_0",
        "keyPairName": "deploy", "userData": "#!/bin/sh\necho hi\n", "tags": [{"key": "env", "value": "prod"}],
        "addOns": [{"addOnType": "AutoSnapshot", "autoSnapshotAddOnRequest": {"snapshotTimeOfDay": "03:00"}}]})
    stub.add("GetOperation", {"operation": operation("CreateInstance", "web-1")}, {"operationId": "op-1"})
    get(stub, instance(state={"code": 0, "name": "pending"}, publicIpAddress=None))
    get(stub, instance(networking={"ports": []}, metadataOptions={"httpTokens": "optional"}))
    stub.add("PutInstancePublicPorts", {"operation": operation("PutInstancePublicPorts", "web-1")}, {
        "instanceName": "web-1", "portInfos": [WEB_PORT, SSH_PORT]})
    stub.add("UpdateInstanceMetadataOptions", {"operation": operation("UpdateInstanceMetadataOptions", "web-1")},
             {"instanceName": "web-1", "httpTokens": "required"})
    get(stub)
    result = run_module(lightsail_instance.main, dict(PARAMS, user_data="#!/bin/sh\necho hi\n"), stub, diff=True)
    assert result["changed"] is True
    assert result["actions"] == ["create instance web-1", "set public ports of web-1", "update metadata options of web-1"]
    assert result["instance"]["public_ip_address"] == "203.0.113.10"
    assert result["instance"]["tags"] == {"env": "prod"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == result["instance"]
    assert stub.slept  # waited for the operation and for the instance to run


def test_unchanged_makes_exactly_one_read():
    stub = Stubbed()
    get(stub)
    result = run_module(lightsail_instance.main, PARAMS, stub)
    assert result["changed"] is False
    assert result["actions"] == []
    assert stub.calls == ["GetInstance"]
    assert result["instance"]["networking"]["ports"][0]["from_port"] == 443
    assert result["instance"]["metadata_options"]["http_tokens"] == "required"


def test_update_firewall_tags_add_ons_and_metadata():
    stub = Stubbed()
    current = instance(tags=[{"key": "env", "value": "dev"}, {"key": "old", "value": "x"}], addOns=[],
                       metadataOptions={"httpTokens": "optional"}, networking={"ports": [dict(WEB_PORT, accessDirection="inbound")]})
    get(stub, current)
    stub.add("PutInstancePublicPorts", {"operation": operation("PutInstancePublicPorts", "web-1")},
             {"instanceName": "web-1", "portInfos": [WEB_PORT, SSH_PORT]})
    stub.add("UpdateInstanceMetadataOptions", {"operation": operation("UpdateInstanceMetadataOptions", "web-1")},
             {"instanceName": "web-1", "httpTokens": "required"})
    stub.add("EnableAddOn", ops("EnableAddOn", "web-1"), {"resourceName": "web-1", "addOnRequest": {
        "addOnType": "AutoSnapshot", "autoSnapshotAddOnRequest": {"snapshotTimeOfDay": "03:00"}}})
    stub.add("UntagResource", ops("UntagResource", "web-1"), {"resourceName": "web-1", "tagKeys": ["old"]})
    stub.add("TagResource", ops("TagResource", "web-1"), {"resourceName": "web-1", "tags": [{"key": "env", "value": "prod"}]})
    get(stub)
    result = run_module(lightsail_instance.main, PARAMS, stub, diff=True)
    assert result["changed"] is True
    assert result["actions"] == ["set public ports of web-1", "update metadata options of web-1",
                                 "enable add-on AutoSnapshot on web-1", "update tags of web-1"]
    assert result["diff"]["before"]["tags"] == {"env": "dev", "old": "x"}
    assert result["diff"]["after"]["tags"] == {"env": "prod"}


def test_close_rules_without_purge():
    stub = Stubbed()
    get(stub)
    stub.add("CloseInstancePublicPorts", {"operation": operation("CloseInstancePublicPorts", "web-1")},
             {"instanceName": "web-1", "portInfo": SSH_PORT})
    get(stub, instance(networking={"ports": [dict(WEB_PORT, accessDirection="inbound")]}))
    params = {"name": "web-1", "purge_public_ports": False, "public_ports": [
        {"from_port": 22, "cidrs": ["198.51.100.0/24"], "cidr_list_aliases": ["lightsail-connect"], "state": "absent"},
        {"from_port": 25, "state": "absent"}]}
    result = run_module(lightsail_instance.main, params, stub, diff=True)
    assert result["actions"] == ["close tcp 22-22 on web-1"]
    assert [p["from_port"] for p in result["diff"]["after"]["networking"]["ports"]] == [443]
    stub = Stubbed()
    get(stub, instance(networking={"ports": [dict(WEB_PORT, accessDirection="inbound")]}))
    check = run_module(lightsail_instance.main, params, stub, check_mode=True)
    assert check["changed"] is False and stub.calls == ["GetInstance"]


def test_open_without_purge_adds_only_missing_rules_and_disables_unlisted_add_ons():
    stub = Stubbed()
    get(stub)
    icmp = {"fromPort": 8, "toPort": -1, "protocol": "icmp", "cidrs": ["0.0.0.0/0"]}
    stub.add("OpenInstancePublicPorts", {"operation": operation("OpenInstancePublicPorts", "web-1")},
             {"instanceName": "web-1", "portInfo": icmp})
    stub.add("DisableAddOn", ops("DisableAddOn", "web-1"), {"resourceName": "web-1", "addOnType": "AutoSnapshot"})
    get(stub)
    result = run_module(lightsail_instance.main, {"name": "web-1", "purge_public_ports": False, "add_ons": [],
                                                  "public_ports": [{"from_port": 443}, {"from_port": 8, "to_port": -1, "protocol": "icmp"}]}, stub)
    assert result["actions"] == ["open icmp 8--1 on web-1", "disable add-on AutoSnapshot on web-1"]


def test_ipv4_only_default_rule_has_no_ipv6_and_ip_type_changes_in_place():
    stub = Stubbed()
    get(stub, instance(networking={"ports": []}))
    stub.add("SetIpAddressType", ops("SetIpAddressType", "web-1"),
             {"resourceType": "Instance", "resourceName": "web-1", "ipAddressType": "ipv4"})
    stub.add("PutInstancePublicPorts", {"operation": operation("PutInstancePublicPorts", "web-1")},
             {"instanceName": "web-1", "portInfos": [{"fromPort": 80, "toPort": 80, "protocol": "tcp", "cidrs": ["0.0.0.0/0"]}]})
    get(stub, instance(ipAddressType="ipv4"))
    result = run_module(lightsail_instance.main, {"name": "web-1", "ip_address_type": "ipv4", "wait": False,
                                                  "public_ports": [{"from_port": 80}]}, stub)
    assert result["changed"] is True


def test_immutable_field_fails_before_any_write():
    stub = Stubbed()
    get(stub)
    result = run_module(lightsail_instance.main, dict(PARAMS, bundle_id="large_3_0"), stub)
    assert result["failed"] is True
    assert result["msg"].startswith("instance web-1: bundle_id is 'nano_3_0' but 'large_3_0' was requested; "
                                    "Lightsail cannot change it in place")
    assert stub.count(writes=True) == 0


def test_create_without_required_fields_fails_clearly():
    stub = Stubbed()
    get(stub, missing=True)
    result = run_module(lightsail_instance.main, {"name": "web-1", "zone": "us-east-1a"}, stub)
    assert result["failed"] is True
    assert result["msg"] == "instance web-1 does not exist; to create it, set bundle_id, blueprint_id"


@pytest.mark.parametrize("port, message", [
    ({"from_port": 90, "to_port": 80}, "public_ports[0]: from_port/to_port must be 0-65535 with from_port <= to_port (got 90-80)"),
    ({"from_port": 128, "protocol": "icmpv6", "cidrs": ["0.0.0.0/0"]}, "public_ports[0]: icmpv6 rules apply to IPv6 only; use ipv6_cidrs"),
])
def test_bad_ports_fail_before_any_write(port, message):
    stub = Stubbed()
    get(stub)
    result = run_module(lightsail_instance.main, {"name": "web-1", "public_ports": [port]}, stub)
    assert result["msg"] == message
    assert stub.count(writes=True) == 0


def test_delete_and_delete_missing():
    stub = Stubbed()
    get(stub)
    stub.add("DeleteInstance", ops("DeleteInstance", "web-1", status="Started"), {"instanceName": "web-1"})
    stub.add("GetOperation", {"operation": operation("DeleteInstance", "web-1")})
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent"}, stub, diff=True)
    assert result["changed"] is True and result["instance"] == {}
    assert result["diff"]["before"]["name"] == "web-1" and result["diff"]["after"] == {}

    stub = Stubbed()
    get(stub, missing=True)
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent"}, stub)
    assert result["changed"] is False and result["instance"] == {}
    assert stub.calls == ["GetInstance"]


def test_throttling_then_success():
    stub = Stubbed()
    stub.error("GetInstance", "ThrottlingException", "Rate exceeded")
    get(stub)
    result = run_module(lightsail_instance.main, PARAMS, stub)
    assert result["changed"] is False
    assert stub.calls == ["GetInstance", "GetInstance"]
    assert len(stub.slept) == 1


def test_failed_operation_is_a_clear_error():
    stub = Stubbed()
    get(stub, missing=True)
    stub.add("CreateInstances", ops("CreateInstance", "web-1", status="Started"))
    stub.add("GetOperation", {"operation": operation("CreateInstance", "web-1", status="Failed", errorCode="InsufficientCapacity",
                                                     errorDetails="no nano_3_0 capacity in us-east-1a")})
    result = run_module(lightsail_instance.main, {"name": "web-1", "zone": "us-east-1a", "blueprint_id": "debian_12",
                                                  "bundle_id": "nano_3_0"}, stub)
    assert result["failed"] is True
    assert result["msg"] == ("Lightsail operation CreateInstance on Instance web-1 failed: InsufficientCapacity: "
                             "no nano_3_0 capacity in us-east-1a")
    assert result["error_code"] == "OperationFailed"


def test_check_mode_create_predicts_without_writing():
    stub = Stubbed()
    get(stub, missing=True)
    result = run_module(lightsail_instance.main, PARAMS, stub, check_mode=True, diff=True)
    assert result["changed"] is True
    assert stub.calls == ["GetInstance"]
    after = result["diff"]["after"]
    assert after["name"] == "web-1" and after["bundle_id"] == "nano_3_0" and after["tags"] == {"env": "prod"}
    assert after["location"] == {"availability_zone": "us-east-1a", "region_name": "us-east-1"}
    assert [p["from_port"] for p in after["networking"]["ports"]] == [443, 22]
    assert after["metadata_options"] == {"http_tokens": "required"}


def test_check_mode_update_predicts_and_second_check_run_is_unchanged():
    stub = Stubbed()
    get(stub, instance(tags=[], state={"code": 80, "name": "stopped"}))
    result = run_module(lightsail_instance.main, dict(PARAMS, state="running"), stub, check_mode=True)
    assert result["changed"] is True
    assert result["actions"] == ["update tags of web-1", "start instance web-1"]
    assert result["instance"]["state"]["name"] == "running" and result["instance"]["tags"] == {"env": "prod"}
    assert stub.count(writes=True) == 0
    stub = Stubbed()
    get(stub)
    assert run_module(lightsail_instance.main, dict(PARAMS, state="running"), stub, check_mode=True)["changed"] is False


def test_stop_start_restart():
    stub = Stubbed()
    get(stub)
    stub.add("StopInstance", ops("StopInstance", "web-1"), {"instanceName": "web-1"})
    stub.add("GetInstanceState", {"state": {"code": 64, "name": "stopping"}}, {"instanceName": "web-1"})
    stub.add("GetInstanceState", {"state": {"code": 80, "name": "stopped"}}, {"instanceName": "web-1"})
    get(stub, instance(state={"code": 80, "name": "stopped"}))
    assert run_module(lightsail_instance.main, {"name": "web-1", "state": "stopped"}, stub)["instance"]["state"]["name"] == "stopped"

    stub = Stubbed()
    get(stub, instance(state={"code": 80, "name": "stopped"}))
    stub.add("StartInstance", ops("StartInstance", "web-1"), {"instanceName": "web-1"})
    get(stub, instance(state={"code": 0, "name": "pending"}))
    get(stub)
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "running"}, stub)
    assert result["actions"] == ["start instance web-1"]

    stub = Stubbed()
    get(stub, instance(state={"code": 64, "name": "stopping"}))
    stub.add("GetInstanceState", {"state": {"code": 80, "name": "stopped"}}, {"instanceName": "web-1"})
    stub.add("StartInstance", ops("StartInstance", "web-1"), {"instanceName": "web-1"})
    get(stub)
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "running"}, stub)
    assert result["actions"] == ["wait for instance web-1 to stop", "start instance web-1"]
    assert result["instance"]["state"]["name"] == "running"

    stub = Stubbed()
    get(stub)
    stub.add("RebootInstance", ops("RebootInstance", "web-1"), {"instanceName": "web-1"})
    get(stub)
    assert run_module(lightsail_instance.main, {"name": "web-1", "state": "restarted"}, stub)["actions"] == ["reboot instance web-1"]


def test_access_details_on_request():
    stub = Stubbed()
    get(stub)
    stub.add("GetInstanceAccessDetails", {"accessDetails": {
        "username": "admin", "ipAddress": "203.0.113.10", "privateKey": "-----BEGIN KEY-----", "certKey": "ssh-cert",
        "protocol": "ssh", "instanceName": "web-1", "expiresAt": CREATED,
        "hostKeys": [{"algorithm": "ssh-ed25519", "publicKey": "AAAA", "fingerprintSHA256": "SHA256:x"}]}},
        {"instanceName": "web-1", "protocol": "ssh"})
    result = run_module(lightsail_instance.main, {"name": "web-1", "access_details": True}, stub)
    details = result["access_details"]
    assert details["username"] == "admin" and details["private_key"] == "-----BEGIN KEY-----"
    assert details["host_keys"] == [{"algorithm": "ssh-ed25519", "public_key": "AAAA", "fingerprint_sha256": "SHA256:x"}]
    assert result["changed"] is False


def test_create_from_auto_snapshot():
    stub = Stubbed()
    stub.error("GetInstance", params={"instanceName": "web-2"})
    stub.add("CreateInstancesFromSnapshot", ops("CreateInstance", "web-2"), {
        "instanceNames": ["web-2"], "availabilityZone": "us-east-1b", "bundleId": "small_3_0",
        "sourceInstanceName": "web-1", "useLatestRestorableAutoSnapshot": True})
    stub.add("GetInstance", {"instance": instance(name="web-2")}, {"instanceName": "web-2"})
    result = run_module(lightsail_instance.main, {"name": "web-2", "zone": "us-east-1b", "bundle_id": "small_3_0", "wait": False,
                                                  "source_instance_name": "web-1", "use_latest_restorable_auto_snapshot": True}, stub)
    assert result["actions"] == ["create instance web-2 from snapshot"]
    assert ANY is not None


HTTPS = {"domain_names": ["www.example.com", "example.com"], "email_address": "ops@example.com"}


def _history(status, names=("example.com", "www.example.com")):
    return {"setupHistory": [{"operationId": "op-9", "status": status,
                              "request": {"instanceName": "web-1", "domainNames": list(names), "certificateProvider": "LetsEncrypt"}}]}


@pytest.mark.parametrize("status", ["succeeded", "inProgress"])
def test_https_setup_done_or_running_is_left_alone(status):
    stub = Stubbed()
    get(stub)
    stub.add("GetSetupHistory", _history(status), {"resourceName": "web-1"})
    result = run_module(lightsail_instance.main, {"name": "web-1", "https_setup": HTTPS}, stub)
    assert result["changed"] is False and stub.calls == ["GetInstance", "GetSetupHistory"]


@pytest.mark.parametrize("history", [_history("failed"), _history("succeeded", names=["old.example.com"]), {"setupHistory": []}])
def test_https_setup_runs_when_missing_failed_or_for_other_names(history):
    stub = Stubbed()
    get(stub)
    stub.add("GetSetupHistory", history, {"resourceName": "web-1"})
    stub.add("SetupInstanceHttps", ops("SetupInstanceHttps", "web-1"), {
        "instanceName": "web-1", "emailAddress": "ops@example.com", "domainNames": ["www.example.com", "example.com"],
        "certificateProvider": "LetsEncrypt"})
    get(stub)
    result = run_module(lightsail_instance.main, {"name": "web-1", "https_setup": HTTPS}, stub)
    assert result["actions"] == ["set up HTTPS on web-1 for www.example.com, example.com"]


def test_default_cidrs_follow_the_ip_address_type():
    from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.instance import desired_ports

    rule = {"from_port": 0, "to_port": None, "protocol": "all", "cidrs": None, "ipv6_cidrs": None, "cidr_list_aliases": None}
    expected = {"fromPort": 0, "toPort": 65535, "protocol": "all", "cidrs": [], "ipv6Cidrs": ["::/0"], "cidrListAliases": []}
    assert desired_ports([rule], "ipv6")[0] == [expected]
    assert desired_ports([rule], "dualstack")[0][0]["cidrs"] == ["0.0.0.0/0"]
    assert desired_ports([dict(rule, protocol="icmpv6", from_port=128, to_port=-1)], "dualstack")[0][0]["cidrs"] == []


# -- ICMP rule defaults (Lightsail's ping rule) and deleting an instance in transition --------------
# The rule the Lightsail console creates for "Ping (ICMP)": type 8 (echo request), code -1 (any code).
PING = {"fromPort": 8, "toPort": -1, "protocol": "icmp", "cidrs": ["0.0.0.0/0"], "ipv6Cidrs": []}


def _rule(**values):
    rule = {"to_port": None, "protocol": "tcp", "cidrs": None, "ipv6_cidrs": None, "cidr_list_aliases": None}
    rule.update(values)
    return rule


def test_ping_rule_without_to_port_matches_lightsails_own_rule():
    stub = Stubbed()
    get(stub, instance(networking={"ports": [dict(WEB_PORT, accessDirection="inbound"), dict(PING, accessDirection="inbound")]}))
    params = {"name": "web-1", "public_ports": [{"from_port": 443}, {"from_port": 8, "protocol": "icmp"}]}
    result = run_module(lightsail_instance.main, params, stub)
    assert result["changed"] is False and result["actions"] == []
    assert stub.calls == ["GetInstance"]


@settings(max_examples=60, deadline=None)
@given(icmp_type=st.integers(min_value=-1, max_value=255), protocol=st.sampled_from(["icmp", "icmpv6"]))
def test_icmp_without_to_port_means_every_code(icmp_type, protocol):
    present, _absent = desired_ports([_rule(from_port=icmp_type, protocol=protocol)], "dualstack")
    assert (present[0]["fromPort"], present[0]["toPort"]) == (icmp_type, -1)


@settings(max_examples=60, deadline=None)
@given(port=st.integers(min_value=0, max_value=65535), protocol=st.sampled_from(["tcp", "udp"]))
def test_tcp_udp_without_to_port_is_one_port(port, protocol):
    present, _absent = desired_ports([_rule(from_port=port, protocol=protocol)], "dualstack")
    assert (present[0]["fromPort"], present[0]["toPort"]) == (port, port)


def _state(name):
    return {"state": {"code": {"pending": 0, "running": 16, "stopping": 64, "stopped": 80}[name], "name": name}}


def test_absent_waits_for_a_pending_instance_before_deleting():
    stub = Stubbed()
    get(stub, instance(state=_state("pending")["state"]))
    stub.add("GetInstanceState", _state("pending"), {"instanceName": "web-1"})
    stub.add("GetInstanceState", _state("running"), {"instanceName": "web-1"})
    stub.add("DeleteInstance", ops("DeleteInstance", "web-1"), {"instanceName": "web-1"})
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent"}, stub)
    assert result["changed"] is True
    assert result["actions"] == ["wait for instance web-1 to finish pending", "delete instance web-1"]
    assert stub.calls == ["GetInstance", "GetInstanceState", "GetInstanceState", "DeleteInstance"]
    assert stub.slept == [5.0]


def test_absent_waits_for_a_stopping_instance_even_without_wait():
    stub = Stubbed()
    get(stub, instance(state=_state("stopping")["state"]))
    stub.add("GetInstanceState", _state("stopped"), {"instanceName": "web-1"})
    stub.add("DeleteInstance", ops("DeleteInstance", "web-1", status="Started"), {"instanceName": "web-1"})
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent", "wait": False}, stub)
    assert result["actions"] == ["wait for instance web-1 to finish stopping", "delete instance web-1"]
    assert stub.calls[-1] == "DeleteInstance"


def test_absent_in_transition_times_out_clearly_without_deleting():
    stub = Stubbed()
    get(stub, instance(state=_state("stopping")["state"]))
    for _attempt in range(3):
        stub.add("GetInstanceState", _state("stopping"), {"instanceName": "web-1"})
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent", "wait_timeout": 10}, stub)
    assert result["failed"] is True and result["error_code"] == "Timeout"
    assert "instance web-1 to finish stopping" in result["msg"]
    assert stub.count("DeleteInstance") == 0


def test_absent_check_mode_in_transition_reads_once():
    stub = Stubbed()
    get(stub, instance(state=_state("pending")["state"]))
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent"}, stub, check_mode=True)
    assert result["changed"] is True and stub.calls == ["GetInstance"]
    assert result["actions"] == ["wait for instance web-1 to finish pending", "delete instance web-1"]
