# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_certificate: Manage Amazon Lightsail SSL/TLS certificates for distributions and container services (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_certificate
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.certificate import NAME, cert, listing


GET = {"certificateName": NAME, "includeCertificateDetails": True}


RT = "Certificate"


BASE = {"name": NAME, "domain_name": "www.example.com", "subject_alternative_names": ["example.com"]}


def test_create_with_dns_records_and_wait_for_issued():
    stub = Stubbed()
    stub.add("GetCertificates", {"certificates": []}, GET)
    stub.add("CreateCertificate", {"certificate": {"certificateName": NAME}, "operations": ops("CreateCertificate", NAME, resource_type=RT)["operations"]},
             {"certificateName": NAME, "domainName": "www.example.com", "subjectAlternativeNames": ["example.com"]})
    stub.add("GetCertificates", listing(cert(status="PENDING_VALIDATION", domainValidationRecords=[{"domainName": "www.example.com"}])), GET)
    stub.add("GetCertificates", listing(cert(status="PENDING_VALIDATION")), GET)
    stub.add("GetDomain", {"domain": {"name": "example.com", "domainEntries": [{"name": "example.com", "type": "A", "target": "1.2.3.4"}]}},
             {"domainName": "example.com"})
    stub.add("CreateDomainEntry", {"operation": ops("CreateDomainEntry", "example.com", resource_type="Domain")["operations"][0]},
             {"domainName": "example.com", "domainEntry": {"name": "_a1.www.example.com", "target": "_b2.acm-validations.aws", "type": "CNAME"}})
    stub.add("GetCertificates", listing(cert(status="PENDING_VALIDATION")), GET)
    stub.add("GetCertificates", listing(cert(status="PENDING_VALIDATION")), GET)
    stub.add("GetCertificates", listing(cert()), GET)
    result = run_module(lightsail_certificate.main, dict(BASE, validation_domain="example.com", region="eu-west-1"), stub)
    assert result["changed"] is True, result
    assert result["certificate"]["status"] == "ISSUED"
    assert result["validation_records"] == [{"domain_name": "www.example.com", "name": "_a1.www.example.com.", "type": "CNAME",
                                             "value": "_b2.acm-validations.aws.", "validation_status": "PENDING_VALIDATION"}]
    assert {kw["region_name"] for kw in stub.client_kwargs} == {"us-east-1"}
    assert any("us-east-1" in w for w in result.get("warnings", []))


def test_container_service_certificate_stays_in_its_region_no_wait():
    stub = Stubbed()
    stub.add("GetCertificates", {"certificates": []}, GET)
    stub.add("CreateCertificate", {"certificate": {"certificateName": NAME}, "operations": []})
    stub.add("GetCertificates", listing(cert(status="PENDING_VALIDATION")), GET)
    result = run_module(lightsail_certificate.main, dict(BASE, usage="container_service", region="eu-central-1", wait=False), stub)
    assert result["changed"] is True and result["certificate"]["status"] == "PENDING_VALIDATION"
    assert result["validation_records"][0]["value"] == "_b2.acm-validations.aws."
    assert stub.client_kwargs[0]["region_name"] == "eu-central-1"


def test_unchanged_is_one_read():
    stub = Stubbed()
    stub.add("GetCertificates", listing(cert()), GET)
    result = run_module(lightsail_certificate.main, dict(BASE, validation_domain="example.com"), stub)
    assert result["changed"] is False and stub.calls == ["GetCertificates"]


def test_existing_pending_records_already_there():
    stub = Stubbed()
    stub.add("GetCertificates", listing(cert(status="PENDING_VALIDATION")), GET)
    stub.add("GetDomain", {"domain": {"name": "example.com", "domainEntries": [
        {"name": "_a1.www.example.com", "type": "CNAME", "target": "_b2.acm-validations.aws"}]}})
    result = run_module(lightsail_certificate.main, dict(BASE, validation_domain="example.com", wait=False), stub)
    assert result["changed"] is False


def test_check_mode_diff_and_tags():
    stub = Stubbed()
    stub.add("GetCertificates", listing(cert()), GET)
    result = run_module(lightsail_certificate.main, dict(BASE, tags={"env": "prod"}), stub, check_mode=True, diff=True)
    assert result["changed"] is True and stub.count(writes=True) == 0
    assert result["diff"]["before"]["tags"] == {} and result["diff"]["after"]["tags"] == {"env": "prod"}
    stub = Stubbed()
    stub.add("GetCertificates", {"certificates": []}, GET)
    result = run_module(lightsail_certificate.main, BASE, stub, check_mode=True)
    assert result["changed"] is True and result["certificate"]["status"] == "PENDING_VALIDATION" and stub.count(writes=True) == 0


def test_immutable_domain_and_validation_failure():
    stub = Stubbed()
    stub.add("GetCertificates", listing(cert()), GET)
    result = run_module(lightsail_certificate.main, dict(BASE, subject_alternative_names=["other.example.com"]), stub)
    assert result["failed"] is True and "subject_alternative_names" in result["msg"]
    stub = Stubbed()
    stub.add("GetCertificates", listing(cert(status="PENDING_VALIDATION")), GET)
    stub.add("GetCertificates", listing(cert(status="FAILED", requestFailureReason="CAA_ERROR")), GET)
    result = run_module(lightsail_certificate.main, BASE, stub)
    assert result["failed"] is True and "CAA_ERROR" in result["msg"]


def test_delete_in_use_refused_not_found_throttle():
    stub = Stubbed()
    stub.add("GetCertificates", listing(cert(inUseResourceCount=1)), GET)
    result = run_module(lightsail_certificate.main, {"name": NAME, "state": "absent"}, stub)
    assert result["failed"] is True and "in use" in result["msg"]
    stub = Stubbed()
    stub.error("GetCertificates", "ThrottlingException")
    stub.add("GetCertificates", listing(cert()), GET)
    stub.add("DeleteCertificate", ops("DeleteCertificate", NAME, resource_type=RT), {"certificateName": NAME})
    result = run_module(lightsail_certificate.main, {"name": NAME, "state": "absent"}, stub)
    assert result["changed"] is True and result["certificate"] == {}
    stub = Stubbed()
    stub.error("GetCertificates", params=GET)
    result = run_module(lightsail_certificate.main, {"name": NAME, "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetCertificates"]


def test_failed_delete_operation():
    stub = Stubbed()
    stub.add("GetCertificates", listing(cert()), GET)
    stub.add("DeleteCertificate", ops("DeleteCertificate", NAME, status="Failed", resource_type=RT, errorCode="InUse", errorDetails="attached"))
    result = run_module(lightsail_certificate.main, {"name": NAME, "state": "absent"}, stub)
    assert result["failed"] is True and "attached" in result["msg"]
