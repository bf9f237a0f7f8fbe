# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Inventory host names of the opsforge.infra.lightsail plugin: same-named instances never merge.

Lightsail names are unique per account and region only: ``web-1`` may exist in us-east-1 and in
eu-west-1, in two accounts, and private IPs (172.26.0.0/16) repeat everywhere.
"""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

from test_lightsail_inventory import Account, groups_of, host, run_inventory

from ansible.errors import AnsibleError
from ansible_collections.opsforge.infra.plugins.inventory import lightsail as plugin_mod

REGIONS = "regions: [us-east-1, eu-west-1]\n"
TWO_ACCOUNTS = "accounts:\n  - {profile: prod}\n  - {profile: stage}\n"


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(plugin_mod.display, "warning", lambda msg, *a, **k: seen.append(msg))
    return seen


def _config(*lines):
    return "plugin: opsforge.infra.lightsail\n" + "".join(lines)


def _two_regions(fake, account="default", **changes):
    """web-1 in both regions (the eu one on a second page), plus db-1 in eu-west-1 only."""
    us = fake.stub(account, "us-east-1")
    us.add("GetInstances", {"instances": [host("web-1", tags=[{"key": "env", "value": "us"}], **changes)]}, {})
    eu = fake.stub(account, "eu-west-1")
    eu.add("GetInstances", {"instances": [host("db-1", region="eu-west-1")], "nextPageToken": "p2"}, {})
    eu.add("GetInstances", {"instances": [host("web-1", region="eu-west-1", tags=[{"key": "env", "value": "eu"}],
                                               publicIpAddress="198.51.100.7", **changes)]}, {"pageToken": "p2"})


def test_default_names_carry_the_region_so_two_regions_never_merge(tmp_path, warnings):
    fake = Account()
    _two_regions(fake)
    inventory = run_inventory(tmp_path, _config(REGIONS, "keyed_groups:\n  - {key: region, prefix: region}\n"), fake)
    fake.assert_consumed()
    groups = groups_of(inventory)
    assert groups["lightsail"] == ["db-1.eu-west-1", "web-1.eu-west-1", "web-1.us-east-1"]
    assert groups["region_us_east_1"] == ["web-1.us-east-1"]
    assert groups["region_eu_west_1"] == ["db-1.eu-west-1", "web-1.eu-west-1"]
    assert inventory.get_host("web-1.eu-west-1").vars["ansible_host"] == "198.51.100.7"
    assert inventory.get_host("web-1.us-east-1").vars["lightsail_tags"] == {"env": "us"}
    assert warnings == []


def test_default_names_carry_the_account_when_several_accounts_are_listed(tmp_path, warnings):
    fake = Account()
    for account in ("prod", "stage"):
        fake.stub(account, "us-east-1").add("GetInstances", {"instances": [host("web-1", tags=[{"key": "acct", "value": account}])]})
    inventory = run_inventory(tmp_path, _config("regions: [us-east-1]\n", TWO_ACCOUNTS), fake)
    fake.assert_consumed()
    assert groups_of(inventory)["lightsail"] == ["web-1.us-east-1.prod", "web-1.us-east-1.stage"]
    assert inventory.get_host("web-1.us-east-1.stage").vars["lightsail_tags"] == {"acct": "stage"}
    assert inventory.get_host("web-1.us-east-1.stage").vars["account"] == "stage"
    assert warnings == []


def test_bare_names_that_collide_warn_and_fall_back_instead_of_merging(tmp_path, warnings):
    fake = Account()
    _two_regions(fake)
    config = _config(REGIONS, "hostnames: [name]\nkeyed_groups:\n  - {key: region, prefix: region}\n")
    inventory = run_inventory(tmp_path, config, fake)
    groups = groups_of(inventory)
    assert groups["lightsail"] == ["db-1", "web-1", "web-1.eu-west-1.default"]
    assert groups["region_us_east_1"] == ["web-1"] and groups["region_eu_west_1"] == ["db-1", "web-1.eu-west-1.default"]
    assert inventory.get_host("web-1").vars["region"] == "us-east-1"
    assert inventory.get_host("web-1").vars["lightsail_tags"] == {"env": "us"}
    assert len(warnings) == 1
    assert "web-1 (account default, region eu-west-1)" in warnings[0] and "web-1.eu-west-1.default" in warnings[0]
    assert "account default, region us-east-1" in warnings[0]


def test_private_ips_repeat_across_accounts_and_never_merge(tmp_path, warnings):
    fake = Account()
    fake.stub("prod", "us-east-1").add("GetInstances", {"instances": [host("a")]})
    fake.stub("stage", "us-east-1").add("GetInstances", {"instances": [host("b")]})  # same 172.26.1.10
    inventory = run_inventory(tmp_path, _config("regions: [us-east-1]\n", TWO_ACCOUNTS, "hostnames: [private_ip]\n"), fake)
    assert groups_of(inventory)["lightsail"] == ["172.26.1.10", "b.us-east-1.stage"]
    assert inventory.get_host("172.26.1.10").vars["lightsail_name"] == "a"
    assert len(warnings) == 1 and "172.26.1.10" in warnings[0]


def test_every_choice(tmp_path, warnings):
    fake = Account()
    fake.stub("default", "us-east-1").add("GetInstances", {"instances": [
        host("web-1", tags=[{"key": "fqdn", "value": "web-1.example.com"}]),
        host("web-2", tags=[], publicIpAddress="203.0.113.20", privateIpAddress="172.26.1.20"),
        host("web-3", tags=[], publicIpAddress=None, privateIpAddress="172.26.1.30"),
    ]})
    config = _config("regions: [us-east-1]\n", "hostnames: ['tag:fqdn', public_ip, private_ip]\n")
    inventory = run_inventory(tmp_path, config, fake)
    assert groups_of(inventory)["lightsail"] == ["172.26.1.30", "203.0.113.20", "web-1.example.com"]
    fake = Account()
    fake.stub("default", "us-east-1").add("GetInstances", {"instances": [host("web-1")]})
    inventory = run_inventory(tmp_path, _config("regions: [us-east-1]\n", "hostnames: [name_region_account]\n"), fake)
    assert groups_of(inventory)["lightsail"] == ["web-1.us-east-1.default"]
    fake = Account()
    fake.stub("default", "us-east-1").add("GetInstances", {"instances": [host("web-1")]})
    inventory = run_inventory(tmp_path, _config("regions: [us-east-1]\n", "hostnames: [ipv6, name]\n"), fake)
    assert groups_of(inventory)["lightsail"] == ["2001:db8::10"]
    assert warnings == []


def test_unknown_choice_and_duplicate_account_names_are_clear_errors(tmp_path):
    with pytest.raises(AnsibleError, match="unknown hostnames choice 'hostname'"):
        run_inventory(tmp_path, _config("regions: [us-east-1]\n", "hostnames: [hostname]\n"), Account())
    config = _config("regions: [us-east-1]\n", "accounts:\n  - {profile: prod}\n  - {profile: other, name: prod}\n")
    with pytest.raises(AnsibleError, match="account name prod is used twice"):
        run_inventory(tmp_path, config, Account())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["us-east-1", "eu-west-1"]), st.sampled_from(["web", "db"])),
                unique=True, min_size=1, max_size=8),
       st.sampled_from([["name"], ["private_ip"], ["name_region"], ["public_ip", "name"], ["tag:alias", "name"]]),
       st.sampled_from(["web.us-east-1.a", "web.eu-west-1.b", "db"]))
def test_no_two_instances_ever_share_a_host(tmp_path_factory, instances, hostnames, alias):
    """Whatever the names, regions, accounts, choices and (adversarial) tags: one host per instance."""
    plugin = plugin_mod.InventoryModule()
    data = [dict(plugin_mod.normalize_instance(host(name, region=region, tags=[{"key": "alias", "value": alias}],
                                                    arn="arn:aws:lightsail:%s:%s:Instance/%s" % (region, account, name))),
                 region=region, account=account)
            for account, region, name in instances]
    taken, names = {}, []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plugin_mod.display, "warning", lambda msg, *a, **k: None)
        for instance in data:
            names.append(plugin.unique_hostname(instance, hostnames, taken, several_accounts=True))
    assert None not in names and len(set(names)) == len(data)
    for name, instance in zip(names, data):
        assert taken[name] is instance


def test_same_name_in_two_accounts_and_two_regions_with_paging_is_four_hosts(tmp_path, warnings):
    fake = Account()
    for account in ("prod", "stage"):
        for region in ("us-east-1", "eu-west-1"):
            stub = fake.stub(account, region)
            stub.add("GetInstances", {"instances": [], "nextPageToken": "p2"}, {})  # an empty first page
            stub.add("GetInstances", {"instances": [host("web-1", region=region, tags=[{"key": "where", "value": account + "/" + region}])]},
                     {"pageToken": "p2"})
    config = _config(REGIONS, TWO_ACCOUNTS, "keyed_groups:\n  - {key: account, prefix: account}\n  - {key: region, prefix: region}\n")
    inventory = run_inventory(tmp_path, config, fake)
    fake.assert_consumed()
    groups = groups_of(inventory)
    assert groups["lightsail"] == ["web-1.eu-west-1.prod", "web-1.eu-west-1.stage", "web-1.us-east-1.prod", "web-1.us-east-1.stage"]
    assert groups["account_stage"] == ["web-1.eu-west-1.stage", "web-1.us-east-1.stage"]
    assert groups["region_eu_west_1"] == ["web-1.eu-west-1.prod", "web-1.eu-west-1.stage"]
    for name in groups["lightsail"]:
        _instance, region, account = name.split(".")
        assert inventory.get_host(name).vars["lightsail_tags"] == {"where": account + "/" + region}
    assert warnings == []
