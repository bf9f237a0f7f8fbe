# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_load_balancer: Manage AWS Lightsail load balancers, their instances, attributes and TLS certificates (Stubber)."""

from __future__ import annotations

from unittest import mock

from ansible.module_utils import basic

from ansible_collections.opsforge.infra.plugins.modules import lightsail_load_balancer
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import operation
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import ops
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.load_balancer import DNS, POLICIES, cert, lb


def lbop(op_type, name="web-lb", **kwargs):
    return ops(op_type, name, resource_type="LoadBalancer", **kwargs)


def run(params, stub, **kwargs):
    return run_module(lightsail_load_balancer.main, params, stub, **kwargs)


def test_create_attach_instances_and_stickiness():
    stub = Stubbed()
    stub.error("GetLoadBalancer", params={"loadBalancerName": "web-lb"})
    stub.add("CreateLoadBalancer", lbop("CreateLoadBalancer"), {
        "loadBalancerName": "web-lb", "instancePort": 8080, "healthCheckPath": "/health", "tags": [{"key": "env", "value": "prod"}]})
    stub.add("GetLoadBalancer", {"loadBalancer": lb(state="provisioning", health="/health", tags={"env": "prod"})})
    stub.add("GetLoadBalancer", {"loadBalancer": lb(health="/health", tags={"env": "prod"})})
    stub.add("AttachInstancesToLoadBalancer", lbop("AttachInstancesToLoadBalancer"),
             {"loadBalancerName": "web-lb", "instanceNames": ["web-1", "web-2"]})
    stub.add("UpdateLoadBalancerAttribute", lbop("UpdateLoadBalancerAttribute"),
             {"loadBalancerName": "web-lb", "attributeName": "SessionStickinessEnabled", "attributeValue": "true"})
    stub.add("UpdateLoadBalancerAttribute", lbop("UpdateLoadBalancerAttribute"),
             {"loadBalancerName": "web-lb", "attributeName": "SessionStickiness_LB_CookieDurationSeconds", "attributeValue": "3600"})
    stub.add("GetLoadBalancer", {"loadBalancer": lb(instances=["web-1", "web-2"], health="/health", sticky="true", cookie="3600",
                                                    tags={"env": "prod"})})
    result = run({"name": "web-lb", "instance_port": 8080, "health_check_path": "/health", "instances": ["web-2", "web-1"],
                  "session_stickiness": True, "session_stickiness_cookie_duration": 3600, "tags": {"env": "prod"}}, stub)
    assert result["changed"] is True
    assert result["load_balancer"]["instances"] == ["web-1", "web-2"]
    assert result["load_balancer"]["configuration_options"]["session_stickiness_enabled"] == "true"
    assert result["load_balancer"]["dns_name"] == DNS
    assert "tls_certificates" not in result["load_balancer"]


def test_unchanged_exactly_one_read():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb(instances=["web-1"], health="/health", sticky="true", tags={"env": "prod"})})
    result = run({"name": "web-lb", "instance_port": 8080, "health_check_path": "/health", "instances": ["web-1"],
                  "session_stickiness": True, "https_redirection": False, "tls_policy_name": "TLS-2016-08",
                  "ip_address_type": "dualstack", "tags": {"env": "prod"}}, stub)
    assert result["changed"] is False, result["actions"]
    assert stub.calls == ["GetLoadBalancer"]


def test_update_everything_with_diff():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb(instances=["web-1", "old"], certs=[{"name": "web-cert"}])})
    stub.add("GetLoadBalancerTlsCertificates", {"tlsCertificates": [cert()]}, {"loadBalancerName": "web-lb"})
    stub.add("GetLoadBalancerTlsPolicies", {"tlsPolicies": [{"name": "TLS-2016-08"}, {"name": "TLS-FS-Res-1-2-2019-08"}]})
    stub.add("SetIpAddressType", lbop("SetIpAddressType"),
             {"resourceType": "LoadBalancer", "resourceName": "web-lb", "ipAddressType": "ipv4"})
    stub.add("DetachInstancesFromLoadBalancer", lbop("DetachInstancesFromLoadBalancer"), {"loadBalancerName": "web-lb", "instanceNames": ["old"]})
    stub.add("AttachInstancesToLoadBalancer", lbop("AttachInstancesToLoadBalancer"), {"loadBalancerName": "web-lb", "instanceNames": ["web-2"]})
    stub.add("UpdateLoadBalancerAttribute", lbop("UpdateLoadBalancerAttribute"),
             {"loadBalancerName": "web-lb", "attributeName": "HealthCheckPath", "attributeValue": "/health"})
    stub.add("AttachLoadBalancerTlsCertificate", lbop("AttachLoadBalancerTlsCertificate"),
             {"loadBalancerName": "web-lb", "certificateName": "web-cert"})
    stub.add("UpdateLoadBalancerAttribute", lbop("UpdateLoadBalancerAttribute"),
             {"loadBalancerName": "web-lb", "attributeName": "TlsPolicyName", "attributeValue": "TLS-FS-Res-1-2-2019-08"})
    stub.add("UpdateLoadBalancerAttribute", lbop("UpdateLoadBalancerAttribute"),
             {"loadBalancerName": "web-lb", "attributeName": "HttpsRedirectionEnabled", "attributeValue": "true"})
    final = lb(instances=["web-1", "web-2"], health="/health", redirect=True, policy="TLS-FS-Res-1-2-2019-08", ip="ipv4",
               certs=[{"name": "web-cert", "isAttached": True}])
    stub.add("GetLoadBalancer", {"loadBalancer": final})
    stub.add("GetLoadBalancerTlsCertificates", {"tlsCertificates": [cert(attached=True)]})
    result = run({"name": "web-lb", "ip_address_type": "ipv4", "instances": ["web-1", "web-2"], "health_check_path": "/health",
                  "tls_certificates": [{"name": "web-cert", "attached": True}], "tls_policy_name": "TLS-FS-Res-1-2-2019-08",
                  "https_redirection": True}, stub, diff=True)
    assert result["changed"] is True
    assert result["actions"] == [
        "set IP address type of web-lb to ipv4", "detach instances old from web-lb", "attach instances web-2 to web-lb",
        "set health check path of web-lb to /health", "attach TLS certificate web-cert to web-lb",
        "set TLS policy of web-lb to TLS-FS-Res-1-2-2019-08", "enable HTTPS redirection on web-lb"]
    assert result["diff"]["before"]["instances"] == ["old", "web-1"]
    assert result["diff"]["after"]["instances"] == ["web-1", "web-2"]
    assert result["diff"]["after"]["tls_certificates"][0]["is_attached"] is True
    assert result["pending_validation"] == []


def test_new_certificate_returns_validation_records_and_warns():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb()})
    stub.add("CreateLoadBalancerTlsCertificate", lbop("CreateLoadBalancerTlsCertificate"), {
        "loadBalancerName": "web-lb", "certificateName": "web-cert", "certificateDomainName": "example.com",
        "certificateAlternativeNames": ["www.example.com"]})
    with_cert = lb(certs=[{"name": "web-cert"}])
    stub.add("GetLoadBalancer", {"loadBalancer": with_cert})
    stub.add("GetLoadBalancerTlsCertificates", {"tlsCertificates": [cert(status="PENDING_VALIDATION", records=False)]})
    stub.add("GetLoadBalancer", {"loadBalancer": with_cert})
    stub.add("GetLoadBalancerTlsCertificates", {"tlsCertificates": [cert(status="PENDING_VALIDATION")]})
    with mock.patch.object(basic.AnsibleModule, "warn") as warn:
        result = run({"name": "web-lb", "tls_certificates": [
            {"name": "web-cert", "domain_name": "example.com", "alternative_names": ["www.example.com"], "attached": True}]}, stub)
    assert result["changed"] is True
    assert [r["domain_name"] for r in result["dns_validation_records"]] == ["example.com", "www.example.com"]
    assert result["dns_validation_records"][0]["type"] == "CNAME"
    assert result["dns_validation_entries"][0] == {"name": "_a1.example.com.", "type": "CNAME", "target": "_b2.acm-validations.aws."}
    assert result["pending_validation"] == [{"name": "web-cert", "status": "PENDING_VALIDATION"}]
    assert "web-cert is PENDING_VALIDATION" in warn.call_args[0][0]
    assert "attach TLS certificate web-cert to web-lb" not in result["actions"]


def test_certificate_domain_is_immutable():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb(certs=[{"name": "web-cert"}])})
    stub.add("GetLoadBalancerTlsCertificates", {"tlsCertificates": [cert()]})
    result = run({"name": "web-lb", "tls_certificates": [{"name": "web-cert", "domain_name": "example.org"}]}, stub)
    assert result["failed"] is True and "domain_name" in result["msg"] and "example.org" in result["msg"]
    assert stub.count(writes=True) == 0


def test_delete_attached_certificate_forces():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb(certs=[{"name": "web-cert", "isAttached": True}])})
    stub.add("GetLoadBalancerTlsCertificates", {"tlsCertificates": [cert(attached=True)]})
    stub.add("DeleteLoadBalancerTlsCertificate", lbop("DeleteLoadBalancerTlsCertificate"),
             {"loadBalancerName": "web-lb", "certificateName": "web-cert", "force": True})
    stub.add("GetLoadBalancer", {"loadBalancer": lb()})
    result = run({"name": "web-lb", "tls_certificates": [{"name": "web-cert", "state": "absent"}]}, stub)
    assert result["changed"] is True
    assert result["load_balancer"]["tls_certificates"] == []


def test_instance_port_is_immutable():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb()})
    result = run({"name": "web-lb", "instance_port": 80}, stub)
    assert result["failed"] is True
    assert "instance_port" in result["msg"] and "cannot change it in place" in result["msg"]
    assert stub.count(writes=True) == 0


def test_bad_input_before_writes():
    stub = Stubbed()
    stub.error("GetLoadBalancer")
    result = run({"name": "web-lb"}, stub)
    assert result["failed"] is True and "instance_port is required" in result["msg"]
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb()})
    result = run({"name": "web-lb", "health_check_path": "health"}, stub)
    assert result["failed"] is True and "must start with /" in result["msg"]


def test_keep_unlisted_instances_without_purge():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb(instances=["web-1"])})
    stub.add("AttachInstancesToLoadBalancer", lbop("AttachInstancesToLoadBalancer"), {"loadBalancerName": "web-lb", "instanceNames": ["web-2"]})
    stub.add("GetLoadBalancer", {"loadBalancer": lb(instances=["web-1", "web-2"])})
    result = run({"name": "web-lb", "instances": ["web-2"], "purge_instances": False}, stub)
    assert result["changed"] is True and result["load_balancer"]["instances"] == ["web-1", "web-2"]


def test_check_mode_create_predicts_without_writes():
    stub = Stubbed()
    stub.error("GetLoadBalancer")
    result = run({"name": "web-lb", "instance_port": 8080, "instances": ["web-1"], "https_redirection": False,
                  "tls_certificates": [{"name": "web-cert", "domain_name": "example.com"}]}, stub, check_mode=True, diff=True)
    assert result["changed"] is True
    assert stub.calls == ["GetLoadBalancer"]
    after = result["diff"]["after"]
    assert after["instances"] == ["web-1"] and after["instance_port"] == 8080
    assert after["tls_certificates"][0]["status"] == "PENDING_VALIDATION"
    assert result["actions"] == ["create load balancer web-lb forwarding to port 8080", "attach instances web-1 to web-lb",
                                 "create TLS certificate web-cert for example.com on web-lb"]


def test_delete_and_missing_delete():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb()})
    stub.add("DeleteLoadBalancer", lbop("DeleteLoadBalancer"), {"loadBalancerName": "web-lb"})
    result = run({"name": "web-lb", "state": "absent"}, stub)
    assert result["changed"] is True and result["load_balancer"] == {}
    stub = Stubbed()
    stub.error("GetLoadBalancer")
    result = run({"name": "web-lb", "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetLoadBalancer"]


def test_throttled_then_ok_and_operation_failed():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb()})
    stub.error("AttachInstancesToLoadBalancer", code="ThrottlingException", message="Rate exceeded")
    stub.add("AttachInstancesToLoadBalancer", lbop("AttachInstancesToLoadBalancer", status="Started"))
    stub.add("GetOperation", {"operation": operation("AttachInstancesToLoadBalancer", "web-lb", status="Failed", resource_type="LoadBalancer",
                                                     errorCode="InvalidInstanceState", errorDetails="web-1 is stopped")})
    result = run({"name": "web-lb", "instances": ["web-1"]}, stub)
    assert result["failed"] is True
    assert stub.count("AttachInstancesToLoadBalancer") == 2
    assert "AttachInstancesToLoadBalancer" in result["msg"] and "web-1 is stopped" in result["msg"]


def test_failed_state_while_waiting():
    stub = Stubbed()
    stub.error("GetLoadBalancer")
    stub.add("CreateLoadBalancer", lbop("CreateLoadBalancer"))
    stub.add("GetLoadBalancer", {"loadBalancer": lb(state="failed")})
    result = run({"name": "web-lb", "instance_port": 8080}, stub)
    assert result["failed"] is True and "state failed" in result["msg"]


def test_https_redirection_needs_an_attached_certificate():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb(policy=None)})
    stub.add("GetLoadBalancerTlsPolicies", {"tlsPolicies": [{"name": "TLS-2016-08"}]})  # a new policy is validated first
    result = run({"name": "web-lb", "https_redirection": True, "tls_policy_name": "TLS-2016-08"}, stub)
    assert result["failed"] is True
    assert "tls_policy_name and https_redirection need a TLS certificate attached" in result["msg"]
    assert stub.count(writes=True) == 0


def test_https_redirection_deferred_while_certificate_pending():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb(policy=None)})
    result = run({"name": "web-lb", "https_redirection": True, "wait": False, "tls_certificates": [
        {"name": "web-cert", "domain_name": "example.com", "attached": True}]}, stub, check_mode=True)
    assert result["changed"] is True
    assert result["deferred"] == ["https_redirection"]
    assert result["actions"] == ["create TLS certificate web-cert for example.com on web-lb"]
    assert result["load_balancer"]["https_redirection_enabled"] is False


def test_unknown_tls_policy_fails_before_any_write_naming_the_valid_ones():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb()})
    stub.add("GetLoadBalancerTlsPolicies", {"tlsPolicies": POLICIES})
    result = run_module(lightsail_load_balancer.main, {"name": "web-lb", "tls_policy_name": "TLS-1-3-2099"}, stub)
    assert result["failed"] is True and result["error_code"] == "Invalid"
    assert "tls_policy_name TLS-1-3-2099 is not a Lightsail TLS policy" in result["msg"]
    assert "TLS-2016-08, TLS-FS-Res-1-2-2019-08" in result["msg"]
    assert stub.count(writes=True) == 0


def test_known_new_tls_policy_is_checked_once_then_set():
    stub = Stubbed()
    stub.add("GetLoadBalancer", {"loadBalancer": lb(certs=[{"name": "web-cert", "isAttached": True}])})
    stub.add("GetLoadBalancerTlsPolicies", {"tlsPolicies": POLICIES})
    stub.add("UpdateLoadBalancerAttribute", lbop("UpdateLoadBalancerAttribute"),
             {"loadBalancerName": "web-lb", "attributeName": "TlsPolicyName", "attributeValue": "TLS-FS-Res-1-2-2019-08"})
    stub.add("GetLoadBalancer", {"loadBalancer": lb(policy="TLS-FS-Res-1-2-2019-08", certs=[{"name": "web-cert", "isAttached": True}])})
    result = run_module(lightsail_load_balancer.main, {"name": "web-lb", "tls_policy_name": "TLS-FS-Res-1-2-2019-08"}, stub)
    assert result["changed"] is True and stub.count("GetLoadBalancerTlsPolicies") == 1


def test_unchanged_tls_policy_is_not_looked_up():
    stub = Stubbed().add("GetLoadBalancer", {"loadBalancer": lb()})
    result = run_module(lightsail_load_balancer.main, {"name": "web-lb", "tls_policy_name": "TLS-2016-08"}, stub)
    assert result["changed"] is False and stub.calls == ["GetLoadBalancer"]
