# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail instances: argument spec, firewall (public ports), add-ons, metadata options, states."""

from __future__ import annotations

import copy

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.add_ons import ADD_ON_TYPES
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.add_ons import add_on_differs
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.add_ons import add_on_options
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.add_ons import add_on_request
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.add_ons import current_add_ons
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import instance_in_state
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import instance_ready
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import immutable_error
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.ports import _api_port
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.ports import current_ports
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.ports import desired_ports  # noqa: F401 (re-exported)
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.ports import port_key
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.ports import port_options
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import jsonable
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tags_to_dict

STATES = ("present", "absent", "running", "stopped", "restarted")
TRANSITIONS = ("pending", "stopping", "starting")  # power states an instance must leave before it can be deleted
METADATA_FIELDS = {
    "http_tokens": "httpTokens",
    "http_endpoint": "httpEndpoint",
    "http_put_response_hop_limit": "httpPutResponseHopLimit",
    "http_protocol_ipv6": "httpProtocolIpv6",
}


def argument_spec():
    spec = ArgumentSpec(
        dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=list(STATES)),
            zone=dict(type="str", aliases=["availability_zone"]),
            blueprint_id=dict(type="str"),
            bundle_id=dict(type="str"),
            key_pair_name=dict(type="str"),
            user_data=dict(type="str"),
            ip_address_type=dict(type="str", choices=["dualstack", "ipv4", "ipv6"]),
            instance_snapshot_name=dict(type="str"),
            source_instance_name=dict(type="str"),
            restore_date=dict(type="str"),
            use_latest_restorable_auto_snapshot=dict(type="bool"),
            add_ons=dict(type="list", elements="dict", options=add_on_options()),
            public_ports=dict(type="list", elements="dict", options=port_options()),
            purge_public_ports=dict(type="bool", default=True),
            metadata_options=dict(
                type="dict",
                options=dict(
                    http_tokens=dict(type="str", choices=["optional", "required"]),
                    http_endpoint=dict(type="str", choices=["enabled", "disabled"]),
                    http_put_response_hop_limit=dict(type="int"),
                    http_protocol_ipv6=dict(type="str", choices=["enabled", "disabled"]),
                ),
            ),
            https_setup=dict(
                type="dict",
                options=dict(
                    domain_names=dict(type="list", elements="str", required=True),
                    email_address=dict(type="str", required=True),
                    certificate_provider=dict(type="str", default="LetsEncrypt", choices=["LetsEncrypt"]),
                ),
            ),
            access_details=dict(type="bool", default=False),
            access_protocol=dict(type="str", default="ssh", choices=["ssh", "rdp"]),
        ),
        mutually_exclusive=[
            ["instance_snapshot_name", "source_instance_name"],
            ["instance_snapshot_name", "blueprint_id"],
            ["source_instance_name", "blueprint_id"],
            ["restore_date", "use_latest_restorable_auto_snapshot"],
        ],
        required_by={"restore_date": "source_instance_name", "use_latest_restorable_auto_snapshot": "source_instance_name"},
    )
    spec.merge(WAIT_SPEC)
    spec.merge(TAGS_SPEC)
    return spec


def normalize_instance(raw):
    """The ``instance`` return value: snake_case, tags as a dict, ISO timestamps."""
    return normalize_resource(raw)


def normalize_access_details(raw):
    return jsonable({
        "username": raw.get("username"), "ip_address": raw.get("ipAddress"), "ipv6_addresses": raw.get("ipv6Addresses") or [],
        "protocol": raw.get("protocol"), "private_key": raw.get("privateKey"), "cert_key": raw.get("certKey"),
        "password": raw.get("password"), "expires_at": raw.get("expiresAt"),
        "host_keys": [{"algorithm": k.get("algorithm"), "public_key": k.get("publicKey"),
                       "fingerprint_sha256": k.get("fingerprintSHA256")} for k in raw.get("hostKeys") or []],
    })


class Instance(LightsailResource):
    result_key = "instance"

    @property
    def name(self):
        return self.params["name"]

    def describe(self):
        response = self.client.call("GetInstance", not_found_ok=True, instanceName=self.name)
        return response["instance"] if response else None

    def normalize(self, raw):
        return normalize_instance(raw)

    # -- checks before anything is written ---------------------------------------------------
    def _ip_type(self, current):
        return self.params.get("ip_address_type") or (current or {}).get("ipAddressType") or "dualstack"

    def validate(self, current):
        params = self.params
        if self.state == "absent":
            return
        if params.get("public_ports") is not None:
            self._ports = desired_ports(params["public_ports"], self._ip_type(current))
        if current is None:
            from_snapshot = params.get("instance_snapshot_name") or params.get("source_instance_name")
            missing = [k for k in ("zone", "bundle_id") if not params.get(k)]
            if not from_snapshot and not params.get("blueprint_id"):
                missing.append("blueprint_id")
            if missing:
                raise invalid("instance %s does not exist; to create it, set %s" % (self.name, ", ".join(missing)))
            return
        checks = (
            ("zone", params.get("zone"), (current.get("location") or {}).get("availabilityZone")),
            ("blueprint_id", params.get("blueprint_id"), current.get("blueprintId")),
            ("bundle_id", params.get("bundle_id"), current.get("bundleId")),
            ("key_pair_name", params.get("key_pair_name"), current.get("sshKeyName")),
        )
        for field, wanted, actual in checks:
            if wanted is not None and actual is not None and wanted != actual:
                raise immutable_error("instance", self.name, field, actual, wanted,
                                      hint="create a new instance, e.g. from a snapshot with a new bundle, and move the static IP")

    # -- plans ------------------------------------------------------------------------------
    def _create_action(self):
        params = self.params
        request = {"instanceNames": [self.name], "availabilityZone": params["zone"], "bundleId": params["bundle_id"]}
        optional = (("keyPairName", "key_pair_name"), ("userData", "user_data"), ("ipAddressType", "ip_address_type"))
        for api, key in optional:
            if params.get(key) is not None:
                request[api] = params[key]
        if params.get("tags"):
            request["tags"] = dict_to_tags(params["tags"])
        if params.get("add_ons"):
            request["addOns"] = [add_on_request(a) for a in params["add_ons"]]
        if params.get("instance_snapshot_name") or params.get("source_instance_name"):
            operation = "CreateInstancesFromSnapshot"
            for api, key in (("instanceSnapshotName", "instance_snapshot_name"), ("sourceInstanceName", "source_instance_name"),
                             ("restoreDate", "restore_date"), ("useLatestRestorableAutoSnapshot", "use_latest_restorable_auto_snapshot")):
                if params.get(key) is not None:
                    request[api] = params[key]
            description = "create instance %s from snapshot" % self.name
        else:
            operation = "CreateInstances"
            request["blueprintId"] = params["blueprint_id"]
            description = "create instance %s" % self.name
        return Action(description, lambda: self.client.call(operation, **request), then=self._wait_running)

    def _power_state(self):
        """``{"state": {...}}`` from the light GetInstanceState call (``None`` when the instance is gone)."""
        response = self.client.call("GetInstanceState", not_found_ok=True, instanceName=self.name)
        return {"state": response.get("state") or {}} if response else None

    def _wait_power(self, state_name):
        return self.client.wait_for(self._power_state, instance_in_state(state_name), self.wait_timeout,
                                    "instance %s %s" % (self.name, state_name))

    def _wait_running(self):
        return self.client.wait_for(self.describe, instance_ready, timeout=self.wait_timeout, what="instance %s running" % self.name)

    def plan_create(self):
        actions = [self._create_action()]
        actions.extend(self._update_actions(None))
        if self.state == "stopped":
            actions.append(Action("stop instance %s" % self.name, lambda: self.client.call("StopInstance", instanceName=self.name)))
        if len(actions) == 1 and not self.wait:
            actions[0].then = None
        return actions

    def plan_update(self, current):
        actions = self._update_actions(current)
        actions.extend(self._state_actions(current))
        return actions

    def plan_delete(self, current):
        actions = []
        power = (current.get("state") or {}).get("name")
        if power in TRANSITIONS:
            # Lightsail refuses (or half-does) a delete in the middle of a start or stop: wait it out first,
            # whatever ``wait`` says (that option is about waiting after the change).
            actions.append(Action("wait for instance %s to finish %s" % (self.name, power), lambda: self._wait_settled(power) and None))
        actions.append(Action("delete instance %s" % self.name, lambda: self.client.call("DeleteInstance", instanceName=self.name)))
        return actions

    def _wait_settled(self, power):
        return self.client.wait_for(self._power_state, lambda i: (i.get("state") or {}).get("name") not in TRANSITIONS,
                                    self.wait_timeout, "instance %s to finish %s" % (self.name, power))

    def _port_plan(self, current):
        """``(put, opened, closed)``: the full rule list for PutInstancePublicPorts (purge) or ``None``,
        and the rules to open / close one by one (no purge)."""
        if self.params.get("public_ports") is None:
            return None, [], []
        wanted, unwanted = self._ports
        existing = None if current is None else {port_key(p) for p in current_ports(current)}
        if self.params["purge_public_ports"]:
            if existing == {port_key(p) for p in wanted}:
                return None, [], []
            return wanted, [], []
        opened = [p for p in wanted if existing is None or port_key(p) not in existing]
        # a new instance has Lightsail's default rules, which we have not read: close unconditionally
        closed = [p for p in unwanted if existing is None or port_key(p) in existing]
        return None, opened, closed

    def _https_setup_needed(self, current):
        """True unless the newest HTTPS setup for the same domain names succeeded or is running (GetSetupHistory)."""
        https = self.params.get("https_setup")
        if not https:
            return False
        if current is None:
            return True
        response = self.client.call("GetSetupHistory", resourceName=self.name)
        wanted = sorted(https["domain_names"])
        for entry in response.get("setupHistory") or []:
            if sorted((entry.get("request") or {}).get("domainNames") or []) == wanted:
                return entry.get("status") not in ("succeeded", "inProgress")
        return True

    def _metadata_change(self, current):
        wanted = {api: (self.params.get("metadata_options") or {}).get(key) for key, api in METADATA_FIELDS.items()}
        wanted = {k: v for k, v in wanted.items() if v is not None}
        have = (current or {}).get("metadataOptions") or {}
        return {k: v for k, v in wanted.items() if have.get(k) != v} if current is not None else wanted

    def _add_on_changes(self, current):
        if self.params.get("add_ons") is None:
            return [], []
        have = current_add_ons(current)
        wanted_types = {ADD_ON_TYPES[a["type"]] for a in self.params["add_ons"]}
        enable = [a for a in self.params["add_ons"] if add_on_differs(have.get(ADD_ON_TYPES[a["type"]]), a)]
        disable = sorted(t for t in have if t not in wanted_types)
        return enable, disable

    def _update_actions(self, current):
        """Changes besides creation and power state; ``current=None`` for a just-created instance."""
        name = self.name
        call = self.client.call
        actions = []
        if current is not None:
            wanted_type = self.params.get("ip_address_type")
            if wanted_type and wanted_type != current.get("ipAddressType"):
                actions.append(Action("set ip_address_type of %s to %s" % (name, wanted_type), lambda: call(
                    "SetIpAddressType", resourceType="Instance", resourceName=name, ipAddressType=wanted_type)))
        put, opened, closed = self._port_plan(current)
        if put is not None:
            actions.append(Action("set public ports of %s" % name, lambda: call(
                "PutInstancePublicPorts", instanceName=name, portInfos=[_api_port(p) for p in put])))
        for port in opened:
            actions.append(Action("open %s %s-%s on %s" % (port["protocol"], port["fromPort"], port["toPort"], name),
                                  lambda port=port: call("OpenInstancePublicPorts", instanceName=name, portInfo=_api_port(port))))
        for port in closed:
            actions.append(Action("close %s %s-%s on %s" % (port["protocol"], port["fromPort"], port["toPort"], name),
                                  lambda port=port: call("CloseInstancePublicPorts", instanceName=name, portInfo=_api_port(port))))
        metadata = self._metadata_change(current)
        if metadata:
            actions.append(Action("update metadata options of %s" % name, lambda: call(
                "UpdateInstanceMetadataOptions", instanceName=name, **metadata)))
        if self._https_setup_needed(current):
            https = self.params["https_setup"]
            actions.append(Action("set up HTTPS on %s for %s" % (name, ", ".join(https["domain_names"])), lambda: call(
                "SetupInstanceHttps", instanceName=name, emailAddress=https["email_address"],
                domainNames=https["domain_names"], certificateProvider=https["certificate_provider"])))
        if current is not None:
            enable, disable = self._add_on_changes(current)
            for add_on in enable:
                actions.append(Action("enable add-on %s on %s" % (ADD_ON_TYPES[add_on["type"]], name), lambda add_on=add_on: call(
                    "EnableAddOn", resourceName=name, addOnRequest=add_on_request(add_on))))
            for add_on_type in disable:
                actions.append(Action("disable add-on %s on %s" % (add_on_type, name), lambda add_on_type=add_on_type: call(
                    "DisableAddOn", resourceName=name, addOnType=add_on_type)))
            have_tags = tags_to_dict(current.get("tags"))
            to_set, to_remove = tag_changes(have_tags, self.params.get("tags"), self.params["purge_tags"])
            if to_set or to_remove:
                actions.append(Action("update tags of %s" % name, lambda: ensure_tags(
                    self.client, name, have_tags, self.params.get("tags"), self.params["purge_tags"])))
        return actions

    def _state_actions(self, current):
        name = self.name
        call = self.client.call
        power = (current.get("state") or {}).get("name")
        if self.state == "running" and power in ("stopped", "stopping"):
            then_start = Action("start instance %s" % name, lambda: call("StartInstance", instanceName=name))
            if power == "stopping":
                return [Action("wait for instance %s to stop" % name, lambda: self._wait_power("stopped") and None), then_start]
            return [then_start]
        if self.state == "stopped" and power in ("running", "pending", "starting"):
            return [Action("stop instance %s" % name, lambda: call("StopInstance", instanceName=name))]
        if self.state == "restarted":
            if power in ("stopped", "stopping"):
                return [Action("start instance %s" % name, lambda: call("StartInstance", instanceName=name))]
            return [Action("reboot instance %s" % name, lambda: call("RebootInstance", instanceName=name))]
        return []

    # -- results ----------------------------------------------------------------------------
    def refresh(self, current):
        if self.state == "absent":
            return None
        if not self.wait:
            return self.describe()
        if self.state == "stopped":
            self._wait_power("stopped")
            return self.describe()
        if self.state in ("running", "restarted") or current is None:
            return self._wait_running()
        return self.describe()

    def predict(self, current):
        if self.state == "absent":
            return {}
        params = self.params
        if current is None:
            raw = {"name": self.name, "blueprintId": params.get("blueprint_id"), "bundleId": params.get("bundle_id"),
                   "location": {"availabilityZone": params.get("zone"), "regionName": self.client.region},
                   "ipAddressType": self._ip_type(None), "sshKeyName": params.get("key_pair_name"),
                   "state": {"name": "stopped" if self.state == "stopped" else "running"}, "tags": dict_to_tags(params.get("tags")),
                   "addOns": [], "metadataOptions": {}}
            raw = {k: v for k, v in raw.items() if v is not None}
        else:
            raw = copy.deepcopy(current)
            raw["tags"] = dict_to_tags(predict_tags(tags_to_dict(current.get("tags")), params.get("tags"), params["purge_tags"]))
            if params.get("ip_address_type"):
                raw["ipAddressType"] = params["ip_address_type"]
            state_after = {"running": "running", "restarted": "running", "stopped": "stopped"}.get(self.state)
            if state_after:
                raw["state"] = dict(raw.get("state") or {}, name=state_after)
        put, opened, closed = self._port_plan(current)
        if put is not None or opened or closed:
            networking = raw.setdefault("networking", {})
            if put is not None:
                networking["ports"] = [dict(p, accessDirection="inbound") for p in put]
            else:
                gone = {port_key(p) for p in closed}
                kept = [p for p in networking.get("ports") or [] if port_key(p) not in gone]
                networking["ports"] = kept + [dict(p, accessDirection="inbound") for p in opened]
        metadata = self._metadata_change(current)
        if metadata:
            raw["metadataOptions"] = dict(raw.get("metadataOptions") or {}, **metadata)
        if params.get("add_ons") is not None:
            raw["addOns"] = [dict({"name": ADD_ON_TYPES[a["type"]], "status": "Enabled"},
                                  **({"snapshotTimeOfDay": a["snapshot_time_of_day"]} if a.get("snapshot_time_of_day") else {}))
                             for a in params["add_ons"]]
        return self.normalize(raw)

    def extra_result(self, current, after):
        if not self.params.get("access_details") or self.state == "absent":
            return {}
        if after is None and current is None:
            return {}
        response = self.client.call("GetInstanceAccessDetails", instanceName=self.name, protocol=self.params["access_protocol"])
        return {"access_details": normalize_access_details(response.get("accessDetails") or {})}


def instance_info(client, names=None, port_states=False, auto_snapshots=False):
    """Instances (all of the region, or the named ones; missing names are skipped), normalized.

    ``port_states``: add each instance's ``port_states`` (GetInstancePortStates: the firewall rules
    with their open/closed state), one more call per instance. ``auto_snapshots``: add each instance's
    ``auto_snapshots`` (GetAutoSnapshots: the dates usable as ``restore_date``), one more call per instance.
    """
    if names:
        found = []
        for name in names:
            response = client.call("GetInstance", not_found_ok=True, instanceName=name)
            if response:
                found.append(response["instance"])
    else:
        found = client.paginate("GetInstances", "instances")
    result = [normalize_instance(i) for i in found]
    if port_states:
        for instance in result:
            response = client.call("GetInstancePortStates", not_found_ok=True, instanceName=instance["name"]) or {}
            instance["port_states"] = normalize_resource({"portStates": response.get("portStates") or []})["port_states"]
    if auto_snapshots:
        for instance in result:
            response = client.call("GetAutoSnapshots", not_found_ok=True, resourceName=instance["name"]) or {}
            instance["auto_snapshots"] = normalize_resource({"autoSnapshots": response.get("autoSnapshots") or []})["auto_snapshots"]
    return result
