# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: lightsail
short_description: AWS Lightsail instances as inventory, from several regions and accounts
version_added: 0.1.0
description:
  - Lists the Lightsail instances of several regions (queried in parallel threads) and several accounts
    (AWS profiles or key pairs), with filters, a hostname preference, C(keyed_groups)/C(groups)/C(compose)
    and the inventory cache.
  - The configuration file name must end with C(lightsail.yml) or C(lightsail.yaml).
  - Every host is in the group C(lightsail). Host variables are the instance's fields in snake_case
    (C(public_ip_address), C(private_ip_address), C(ipv6_addresses), C(blueprint_id), C(bundle_id), C(state),
    C(location), ...), plus C(region), C(account) and C(ansible_host). Fields whose names Ansible reserves
    get a C(lightsail_) prefix, so the instance name is C(lightsail_name) and its tags (a dict) C(lightsail_tags).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - amazon.aws.common.plugins
  - amazon.aws.boto3
options:
  plugin:
    description: Marks this file as a configuration of this plugin.
    required: true
    type: str
    choices: [opsforge.infra.lightsail]
  regions:
    description:
      - Regions to list. Empty (the default) means every Lightsail region (one C(GetRegions) call).
    type: list
    elements: str
    default: []
  accounts:
    description:
      - Several accounts. Each item may set C(profile), or C(access_key)/C(secret_key)/C(session_token), and a
        C(name) (the C(account) host variable; default the profile name or V(default)). Omit to use the
        plugin's own credential options once.
    type: list
    elements: dict
    default: []
  hostnames:
    description:
      - Preference list for the inventory hostname; the first one the instance has wins.
      - V(name) is the instance name, V(name_region) the name and region (C(web-1.eu-west-1)), V(name_region_account)
        name, region and account name (C(web-1.eu-west-1.prod)); V(public_ip), V(private_ip) and V(ipv6) its addresses;
        V(arn) its ARN; C(tag:KEY) the value of its tag C(KEY) (for example V(tag:fqdn)).
      - V(unique) (the default) is V(name_region) with one account and V(name_region_account) when O(accounts) lists
        several. It depends on the configuration only, never on the data, so a host name does not change when an
        instance of the same name appears elsewhere.
      - Lightsail names are unique only per account and region, and private IPs repeat in every region. Two
        instances never become one host; when a host name is already taken by another instance, the plugin warns
        and adds the second one under its V(name_region_account) name (its V(arn) if a tag value already holds that).
    type: list
    elements: str
    default: [unique]
  ansible_host_preference:
    description: Preference list for the C(ansible_host) variable (same values as O(hostnames)).
    type: list
    elements: str
    default: [public_ip, ipv6, private_ip]
  filters:
    description:
      - Only instances matching all of these. C(state) (list of state names, for example V([running])),
        C(tags) (dict; each tag must have that value, V(null) for "present with any value"), C(blueprint_id),
        C(bundle_id), C(zone) (lists), C(name) (list of shell-style patterns).
    type: dict
    default: {}
  max_workers:
    description: How many regions/accounts are queried at the same time.
    type: int
    default: 8
"""

EXAMPLES = r"""
# lightsail.yml -- `ansible-inventory -i lightsail.yml --graph`
plugin: opsforge.infra.lightsail
regions: [eu-west-1, us-east-1]
accounts:
  - profile: prod
  - profile: staging
    name: staging
filters:
  state: [running]
  tags:
    managed-by: ansible
hostnames: [unique]   # web-1.eu-west-1.prod; [name] for bare names (a clash warns and falls back)
ansible_host_preference: [public_ip, private_ip]
keyed_groups:
  - key: lightsail_tags.role | default('none')
    prefix: role
  - key: region
    prefix: region
groups:
  small: bundle_id.startswith('nano') or bundle_id.startswith('micro')
compose:
  ansible_user: username
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-lightsail
cache_timeout: 600
"""

import concurrent.futures  # noqa: E402
import fnmatch  # noqa: E402

from ansible.errors import AnsibleError  # noqa: E402
from ansible.utils.display import Display  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable  # noqa: E402
from ansible.vars.reserved import is_reserved_name  # noqa: E402

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import LightsailClient  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import client_config  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import default_retry  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.instance import normalize_instance  # noqa: E402

display = Display()


def _qualified(instance, with_account):
    parts = [instance.get("name"), instance.get("region")] + ([instance.get("account")] if with_account else [])
    return ".".join(str(p) for p in parts) if all(parts) else None


ADDRESS_GETTERS = {
    "name": lambda i: i.get("name"),
    "name_region": lambda i: _qualified(i, False),
    "name_region_account": lambda i: _qualified(i, True),
    "public_ip": lambda i: i.get("public_ip_address"),
    "private_ip": lambda i: i.get("private_ip_address"),
    "ipv6": lambda i: (i.get("ipv6_addresses") or [None])[0],
    "arn": lambda i: i.get("arn"),
}
TAG_PREFIX = "tag:"


def check_choices(preference, option="hostnames"):
    for choice in preference or []:
        if choice not in ADDRESS_GETTERS and choice != "unique" and not (choice.startswith(TAG_PREFIX) and len(choice) > len(TAG_PREFIX)):
            raise AnsibleError("lightsail inventory: unknown %s choice %r (use %s, unique or tag:KEY)"
                               % (option, choice, ", ".join(ADDRESS_GETTERS)))


def pick(instance, preference, several_accounts=False):
    """The first value ``instance`` has among the ``preference`` choices (``None`` when it has none)."""
    for choice in preference:
        if choice == "unique":
            choice = "name_region_account" if several_accounts else "name_region"
        if choice.startswith(TAG_PREFIX):
            value = (instance.get("tags") or {}).get(choice[len(TAG_PREFIX):])
        else:
            value = ADDRESS_GETTERS[choice](instance)
        if value:
            return value
    return None


def _where(instance):
    return "%s (account %s, region %s)" % (instance.get("name"), instance.get("account"), instance.get("region"))


def matches(instance, filters):
    """True when the normalized ``instance`` passes every filter."""
    def _in(value, allowed):
        allowed = allowed if isinstance(allowed, list) else [allowed]
        return value in allowed

    if filters.get("state") and not _in((instance.get("state") or {}).get("name"), filters["state"]):
        return False
    for key, field in (("blueprint_id", "blueprint_id"), ("bundle_id", "bundle_id")):
        if filters.get(key) and not _in(instance.get(field), filters[key]):
            return False
    if filters.get("zone") and not _in((instance.get("location") or {}).get("availability_zone"), filters["zone"]):
        return False
    if filters.get("name"):
        patterns = filters["name"] if isinstance(filters["name"], list) else [filters["name"]]
        if not any(fnmatch.fnmatchcase(instance.get("name") or "", p) for p in patterns):
            return False
    tags = instance.get("tags") or {}
    for key, value in (filters.get("tags") or {}).items():
        if key not in tags or (value is not None and tags[key] != str(value)):
            return False
    return True


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "opsforge.infra.lightsail"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("lightsail.yml", "lightsail.yaml"))

    # -- AWS access (tests replace make_client) ------------------------------------------------
    def _accounts(self):
        accounts = self.get_option("accounts") or []
        if accounts:
            named = [dict(a, name=a.get("name") or a.get("profile") or "account%d" % n) for n, a in enumerate(accounts)]
            seen = set()
            for account in named:
                if account["name"] in seen:
                    raise AnsibleError("lightsail inventory: account name %s is used twice in accounts; give each a distinct "
                                       "name (it is the account host variable and part of the host names)" % account["name"])
                seen.add(account["name"])
            return named
        return [{"name": self.get_option("profile") or "default", "profile": self.get_option("profile"),
                 "access_key": self.get_option("access_key"), "secret_key": self.get_option("secret_key"),
                 "session_token": self.get_option("session_token")}]

    def make_client(self, account, region):
        """A boto3 Lightsail client for ``account`` in ``region`` (one session per call: thread-safe)."""
        import boto3  # pylint: disable=import-outside-toplevel

        session = boto3.session.Session(
            profile_name=account.get("profile") or None,
            aws_access_key_id=account.get("access_key") or None,
            aws_secret_access_key=account.get("secret_key") or None,
            aws_session_token=account.get("session_token") or None,
        )
        return session.client("lightsail", region_name=region, endpoint_url=self.get_option("endpoint_url") or None,
                              config=client_config())

    def _regions(self, account):
        regions = self.get_option("regions") or []
        if regions:
            return list(regions)
        client = LightsailClient(self.make_client(account, "us-east-1"), retry=default_retry())
        return [r["name"] for r in client.call("GetRegions").get("regions") or []]

    def _fetch_one(self, account, region):
        client = LightsailClient(self.make_client(account, region), retry=default_retry())
        instances = client.paginate("GetInstances", "instances")
        result = []
        for raw in instances:
            instance = normalize_instance(raw)
            instance["region"] = region
            instance["account"] = account["name"]
            result.append(instance)
        return result

    def fetch(self):
        """Every instance of every (account, region), fetched in parallel, in a stable order."""
        jobs = []
        for account in self._accounts():
            try:
                regions = self._regions(account)
            except LightsailError as error:
                raise AnsibleError("lightsail inventory: listing regions for account %s failed: %s" % (account["name"], error))
            jobs.extend((account, region) for region in regions)
        results = {}
        workers = max(1, min(self.get_option("max_workers") or 1, len(jobs) or 1))
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(self._fetch_one, account, region): (account["name"], region) for account, region in jobs}
            for future in concurrent.futures.as_completed(futures):
                account_name, region = futures[future]
                try:
                    results[(account_name, region)] = future.result()
                except LightsailError as error:
                    raise AnsibleError("lightsail inventory: account %s, region %s: %s" % (account_name, region, error))
        ordered = []
        for account, region in jobs:
            ordered.extend(results[(account["name"], region)])
        return ordered

    # -- populate -------------------------------------------------------------------------
    @staticmethod
    def unique_hostname(instance, preference, taken, several_accounts=False):
        """The host name of ``instance`` (``None``: it has none of the choices); registered in ``taken``.

        A name another instance already holds is never shared: warn, and use this instance's
        ``name.region.account`` (unique, as Lightsail names are unique per account and region).
        """
        hostname = pick(instance, preference, several_accounts)
        if hostname is None:
            return None
        if hostname in taken and taken[hostname] is not instance:
            # name.region.account is unique among Lightsail instances, but a tag value may already hold it: the ARN then
            free = [n for n in (_qualified(instance, True), instance.get("arn")) if n and n not in taken]
            if not free:
                display.warning("lightsail inventory: %s would get host name %s, which %s already has; not added"
                                % (_where(instance), hostname, _where(taken[hostname])))
                return None
            display.warning("lightsail inventory: %s would get host name %s, which %s already has; added as %s instead "
                            "(see the hostnames option)" % (_where(instance), hostname, _where(taken[hostname]), free[0]))
            hostname = free[0]
        taken[hostname] = instance
        return hostname

    def populate(self, instances):
        filters = self.get_option("filters") or {}
        strict = self.get_option("strict")
        preference = self.get_option("hostnames")
        several_accounts = len(self.get_option("accounts") or []) > 1
        self.inventory.add_group("lightsail")
        taken = {}
        for instance in instances:
            if not matches(instance, filters):
                continue
            hostname = self.unique_hostname(instance, preference, taken, several_accounts)
            if not hostname:
                display.vvv("lightsail inventory: %s has none of %s; not added" % (_where(instance), ", ".join(preference)))
                continue
            self.inventory.add_host(hostname, group="lightsail")
            hostvars = {("lightsail_" + k if is_reserved_name(k) else k): v for k, v in instance.items()}
            ansible_host = pick(instance, self.get_option("ansible_host_preference"), several_accounts)
            if ansible_host:
                hostvars["ansible_host"] = ansible_host
            for key, value in hostvars.items():
                self.inventory.set_variable(hostname, key, value)
            self._set_composite_vars(self.get_option("compose"), hostvars, hostname, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, hostname, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, hostname, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        check_choices(self.get_option("hostnames"))
        check_choices(self.get_option("ansible_host_preference"), "ansible_host_preference")
        self._accounts()  # duplicate account names fail before any call
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        instances = None
        if use_cache:
            try:
                instances = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if instances is None:
            instances = self.fetch()
        if update_cache:
            self._cache[cache_key] = instances
        self.populate(instances)
