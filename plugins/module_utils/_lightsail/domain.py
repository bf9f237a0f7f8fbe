# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail DNS zones ("domains") and their entries. Used by ``lightsail_domain`` and ``lightsail_domain_info``.

Entries are matched on (FQDN, type, target, alias): names are made fully qualified and lower-cased,
targets compared without a trailing dot and, for TXT, without surrounding quotes (which are added
when missing: Lightsail requires them). Single-valued
records (CNAME, alias A/AAAA) whose target changed are updated in place (UpdateDomainEntry); other
missing records are created; with ``purge_entries`` records not listed are deleted, except the
SOA and apex NS records Lightsail manages.
"""

from __future__ import annotations

import re

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tags_to_dict

ENTRY_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV")
SINGLE_VALUED = ("CNAME",)
DNS_REGION = "us-east-1"


def fqdn(name, domain):
    """``www`` / ``www.example.com`` / ``@`` -> ``www.example.com`` / ``example.com`` (lower case, no trailing dot)."""
    domain = domain.rstrip(".").lower()
    name = (name or "").strip().rstrip(".").lower()
    if name in ("", "@"):
        return domain
    if name == domain or name.endswith("." + domain):
        return name
    return "%s.%s" % (name, domain)


def target_key(entry_type, target):
    """The comparable form of a target."""
    target = " ".join((target or "").split())
    if entry_type == "TXT":
        if len(target) >= 2 and target[0] == target[-1] == '"':
            target = target[1:-1]
        return target
    return target.rstrip(".").lower()


def entry_key(entry, domain):
    """``(fqdn, type, target, alias)`` of an API ``DomainEntry`` dict."""
    entry_type = (entry.get("type") or "").upper()
    return (fqdn(entry.get("name"), domain), entry_type, target_key(entry_type, entry.get("target")), bool(entry.get("isAlias")))


def is_managed(entry, domain):
    """SOA and apex NS records belong to Lightsail: never purged."""
    entry_type = (entry.get("type") or "").upper()
    return entry_type == "SOA" or (entry_type == "NS" and fqdn(entry.get("name"), domain) == domain.rstrip(".").lower())


def desired_entries(entries, domain):
    """Module ``entries`` -> API ``DomainEntry`` dicts (without ids); raises on bad input."""
    result = []
    seen = set()
    for index, entry in enumerate(entries or []):
        entry_type = (entry.get("type") or "").upper()
        if entry_type not in ENTRY_TYPES:
            raise invalid("entries[%d]: type must be one of %s, got %r" % (index, ", ".join(ENTRY_TYPES), entry.get("type")))
        target = (entry.get("target") or "").strip()
        if not target:
            raise invalid("entries[%d]: target is required" % index)
        alias = bool(entry.get("alias"))
        if alias and entry_type not in ("A", "AAAA"):
            raise invalid("entries[%d]: alias is only for A and AAAA records (pointing at a load balancer or distribution)" % index)
        if entry_type == "MX" and not re.match(r"^\d+\s+\S+$", target):
            raise invalid("entries[%d]: an MX target is 'PRIORITY HOST', for example '10 mail.example.com', got %r" % (index, target))
        if entry_type == "SRV" and not re.match(r"^\d+\s+\d+\s+\d+\s+\S+$", target):
            raise invalid("entries[%d]: an SRV target is 'PRIORITY WEIGHT PORT HOST', for example '10 5 5269 xmpp.example.com', got %r"
                          % (index, target))
        if entry_type == "TXT" and not (len(target) >= 2 and target[0] == target[-1] == '"'):
            target = '"%s"' % target  # Lightsail rejects TXT targets that are not enclosed in quotes
        value = {"name": fqdn(entry.get("name"), domain), "type": entry_type, "target": target, "isAlias": alias}
        key = entry_key(value, domain)
        if key in seen:
            continue
        seen.add(key)
        result.append(value)
    names_by_type = {}
    for value in result:
        if value["type"] in SINGLE_VALUED or value["isAlias"]:
            slot = (value["name"], value["type"])
            if slot in names_by_type:
                raise invalid("entries: %s %s is listed twice with different targets; it can have only one"
                              % (value["type"], value["name"]))
            names_by_type[slot] = value
    return result


def entry_for_api(entry):
    """A ``DomainEntry`` dict with only the keys the write calls take."""
    return {k: entry[k] for k in ("id", "name", "target", "isAlias", "type") if entry.get(k) is not None}


def normalize_domain(raw):
    """A Lightsail ``Domain`` -> the ``domain`` value modules return; entries sorted, without the
    discontinued ``options``."""
    if raw is None:
        return {}
    raw = dict(raw)
    entries = [{k: v for k, v in e.items() if k != "options"} for e in raw.get("domainEntries") or []]
    raw["domainEntries"] = sorted(entries, key=lambda e: (e.get("name") or "", e.get("type") or "", e.get("target") or ""))
    return normalize_resource(raw)


def get_domain(client, name):
    response = client.call("get_domain", not_found_ok=True, domainName=name)
    return response["domain"] if response else None


class Domain(LightsailResource):
    """``lightsail_domain``: state present / absent; entries with purge; tags."""

    result_key = "domain"

    @property
    def name(self):
        return self.params["name"].rstrip(".").lower()

    def describe(self):
        return get_domain(self.client, self.name)

    def normalize(self, raw):
        return normalize_domain(raw)

    def validate(self, current):
        if self.state != "absent":
            self._desired = desired_entries(self.params.get("entries"), self.name)

    # -- entries ----------------------------------------------------------------------------
    def entry_plan(self, current_entries):
        """``(deletes, updates, creates)``: lists of API entry dicts (updates carry the id)."""
        entries_param = self.params.get("entries")
        if entries_param is None:
            return [], [], []
        desired = self._desired
        if self.params.get("entries_state") == "absent":
            desired_keys = {entry_key(e, self.name) for e in desired}
            return [e for e in current_entries if entry_key(e, self.name) in desired_keys and not is_managed(e, self.name)], [], []
        current_by_key = {}
        for entry in current_entries:
            current_by_key.setdefault(entry_key(entry, self.name), entry)
        desired_keys = {entry_key(e, self.name) for e in desired}
        unmatched = [e for e in current_entries if entry_key(e, self.name) not in desired_keys and not is_managed(e, self.name)]
        deletes, updates, creates = [], [], []
        for entry in desired:
            if entry_key(entry, self.name) in current_by_key:
                continue
            if entry["type"] in SINGLE_VALUED or entry["isAlias"]:
                same_slot = [e for e in unmatched if fqdn(e.get("name"), self.name) == entry["name"] and e.get("type") == entry["type"]]
                if same_slot:
                    old = same_slot[0]
                    unmatched.remove(old)
                    updates.append((old, dict(entry, id=old["id"])))
                    continue
            creates.append(entry)
        if self.params.get("purge_entries"):
            deletes = unmatched
        return deletes, updates, creates

    def _entry_actions(self, current_entries):
        deletes, updates, creates = self.entry_plan(current_entries)
        actions = []
        for entry in deletes:
            actions.append(Action("delete %s record %s -> %s" % (entry.get("type"), entry.get("name"), entry.get("target")),
                                  lambda e=entry: self.client.call("delete_domain_entry", domainName=self.name, domainEntry=entry_for_api(e))))
        for old, new in updates:
            actions.append(Action("update %s record %s: %s -> %s" % (new["type"], new["name"], old.get("target"), new["target"]),
                                  lambda e=new: self.client.call("update_domain_entry", domainName=self.name, domainEntry=entry_for_api(e))))
        for entry in creates:
            actions.append(Action("create %s record %s -> %s%s" % (entry["type"], entry["name"], entry["target"], " (alias)" if entry["isAlias"] else ""),
                                  lambda e=entry: self.client.call("create_domain_entry", domainName=self.name, domainEntry=entry_for_api(e))))
        return actions

    def plan_create(self):
        if self.params.get("entries_state") == "absent":
            return []  # removing records from a zone that does not exist: nothing to do, and no zone to create
        request = {"domainName": self.name}
        if self.params.get("tags"):
            request["tags"] = dict_to_tags(self.params["tags"])
        return [Action("create domain %s" % self.name, lambda: self.client.call("create_domain", **request))] + self._entry_actions([])

    def plan_update(self, current):
        actions = []
        current_tags = tags_to_dict(current.get("tags"))
        to_set, to_remove = tag_changes(current_tags, self.params.get("tags"), self.params.get("purge_tags", True))
        if to_set or to_remove:
            actions.append(Action("update tags of domain %s" % self.name,
                                  lambda: ensure_tags(self.client, self.name, current_tags, self.params.get("tags"),
                                                      self.params.get("purge_tags", True))))
        return actions + self._entry_actions(current.get("domainEntries") or [])

    def plan_delete(self, current):
        return [Action("delete domain %s" % self.name, lambda: self.client.call("delete_domain", domainName=self.name))]

    def predict(self, current):
        if self.state == "absent" or (current is None and self.params.get("entries_state") == "absent"):
            return {}
        params = self.params
        if current is None:
            raw = {"name": self.name, "resourceType": "Domain", "location": {"availabilityZone": "all", "regionName": self.client.region},
                   "tags": dict_to_tags(params.get("tags") or {}), "domainEntries": []}
        else:
            raw = dict(current)
            raw["tags"] = dict_to_tags(predict_tags(tags_to_dict(current.get("tags")), params.get("tags"), params.get("purge_tags", True)))
        entries = list(raw.get("domainEntries") or [])
        deletes, updates, creates = self.entry_plan(entries)
        gone = {id(e) for e in deletes} | {id(old) for old, _new in updates}
        entries = [e for e in entries if id(e) not in gone] + [new for _old, new in updates] + creates
        raw["domainEntries"] = entries
        return self.normalize(raw)


def manage_domain(module):
    """``lightsail_domain``'s one call, given the ``LightsailModule``; warns first when the task's region is
    not us-east-1, the only region that serves Lightsail's DNS API."""
    client = module.lightsail()
    if client.region and client.region != DNS_REGION:
        module.warn("Lightsail serves its DNS API in %s only; region is %s" % (DNS_REGION, client.region))
    return Domain(client, module.params).run()


def domain_info(client, params):
    """``lightsail_domain_info``: one domain by name (missing -> empty list) or all domains."""
    if params.get("name"):
        raw = get_domain(client, params["name"].rstrip(".").lower())
        domains = [raw] if raw else []
    else:
        domains = client.paginate("get_domains", "domains")
    return {"domains": [normalize_domain(d) for d in sorted(domains, key=lambda d: d.get("name") or "")]}
