# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail static IPs: allocate, attach to / detach from an instance, release."""

from __future__ import annotations

import copy

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource


def argument_spec():
    spec = ArgumentSpec(
        dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            instance_name=dict(type="str"),
            detach=dict(type="bool", default=False),
        ),
        mutually_exclusive=[["instance_name", "detach"]],
    )
    return spec.merge(WAIT_SPEC)


def normalize_static_ip(raw):
    return normalize_resource(raw)


class StaticIp(LightsailResource):
    result_key = "static_ip"

    @property
    def name(self):
        return self.params["name"]

    def describe(self):
        response = self.client.call("GetStaticIp", not_found_ok=True, staticIpName=self.name)
        return response["staticIp"] if response else None

    def normalize(self, raw):
        return normalize_static_ip(raw)

    def _attach(self):
        return Action("attach static IP %s to %s" % (self.name, self.params["instance_name"]), lambda: self.client.call(
            "AttachStaticIp", staticIpName=self.name, instanceName=self.params["instance_name"]))

    def _detach(self, from_instance):
        return Action("detach static IP %s from %s" % (self.name, from_instance), lambda: self.client.call(
            "DetachStaticIp", staticIpName=self.name))

    def plan_create(self):
        actions = [Action("allocate static IP %s" % self.name, lambda: self.client.call("AllocateStaticIp", staticIpName=self.name))]
        if self.params.get("instance_name"):
            actions.append(self._attach())
        return actions

    def plan_update(self, current):
        attached_to = current.get("attachedTo") if current.get("isAttached") else None
        wanted = self.params.get("instance_name")
        if wanted and wanted != attached_to:
            return ([self._detach(attached_to)] if attached_to else []) + [self._attach()]
        if self.params.get("detach") and attached_to:
            return [self._detach(attached_to)]
        return []

    def plan_delete(self, current):
        return [Action("release static IP %s" % self.name, lambda: self.client.call("ReleaseStaticIp", staticIpName=self.name))]

    def predict(self, current):
        if self.state == "absent":
            return {}
        raw = copy.deepcopy(current) if current is not None else {
            "name": self.name, "location": {"availabilityZone": "all", "regionName": self.client.region}, "isAttached": False}
        if self.params.get("instance_name"):
            raw.update(isAttached=True, attachedTo=self.params["instance_name"])
        elif self.params.get("detach"):
            raw["isAttached"] = False
            raw.pop("attachedTo", None)
        return self.normalize(raw)


def static_ip_info(client, names=None):
    if names:
        found = []
        for name in names:
            response = client.call("GetStaticIp", not_found_ok=True, staticIpName=name)
            if response:
                found.append(response["staticIp"])
    else:
        found = client.paginate("GetStaticIps", "staticIps")
    return [normalize_static_ip(i) for i in found]
