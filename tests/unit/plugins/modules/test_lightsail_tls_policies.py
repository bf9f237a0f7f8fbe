# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load balancer TLS policies: listed by lightsail_load_balancer_info, and a new tls_policy_name validated before any write."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_load_balancer, lightsail_load_balancer_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.test_lightsail_load_balancer import lb, lbop

POLICIES = [
    {"name": "TLS-2016-08", "isDefault": True, "description": "TLS 1.0 to 1.2", "protocols": ["TLSv1", "TLSv1.1", "TLSv1.2"],
     "ciphers": ["ECDHE-ECDSA-AES128-GCM-SHA256"]},
    {"name": "TLS-FS-Res-1-2-2019-08", "isDefault": False, "description": "TLS 1.2 forward secrecy", "protocols": ["TLSv1.2"],
     "ciphers": ["ECDHE-ECDSA-AES128-GCM-SHA256"]},
]


def test_info_lists_tls_policies_over_pages():
    stub = Stubbed()
    stub.add("GetLoadBalancers", {"loadBalancers": []}, {})
    stub.add("GetLoadBalancerTlsPolicies", {"tlsPolicies": POLICIES[:1], "nextPageToken": "p2"}, {})
    stub.add("GetLoadBalancerTlsPolicies", {"tlsPolicies": POLICIES[1:]}, {"pageToken": "p2"})
    result = run_module(lightsail_load_balancer_info.main, {"tls_policies": True}, stub)
    assert [p["name"] for p in result["tls_policies"]] == ["TLS-2016-08", "TLS-FS-Res-1-2-2019-08"]
    assert result["tls_policies"][0]["is_default"] is True and result["tls_policies"][1]["protocols"] == ["TLSv1.2"]


def test_info_without_tls_policies_does_not_read_them():
    stub = Stubbed().add("GetLoadBalancers", {"loadBalancers": []}, {})
    result = run_module(lightsail_load_balancer_info.main, {}, stub)
    assert "tls_policies" not in result and stub.calls == ["GetLoadBalancers"]


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
