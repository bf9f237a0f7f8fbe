# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What moved out of the Lightsail modules' main() into module_utils: parameter fix-ups and argument-spec pieces."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.disk import Disk
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.distribution import forwarding_spec
from ansible_collections.opsforge.infra.plugins.modules import lightsail_certificate
from ansible_collections.opsforge.infra.plugins.modules import lightsail_domain
from ansible_collections.opsforge.infra.plugins.modules import lightsail_load_balancer
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.load_balancer import lb
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module


class Client:
    check_mode = False


def test_an_auto_snapshot_time_turns_auto_snapshot_on_unless_it_was_set():
    params = {"name": "data-1", "auto_snapshot_time": "06:00", "auto_snapshot": None}
    assert Disk(Client(), params).params["auto_snapshot"] is True
    assert params["auto_snapshot"] is None  # the task's own params are left alone
    assert Disk(Client(), dict(params, auto_snapshot=False)).params["auto_snapshot"] is False
    assert Disk(Client(), {"name": "data-1", "auto_snapshot_time": None, "auto_snapshot": None}).params["auto_snapshot"] is None


def test_forwarding_spec():
    assert forwarding_spec("cookies_allow_list") == {"type": "dict", "options": {
        "option": {"type": "str", "choices": ["none", "allow-list", "all"]},
        "cookies_allow_list": {"type": "list", "elements": "str"}}}
    assert forwarding_spec("query_strings_allow_list", option_type="bool")["options"]["option"] == {"type": "bool"}


def test_a_certificate_outside_us_east_1_warns_even_when_the_run_fails():
    stub = Stubbed(region="eu-west-1").error("GetCertificates", "AccessDeniedException", "not allowed")
    result = run_module(lightsail_certificate.main, {"name": "web-cert", "domain_name": "www.example.com"}, stub)
    assert result["failed"] is True
    assert result["msg"] == "Lightsail GetCertificates failed: AccessDeniedException: not allowed"
    assert result["warnings"] == ["certificates for distributions must be in us-east-1: the certificate is managed there, not in eu-west-1"]
    assert {kw["region_name"] for kw in stub.client_kwargs} == {"us-east-1"}


def test_dns_outside_us_east_1_warns_even_when_the_run_fails():
    stub = Stubbed(region="eu-west-1").error("GetDomain", "AccessDeniedException", "not allowed")
    result = run_module(lightsail_domain.main, {"name": "example.com"}, stub)
    assert result["failed"] is True
    assert result["warnings"] == ["Lightsail serves its DNS API in us-east-1 only; region is eu-west-1"]


def test_a_pending_certificate_and_the_options_waiting_for_it_are_warnings_in_that_order():
    stub = Stubbed().add("GetLoadBalancer", {"loadBalancer": lb(policy=None)})
    result = run_module(lightsail_load_balancer.main, {"name": "web-lb", "https_redirection": True, "wait": False, "tls_certificates": [
        {"name": "web-cert", "domain_name": "example.com", "attached": True}]}, stub, check_mode=True)
    assert result["deferred"] == ["https_redirection"]
    assert result["pending_validation"] == [{"name": "web-cert", "status": "PENDING_VALIDATION"}]
    assert result["warnings"] == [
        "TLS certificate web-cert is PENDING_VALIDATION: create the records in dns_validation_records and run again to attach it",
        "https_redirection left unchanged until the TLS certificate is issued and attached; run again then"]
