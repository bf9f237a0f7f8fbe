# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_domain: Manage AWS Lightsail DNS zones and their records (Stubber)."""

from __future__ import annotations

from unittest import mock

from ansible.module_utils import basic

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.domain import fqdn
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.domain import target_key
from ansible_collections.opsforge.infra.plugins.modules import lightsail_domain
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import operation
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.domain import domain


LB_DNS = "ab1234c56789c6b86aba6fb203d443bc-123456789.us-east-1.elb.amazonaws.com"


def op(op_type, name="example.com"):
    return {"operation": operation(op_type, name, resource_type="Domain")}


def run(params, stub, **kwargs):
    return run_module(lightsail_domain.main, params, stub, **kwargs)


A_WEB = {"id": "10", "name": "example.com", "type": "A", "target": "203.0.113.10", "isAlias": False}


CNAME_WWW = {"id": "11", "name": "www.example.com", "type": "CNAME", "target": "example.com.", "isAlias": False}


TXT_SPF = {"id": "12", "name": "example.com", "type": "TXT", "target": '"v=spf1 mx -all"', "isAlias": False}


ENTRIES = [
    {"name": "@", "type": "A", "target": "203.0.113.10"},
    {"name": "www", "type": "CNAME", "target": "example.com"},
    {"name": "example.com", "type": "TXT", "target": "v=spf1 mx -all"},
]


def test_names_and_targets_normalized():
    assert fqdn("@", "example.com") == "example.com"
    assert fqdn("WWW", "example.com.") == "www.example.com"
    assert fqdn("www.example.com.", "example.com") == "www.example.com"
    assert target_key("TXT", '"a  b"') == "a b"
    assert target_key("CNAME", "Example.COM.") == "example.com"


def test_create_with_entries():
    stub = Stubbed()
    stub.error("GetDomain", params={"domainName": "example.com"})
    stub.add("CreateDomain", op("CreateDomain"), {"domainName": "example.com", "tags": [{"key": "env", "value": "prod"}]})
    stub.add("CreateDomainEntry", op("CreateDomainEntry"), {"domainName": "example.com", "domainEntry": {
        "name": "example.com", "type": "A", "target": "203.0.113.10", "isAlias": False}})
    stub.add("CreateDomainEntry", op("CreateDomainEntry"), {"domainName": "example.com", "domainEntry": {
        "name": "www.example.com", "type": "CNAME", "target": "example.com", "isAlias": False}})
    stub.add("CreateDomainEntry", op("CreateDomainEntry"), {"domainName": "example.com", "domainEntry": {
        "name": "example.com", "type": "TXT", "target": '"v=spf1 mx -all"', "isAlias": False}})
    stub.add("GetDomain", {"domain": domain([A_WEB, CNAME_WWW, TXT_SPF], tags={"env": "prod"})})
    result = run({"name": "example.com", "entries": ENTRIES, "tags": {"env": "prod"}}, stub)
    assert result["changed"] is True
    assert len(result["domain"]["domain_entries"]) == 5
    assert result["actions"][0] == "create domain example.com"
    assert result["diff"]["before"] == {}


def test_unchanged_one_read_tolerates_quotes_and_dots():
    stub = Stubbed()
    stub.add("GetDomain", {"domain": domain([A_WEB, CNAME_WWW, TXT_SPF], tags={"env": "prod"})})
    result = run({"name": "example.com", "entries": ENTRIES, "tags": {"env": "prod"}, "purge_entries": True}, stub)
    assert result["changed"] is False, result["actions"]
    assert stub.calls == ["GetDomain"]


def test_update_cname_in_place_add_mx_purge_a():
    stub = Stubbed()
    stub.add("GetDomain", {"domain": domain([A_WEB, CNAME_WWW, TXT_SPF])})
    stub.add("DeleteDomainEntry", op("DeleteDomainEntry"), {"domainName": "example.com", "domainEntry": A_WEB})
    stub.add("UpdateDomainEntry", {"operations": [operation("UpdateDomainEntry", "example.com", resource_type="Domain")]},
             {"domainName": "example.com", "domainEntry": {"id": "11", "name": "www.example.com", "type": "CNAME",
                                                           "target": "web.example.net", "isAlias": False}})
    stub.add("CreateDomainEntry", op("CreateDomainEntry"), {"domainName": "example.com", "domainEntry": {
        "name": "example.com", "type": "MX", "target": "10 mail.example.com", "isAlias": False}})
    after = [dict(CNAME_WWW, target="web.example.net"), TXT_SPF,
             {"id": "13", "name": "example.com", "type": "MX", "target": "10 mail.example.com", "isAlias": False}]
    stub.add("GetDomain", {"domain": domain(after)})
    result = run({"name": "example.com", "purge_entries": True, "entries": [
        {"name": "www", "type": "CNAME", "target": "web.example.net"},
        {"type": "TXT", "target": '"v=spf1 mx -all"'},
        {"type": "MX", "target": "10 mail.example.com"},
    ]}, stub, diff=True)
    assert result["changed"] is True
    assert result["actions"] == [
        "delete A record example.com -> 203.0.113.10",
        "update CNAME record www.example.com: example.com. -> web.example.net",
        "create MX record example.com -> 10 mail.example.com",
    ]
    before_types = sorted(e["type"] for e in result["diff"]["before"]["domain_entries"])
    after_types = sorted(e["type"] for e in result["diff"]["after"]["domain_entries"])
    assert before_types == ["A", "CNAME", "NS", "SOA", "TXT"]
    assert after_types == ["CNAME", "MX", "NS", "SOA", "TXT"]


def test_without_purge_extra_records_stay():
    stub = Stubbed()
    stub.add("GetDomain", {"domain": domain([A_WEB, CNAME_WWW])})
    result = run({"name": "example.com", "entries": [{"name": "@", "type": "A", "target": "203.0.113.10"}]}, stub)
    assert result["changed"] is False


def test_alias_to_load_balancer_check_mode():
    stub = Stubbed()
    stub.add("GetDomain", {"domain": domain([A_WEB])})
    result = run({"name": "example.com", "purge_entries": True,
                  "entries": [{"name": "@", "type": "A", "alias": True, "target": LB_DNS}]}, stub, check_mode=True, diff=True)
    assert result["changed"] is True
    assert stub.calls == ["GetDomain"]
    targets = {(e["type"], e["target"], e["is_alias"]) for e in result["diff"]["after"]["domain_entries"]}
    assert ("A", LB_DNS, True) in targets
    assert ("A", "203.0.113.10", False) not in targets
    assert ("NS", "ns-1.awsdns-01.com", False) in targets  # managed records are never purged


def test_bad_entries_fail_before_writes():
    for entry, text in (({"type": "MX", "target": "mail.example.com"}, "PRIORITY HOST"),
                        ({"type": "SRV", "target": "10 xmpp.example.com"}, "PRIORITY WEIGHT PORT HOST"),
                        ({"type": "CNAME", "target": "x.example.com", "alias": True}, "alias is only for A and AAAA")):
        stub = Stubbed()
        stub.add("GetDomain", {"domain": domain()})
        result = run({"name": "example.com", "entries": [entry]}, stub)
        assert result["failed"] is True and text in result["msg"]
        assert stub.count(writes=True) == 0
    stub = Stubbed()
    stub.add("GetDomain", {"domain": domain()})
    result = run({"name": "example.com", "entries": [{"name": "www", "type": "CNAME", "target": "a.example.com"},
                                                     {"name": "www", "type": "CNAME", "target": "b.example.com"}]}, stub)
    assert result["failed"] is True and "listed twice" in result["msg"]


def test_tags_update():
    stub = Stubbed()
    stub.add("GetDomain", {"domain": domain(tags={"old": "1"})})
    stub.add("UntagResource", {"operations": [operation("UntagResource", "example.com", resource_type="Domain")]},
             {"resourceName": "example.com", "tagKeys": ["old"]})
    stub.add("GetDomain", {"domain": domain()})
    result = run({"name": "example.com", "tags": {}}, stub)
    assert result["changed"] is True and result["domain"]["tags"] == {}


def test_delete_and_missing_delete():
    stub = Stubbed()
    stub.add("GetDomain", {"domain": domain([A_WEB])})
    stub.add("DeleteDomain", op("DeleteDomain"), {"domainName": "example.com"})
    result = run({"name": "example.com", "state": "absent"}, stub)
    assert result["changed"] is True and result["domain"] == {}
    stub = Stubbed()
    stub.error("GetDomain")
    result = run({"name": "example.com", "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetDomain"]


def test_throttled_then_ok():
    stub = Stubbed()
    stub.error("GetDomain", code="ThrottlingException", message="Rate exceeded")
    stub.add("GetDomain", {"domain": domain([A_WEB])})
    result = run({"name": "example.com", "entries": [{"type": "A", "target": "203.0.113.10"}]}, stub)
    assert result["changed"] is False
    assert stub.calls == ["GetDomain", "GetDomain"]


def test_operation_failed():
    stub = Stubbed()
    stub.add("GetDomain", {"domain": domain()})
    stub.add("CreateDomainEntry", {"operation": operation("CreateDomainEntry", "example.com", resource_type="Domain", status="Started")})
    stub.add("GetOperation", {"operation": operation("CreateDomainEntry", "example.com", resource_type="Domain", status="Failed",
                                                     errorCode="InvalidInput", errorDetails="RRSet already exists")})
    result = run({"name": "example.com", "entries": [{"type": "A", "target": "203.0.113.10"}]}, stub)
    assert result["failed"] is True
    assert "CreateDomainEntry" in result["msg"] and "RRSet already exists" in result["msg"]


def test_other_region_warns():
    stub = Stubbed(region="eu-west-1")
    stub.add("GetDomain", {"domain": domain()})
    with mock.patch.object(basic.AnsibleModule, "warn") as warn:
        result = run({"name": "example.com"}, stub)
    assert result["changed"] is False
    warn.assert_called_once_with("Lightsail serves its DNS API in us-east-1 only; region is eu-west-1")


def test_alias_target_updated_in_place():
    old_alias = {"id": "20", "name": "example.com", "type": "A", "target": "old-lb.us-east-1.elb.amazonaws.com", "isAlias": True}
    stub = Stubbed()
    stub.add("GetDomain", {"domain": domain([old_alias])})
    stub.add("UpdateDomainEntry", {"operations": [operation("UpdateDomainEntry", "example.com", resource_type="Domain")]},
             {"domainName": "example.com", "domainEntry": {"id": "20", "name": "example.com", "type": "A", "target": LB_DNS, "isAlias": True}})
    stub.add("GetDomain", {"domain": domain([dict(old_alias, target=LB_DNS)])})
    result = run({"name": "example.com", "entries": [{"type": "A", "alias": True, "target": LB_DNS}]}, stub)
    assert result["changed"] is True
    assert stub.count("CreateDomainEntry") == 0 and stub.count("DeleteDomainEntry") == 0
