# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The opsforge.infra.lightsail inventory plugin against Stubber-checked clients (one per region)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "modules"))

from lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.instance import instance

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader


def host(name, region="us-east-1", **changes):
    value = instance(name=name, location={"availabilityZone": region + "a", "regionName": region}, **changes)
    return value


class Account:
    """Stubs per (account, region), recording which threads served them."""

    def __init__(self):
        self.stubs = {}
        self.threads = set()
        self.requested = []

    def stub(self, account, region):
        key = (account, region)
        if key not in self.stubs:
            self.stubs[key] = Stubbed(region=region)
            self.stubs[key].stubber.activate()
        return self.stubs[key]

    def make_client(self, plugin_account, region):
        self.requested.append((plugin_account["name"], region))
        self.threads.add(threading.get_ident())
        return self.stub(plugin_account["name"], region).client

    def assert_consumed(self):
        for stub in self.stubs.values():
            stub.stubber.assert_no_pending_responses()


def run_inventory(tmp_path, config, fake, cache=True, name="test.lightsail.yml"):
    path = tmp_path / name
    path.write_text(config)
    plugin = inventory_loader.get("opsforge.infra.lightsail")
    assert plugin is not None
    plugin.make_client = fake.make_client
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=cache)
    try:
        plugin.update_cache_if_changed()  # what InventoryManager does after parse()
    except AttributeError:  # no cache configured (InventoryManager ignores this too)
        pass
    return inventory


def groups_of(inventory):
    return {name: sorted(h.name for h in group.get_hosts()) for name, group in inventory.groups.items() if group.get_hosts()}


CONFIG = """
plugin: opsforge.infra.lightsail
regions: [us-east-1, eu-west-1]
hostnames: [name]
keyed_groups:
  - key: lightsail_tags.env
    prefix: env
  - key: region
    prefix: region
groups:
  nano: bundle_id == 'nano_3_0'
compose:
  ansible_user: username
"""


def test_regions_paging_groups_and_hostvars(tmp_path):
    fake = Account()
    us = fake.stub("default", "us-east-1")
    us.add("GetInstances", {"instances": [host("web-1")], "nextPageToken": "p2"}, {})
    us.add("GetInstances", {"instances": [host("web-2", tags=[{"key": "env", "value": "dev"}], bundleId="small_3_0")]}, {"pageToken": "p2"})
    fake.stub("default", "eu-west-1").add("GetInstances", {"instances": [host("db-1", region="eu-west-1")]}, {})
    inventory = run_inventory(tmp_path, CONFIG, fake)
    fake.assert_consumed()
    assert sorted(fake.requested) == [("default", "eu-west-1"), ("default", "us-east-1")]
    assert threading.get_ident() not in fake.threads  # regions were fetched by worker threads
    groups = groups_of(inventory)
    assert groups["lightsail"] == ["db-1", "web-1", "web-2"]
    assert groups["env_prod"] == ["db-1", "web-1"] and groups["env_dev"] == ["web-2"]
    assert groups["region_eu_west_1"] == ["db-1"]
    assert groups["nano"] == ["db-1", "web-1"]
    hostvars = inventory.get_host("web-1").vars
    assert hostvars["ansible_host"] == "203.0.113.10"
    assert hostvars["ansible_user"] == "admin"
    assert hostvars["region"] == "us-east-1" and hostvars["account"] == "default"
    assert hostvars["lightsail_tags"] == {"env": "prod"} and hostvars["lightsail_name"] == "web-1"
    assert "tags" not in hostvars and "name" not in hostvars  # reserved by Ansible: no warnings
    assert hostvars["created_at"] == "2026-01-02T03:04:05+00:00"


def test_all_regions_when_none_given_and_accounts(tmp_path):
    fake = Account()
    fake.stub("prod", "us-east-1").add("GetRegions", {"regions": [{"name": "us-east-1"}, {"name": "ap-south-1"}]})
    fake.stub("prod", "us-east-1").add("GetInstances", {"instances": [host("a")]})
    fake.stub("prod", "ap-south-1").add("GetInstances", {"instances": [host("b", region="ap-south-1")]})
    fake.stub("stage", "us-east-1").add("GetRegions", {"regions": [{"name": "us-east-1"}]})
    fake.stub("stage", "us-east-1").add("GetInstances", {"instances": [host("c")]})
    config = """
plugin: opsforge.infra.lightsail
accounts:
  - {profile: prod}
  - {name: stage, access_key: AKIA, secret_key: s}
"""
    inventory = run_inventory(tmp_path, config, fake)
    fake.assert_consumed()
    # two accounts: the default host names carry region and account
    assert groups_of(inventory)["lightsail"] == ["a.us-east-1.prod", "b.ap-south-1.prod", "c.us-east-1.stage"]
    assert inventory.get_host("c.us-east-1.stage").vars["account"] == "stage"
    assert inventory.get_host("b.ap-south-1.prod").vars["region"] == "ap-south-1"


def test_filters_and_hostname_preference(tmp_path):
    fake = Account()
    fake.stub("default", "us-east-1").add("GetInstances", {"instances": [
        host("web-1"),
        host("web-2", state={"code": 80, "name": "stopped"}),
        host("db-1", tags=[{"key": "env", "value": "prod"}, {"key": "role", "value": "db"}], publicIpAddress=None),
        host("other", tags=[]),
    ]})
    config = """
plugin: opsforge.infra.lightsail
regions: [us-east-1]
filters:
  state: [running]
  tags: {env: prod}
  name: ["web-*", "db-*"]
hostnames: [public_ip, private_ip]
ansible_host_preference: [private_ip]
"""
    inventory = run_inventory(tmp_path, config, fake)
    assert groups_of(inventory)["lightsail"] == ["172.26.1.10", "203.0.113.10"]
    assert inventory.get_host("203.0.113.10").vars["lightsail_name"] == "web-1"
    assert inventory.get_host("203.0.113.10").vars["ansible_host"] == "172.26.1.10"


def test_cache_is_used_and_refreshed(tmp_path):
    config = CONFIG + "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n" % (tmp_path / "cache")
    fake = Account()
    fake.stub("default", "us-east-1").add("GetInstances", {"instances": [host("web-1")]})
    fake.stub("default", "eu-west-1").add("GetInstances", {"instances": []})
    first = run_inventory(tmp_path, config, fake, cache=True)
    assert groups_of(first)["lightsail"] == ["web-1"]
    calls = len(fake.requested)
    second = run_inventory(tmp_path, config, Account(), cache=True)  # no stubs queued: any call would fail
    assert groups_of(second)["lightsail"] == ["web-1"]
    assert second.get_host("web-1").vars["lightsail_tags"] == {"env": "prod"}
    fresh = Account()
    fresh.stub("default", "us-east-1").add("GetInstances", {"instances": [host("web-9")]})
    fresh.stub("default", "eu-west-1").add("GetInstances", {"instances": []})
    third = run_inventory(tmp_path, config, fresh, cache=False)  # --flush-cache
    assert groups_of(third)["lightsail"] == ["web-9"]
    assert calls == 2


def test_region_error_is_clear(tmp_path):
    fake = Account()
    fake.stub("default", "us-east-1").add("GetInstances", {"instances": []})
    fake.stub("default", "eu-west-1").error("GetInstances", "AccessDeniedException", "not authorized", status=403)
    with pytest.raises(AnsibleError) as caught:
        run_inventory(tmp_path, CONFIG, fake)
    assert "account default, region eu-west-1: Lightsail GetInstances failed: AccessDeniedException: not authorized" in str(caught.value)


def test_verify_file(tmp_path):
    plugin = inventory_loader.get("opsforge.infra.lightsail")
    good, bad = tmp_path / "x.lightsail.yml", tmp_path / "hosts.yml"
    good.write_text("plugin: opsforge.infra.lightsail\n")
    bad.write_text("plugin: opsforge.infra.lightsail\n")
    assert plugin.verify_file(str(good)) and not plugin.verify_file(str(bad))
