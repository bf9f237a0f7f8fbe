# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""acme_certificate's lightsail provider: the role's task file drives opsforge.infra.lightsail_domain, every request is
validated by botocore's Stubber against the Lightsail service model; one TXT record is added or removed per value and
the zone's other records are never touched."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_domain
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import operation
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module
from ansible_collections.opsforge.infra.tests.unit.roles.acme_providers import provider_calls

NAME = "_acme-challenge.shop.example.com"
TOKENS = ["tokenForTheName", "tokenForTheWildcard"]
ROLE_VARS = dict(acme_certificate_lightsail_domain="example.com", acme_certificate_lightsail_access_key="AKIDEXAMPLE",
                 acme_certificate_lightsail_secret_key="s3cr3t-value")
OTHER = [{"id": "1", "name": "example.com", "type": "A", "target": "203.0.113.10", "isAlias": False},
         {"id": "2", "name": NAME, "type": "TXT", "target": '"someone-elses-value"', "isAlias": False}]


def zone(entries):
    return {"domain": {"name": "example.com", "arn": "arn:aws:lightsail:us-east-1:123456789012:Domain/x", "resourceType": "Domain",
                       "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "tags": [], "domainEntries": entries}}


def txt(token, entry_id=None):
    entry = {"name": NAME, "type": "TXT", "target": '"%s"' % token}
    if entry_id:
        entry.update(id=entry_id, isAlias=False)
    return entry


def run(state, stub, check_mode=False):
    calls = provider_calls("lightsail", state, {NAME: TOKENS}, **ROLE_VARS)
    assert [c[0] for c in calls] == ["opsforge.infra.lightsail_domain"] * 2
    results = []
    for _fqcn, args in calls:
        result = run_module(lightsail_domain.main, args, stub, check_mode=check_mode, assert_consumed=False)
        assert not result.get("failed"), result["msg"]
        assert "s3cr3t-value" not in repr(result)
        results.append(result)
    stub.stubber.assert_no_pending_responses()
    return results


def test_publish_adds_one_txt_record_per_value_and_nothing_else():
    stub = Stubbed()
    stub.add("GetDomain", zone(OTHER), {"domainName": "example.com"})
    stub.add("CreateDomainEntry", {"operation": operation("CreateDomainEntry", "example.com", resource_type="Domain")},
             {"domainName": "example.com", "domainEntry": {"name": NAME, "type": "TXT", "target": '"tokenForTheName"', "isAlias": False}})
    stub.add("GetDomain", zone(OTHER + [txt("tokenForTheName", "3")]), {"domainName": "example.com"})
    stub.add("GetDomain", zone(OTHER + [txt("tokenForTheName", "3")]), {"domainName": "example.com"})
    stub.add("CreateDomainEntry", {"operation": operation("CreateDomainEntry", "example.com", resource_type="Domain")},
             {"domainName": "example.com", "domainEntry": {"name": NAME, "type": "TXT", "target": '"tokenForTheWildcard"', "isAlias": False}})
    stub.add("GetDomain", zone(OTHER + [txt(t, str(i)) for i, t in enumerate(TOKENS, 3)]), {"domainName": "example.com"})
    assert [r["changed"] for r in run("present", stub)] == [True, True]
    assert stub.count("DeleteDomainEntry") == 0 and stub.count("CreateDomain") == 0


def test_removal_deletes_exactly_the_published_values():
    stub = Stubbed()
    published = OTHER + [txt(t, str(i)) for i, t in enumerate(TOKENS, 3)]
    stub.add("GetDomain", zone(published), {"domainName": "example.com"})
    stub.add("DeleteDomainEntry", {"operation": operation("DeleteDomainEntry", "example.com", resource_type="Domain")},
             {"domainName": "example.com", "domainEntry": dict(txt("tokenForTheName", "3"), isAlias=False)})
    stub.add("GetDomain", zone(OTHER + [txt("tokenForTheWildcard", "4")]), {"domainName": "example.com"})
    stub.add("GetDomain", zone(OTHER + [txt("tokenForTheWildcard", "4")]), {"domainName": "example.com"})
    stub.add("DeleteDomainEntry", {"operation": operation("DeleteDomainEntry", "example.com", resource_type="Domain")},
             {"domainName": "example.com", "domainEntry": dict(txt("tokenForTheWildcard", "4"), isAlias=False)})
    stub.add("GetDomain", zone(OTHER), {"domainName": "example.com"})
    assert [r["changed"] for r in run("absent", stub)] == [True, True]


def test_removal_again_and_check_mode_write_nothing():
    stub = Stubbed()
    for _token in TOKENS:
        stub.add("GetDomain", zone(OTHER), {"domainName": "example.com"})
    assert [r["changed"] for r in run("absent", stub)] == [False, False]
    stub = Stubbed()
    for _token in TOKENS:
        stub.add("GetDomain", zone(OTHER), {"domainName": "example.com"})
    assert [r["changed"] for r in run("present", stub, check_mode=True)] == [True, True]
    assert stub.count(writes=True) == 0


def test_removal_from_a_missing_zone_creates_nothing():
    stub = Stubbed()
    for _token in TOKENS:
        stub.error("GetDomain", params={"domainName": "example.com"})
    assert [r["changed"] for r in run("absent", stub)] == [False, False]
    assert stub.count(writes=True) == 0
