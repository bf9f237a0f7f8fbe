# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_distribution: Manage Amazon Lightsail content delivery network (CDN) distributions (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, Stubbed, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_distribution
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.distribution import GET, NAME, RT, dist


BASE = {"name": NAME, "origin": {"name": "acme-assets", "region_name": "eu-west-1", "protocol_policy": "https-only"},
        "default_cache_behavior": "cache", "cache_behaviors": [{"path": "/api/*", "behavior": "dont-cache"}],
        "cache_behavior_settings": {"default_ttl": 86400, "forwarded_query_strings": {"option": False}}, "bundle_id": "small_1_0",
        "region": "eu-west-1"}


def test_create_uses_us_east_1_and_waits_for_deployed():
    stub = Stubbed()
    stub.add("GetDistributions", {"distributions": []}, GET)
    created = {"distribution": dist(status="InProgress"), "operation": ops("CreateDistribution", NAME, resource_type=RT)["operations"][0]}
    stub.add("CreateDistribution", created, {
        "distributionName": NAME, "origin": {"name": "acme-assets", "regionName": "eu-west-1", "protocolPolicy": "https-only"},
        "defaultCacheBehavior": {"behavior": "cache"}, "bundleId": "small_1_0", "cacheBehaviors": [{"path": "/api/*", "behavior": "dont-cache"}],
        "cacheBehaviorSettings": {"defaultTTL": 86400, "forwardedQueryStrings": {"option": False}}})
    stub.add("GetDistributions", {"distributions": [dist(status="InProgress")]}, GET)
    stub.add("GetDistributions", {"distributions": [dist()]}, GET)
    result = run_module(lightsail_distribution.main, BASE, stub)
    assert result["changed"] is True and result["distribution"]["status"] == "Deployed"
    assert stub.client_kwargs[0]["region_name"] == "us-east-1"
    assert stub.slept


def test_unchanged_is_one_read():
    stub = Stubbed()
    stub.add("GetDistributions", {"distributions": [dist()]}, GET)
    result = run_module(lightsail_distribution.main, BASE, stub)
    assert result["changed"] is False and stub.calls == ["GetDistributions"]


def test_update_settings_bundle_ipv6_certificate_and_reset():
    stub = Stubbed()
    stub.add("GetDistributions", {"distributions": [dist(certificateName="old-cert")]}, GET)
    settings = dict(dist()["cacheBehaviorSettings"], defaultTTL=3600, forwardedHeaders={"option": "allow-list", "headersAllowList": ["Host"]})
    update = {"distributionName": NAME, "cacheBehaviorSettings": settings, "cacheBehaviors": [], "isEnabled": False}
    stub.add("UpdateDistribution", {"operation": ops("UpdateDistribution", NAME, resource_type=RT)["operations"][0]}, update)
    stub.add("UpdateDistributionBundle", {"operation": ops("UpdateDistributionBundle", NAME, resource_type=RT)["operations"][0]},
             {"distributionName": NAME, "bundleId": "medium_1_0"})
    stub.add("SetIpAddressType", ops("SetIpAddressType", NAME, resource_type=RT),
             {"resourceType": "Distribution", "resourceName": NAME, "ipAddressType": "ipv4"})
    stub.add("AttachCertificateToDistribution", {"operation": ops("AttachCertificateToDistribution", NAME, resource_type=RT)["operations"][0]},
             {"distributionName": NAME, "certificateName": "new-cert"})
    stub.add("ResetDistributionCache", {"status": "InProgress", "createTime": CREATED,
                                        "operation": ops("ResetDistributionCache", NAME, resource_type=RT)["operations"][0]}, GET)
    stub.add("GetDistributions", {"distributions": [dist(bundleId="medium_1_0", ipAddressType="ipv4", certificateName="new-cert",
                                                         isEnabled=False, cacheBehaviors=[], cacheBehaviorSettings=settings)]}, GET)
    params = dict(BASE, bundle_id="medium_1_0", ip_address_type="ipv4", certificate_name="new-cert", is_enabled=False, reset_cache=True,
                  cache_behaviors=[], cache_behavior_settings={"default_ttl": 3600,
                                                               "forwarded_headers": {"option": "allow-list", "headers_allow_list": ["Host"]}})
    result = run_module(lightsail_distribution.main, params, stub, diff=True)
    assert result["changed"] is True
    assert result["cache_reset"] == {"status": "InProgress", "create_time": CREATED.isoformat()}
    assert result["diff"]["before"]["certificate_name"] == "old-cert" and result["distribution"]["certificate_name"] == "new-cert"
    assert len(result["actions"]) == 5


def test_detach_certificate_check_mode():
    stub = Stubbed()
    stub.add("GetDistributions", {"distributions": [dist(certificateName="old-cert")]}, GET)
    result = run_module(lightsail_distribution.main, dict(BASE, certificate_name=""), stub, check_mode=True, diff=True)
    assert result["changed"] is True and stub.count(writes=True) == 0
    assert result["actions"] == ["detach certificate old-cert from distribution acme-cdn"]
    assert result["distribution"]["certificate_name"] is None
    stub = Stubbed()
    stub.add("GetDistributions", {"distributions": [dist(certificateName="old-cert")]}, GET)
    stub.add("DetachCertificateFromDistribution", {"operation": ops("DetachCertificateFromDistribution", NAME, resource_type=RT)["operations"][0]}, GET)
    stub.add("GetDistributions", {"distributions": [dist()]}, GET)
    assert run_module(lightsail_distribution.main, dict(BASE, certificate_name=""), stub)["changed"] is True


def test_delete_not_found_and_missing_input():
    stub = Stubbed()
    stub.add("GetDistributions", {"distributions": [dist()]}, GET)
    stub.add("DeleteDistribution", {"operation": ops("DeleteDistribution", NAME, resource_type=RT)["operations"][0]}, GET)
    assert run_module(lightsail_distribution.main, {"name": NAME, "state": "absent"}, stub)["changed"] is True
    stub = Stubbed()
    stub.error("GetDistributions", params=GET)
    result = run_module(lightsail_distribution.main, {"name": NAME, "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetDistributions"]
    stub = Stubbed()
    stub.add("GetDistributions", {"distributions": []}, GET)
    result = run_module(lightsail_distribution.main, {"name": NAME, "origin": {"name": "x"}}, stub)
    assert result["failed"] is True and "default_cache_behavior, bundle_id required" in result["msg"]


def test_throttled_and_failed_operation():
    stub = Stubbed()
    stub.error("GetDistributions", "ThrottlingException")
    stub.add("GetDistributions", {"distributions": [dist()]}, GET)
    stub.add("DeleteDistribution", {"operation": ops("DeleteDistribution", NAME, status="Started", resource_type=RT)["operations"][0]})
    stub.add("GetOperation", {"operation": ops("DeleteDistribution", NAME, status="Failed", resource_type=RT,
                                               errorCode="InUse", errorDetails="still enabled")["operations"][0]})
    result = run_module(lightsail_distribution.main, {"name": NAME, "state": "absent"}, stub)
    assert result["failed"] is True and "still enabled" in result["msg"]
