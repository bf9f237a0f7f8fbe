# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_static_ip: Allocate, attach, detach and release AWS Lightsail static IPs (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, operation, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_static_ip
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.static_ip import IP, get


ATTACHED = dict(IP, isAttached=True, attachedTo="web-1")


def sops(op_type, status="Succeeded"):
    return ops(op_type, "web-ip", status=status, resource_type="StaticIp")


def test_allocate_and_attach():
    stub = Stubbed()
    get(stub, missing=True)
    stub.add("AllocateStaticIp", sops("AllocateStaticIp", status="Started"), {"staticIpName": "web-ip"})
    stub.add("GetOperation", {"operation": operation("AllocateStaticIp", "web-ip", resource_type="StaticIp")}, {"operationId": "op-1"})
    stub.add("AttachStaticIp", sops("AttachStaticIp"), {"staticIpName": "web-ip", "instanceName": "web-1"})
    get(stub, ATTACHED)
    result = run_module(lightsail_static_ip.main, {"name": "web-ip", "instance_name": "web-1"}, stub, diff=True)
    assert result["changed"] is True
    assert result["actions"] == ["allocate static IP web-ip", "attach static IP web-ip to web-1"]
    assert result["static_ip"]["attached_to"] == "web-1" and result["static_ip"]["ip_address"] == "203.0.113.20"
    assert result["diff"] == {"before": {}, "after": result["static_ip"]}


def test_unchanged_is_one_read():
    stub = Stubbed()
    get(stub, ATTACHED)
    result = run_module(lightsail_static_ip.main, {"name": "web-ip", "instance_name": "web-1"}, stub)
    assert result["changed"] is False and stub.calls == ["GetStaticIp"]
    stub = Stubbed()
    get(stub, ATTACHED)
    assert run_module(lightsail_static_ip.main, {"name": "web-ip"}, stub)["changed"] is False


def test_move_to_another_instance_detaches_first():
    stub = Stubbed()
    get(stub, ATTACHED)
    stub.add("DetachStaticIp", sops("DetachStaticIp"), {"staticIpName": "web-ip"})
    stub.add("AttachStaticIp", sops("AttachStaticIp"), {"staticIpName": "web-ip", "instanceName": "web-2"})
    get(stub, dict(ATTACHED, attachedTo="web-2"))
    result = run_module(lightsail_static_ip.main, {"name": "web-ip", "instance_name": "web-2"}, stub, diff=True)
    assert result["actions"] == ["detach static IP web-ip from web-1", "attach static IP web-ip to web-2"]
    assert result["diff"]["before"]["attached_to"] == "web-1" and result["diff"]["after"]["attached_to"] == "web-2"


def test_detach():
    stub = Stubbed()
    get(stub, ATTACHED)
    stub.add("DetachStaticIp", sops("DetachStaticIp"), {"staticIpName": "web-ip"})
    get(stub)
    result = run_module(lightsail_static_ip.main, {"name": "web-ip", "detach": True}, stub)
    assert result["changed"] is True and result["static_ip"]["is_attached"] is False
    stub = Stubbed()
    get(stub)
    assert run_module(lightsail_static_ip.main, {"name": "web-ip", "detach": True}, stub)["changed"] is False


def test_release_and_release_missing():
    stub = Stubbed()
    get(stub)
    stub.add("ReleaseStaticIp", sops("ReleaseStaticIp"), {"staticIpName": "web-ip"})
    result = run_module(lightsail_static_ip.main, {"name": "web-ip", "state": "absent"}, stub)
    assert result["changed"] is True and result["static_ip"] == {}
    stub = Stubbed()
    get(stub, missing=True)
    result = run_module(lightsail_static_ip.main, {"name": "web-ip", "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetStaticIp"]


def test_check_mode_predicts_attach_without_writes():
    stub = Stubbed()
    get(stub, missing=True)
    result = run_module(lightsail_static_ip.main, {"name": "web-ip", "instance_name": "web-1"}, stub, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["static_ip"] == {"name": "web-ip", "location": {"availability_zone": "all", "region_name": "us-east-1"},
                                   "is_attached": True, "attached_to": "web-1"}
    assert stub.count(writes=True) == 0


def test_throttled_then_ok_and_failed_attach():
    stub = Stubbed()
    stub.error("GetStaticIp", "ThrottlingException", "Rate exceeded")
    get(stub, ATTACHED)
    assert run_module(lightsail_static_ip.main, {"name": "web-ip", "instance_name": "web-1"}, stub)["changed"] is False
    stub = Stubbed()
    get(stub)
    stub.add("AttachStaticIp", sops("AttachStaticIp", status="Started"))
    stub.add("GetOperation", {"operation": operation("AttachStaticIp", "web-ip", status="Failed", resource_type="StaticIp",
                                                     errorCode="NotFound", errorDetails="instance web-9 not found")})
    result = run_module(lightsail_static_ip.main, {"name": "web-ip", "instance_name": "web-9"}, stub)
    assert result["failed"] is True
    assert result["msg"] == "Lightsail operation AttachStaticIp on StaticIp web-ip failed: NotFound: instance web-9 not found"


def test_attach_error_from_api_is_clear():
    stub = Stubbed()
    get(stub)
    stub.error("AttachStaticIp", "InvalidInputException", "Instance web-9 does not exist")
    result = run_module(lightsail_static_ip.main, {"name": "web-ip", "instance_name": "web-9"}, stub)
    assert result["msg"] == "Lightsail AttachStaticIp failed: InvalidInputException: Instance web-9 does not exist"
