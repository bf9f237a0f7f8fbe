# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_load_balancer_info: List AWS Lightsail load balancers, their TLS certificates and the TLS policies (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_load_balancer_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.load_balancer import POLICIES, cert, lb
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_info_with_certificates():
    stub = Stubbed()
    stub.add("GetLoadBalancers", {"loadBalancers": [lb("b", certs=[{"name": "web-cert"}]), lb("a")]})
    stub.add("GetLoadBalancerTlsCertificates", {"tlsCertificates": [cert()]}, {"loadBalancerName": "b"})
    result = run_module(lightsail_load_balancer_info.main, {"tls_certificates": True}, stub)
    assert [b["name"] for b in result["load_balancers"]] == ["a", "b"]
    assert result["load_balancers"][1]["tls_certificates"][0]["status"] == "ISSUED"
    stub = Stubbed()
    stub.error("GetLoadBalancer")
    assert run_module(lightsail_load_balancer_info.main, {"name": "x"}, stub)["load_balancers"] == []


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


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetLoadBalancers", {"loadBalancers": [lb("b", certs=[{"name": "web-cert"}]), lb("a")]})
        stub.add("GetLoadBalancerTlsCertificates", {"tlsCertificates": [cert()]}, {"loadBalancerName": "b"})
    result = run_read_only(lightsail_load_balancer_info.main, {"tls_certificates": True}, queue)
    assert result["load_balancers"][1]["tls_certificates"][0]["status"] == "ISSUED"
