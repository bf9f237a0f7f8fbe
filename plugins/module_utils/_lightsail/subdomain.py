# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail subdomains (``mysite`` -> ``mysite.amazonlightsail.com``): create, associate with a distribution, delete."""

from __future__ import annotations

import copy
import re

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags

PARENT = "amazonlightsail.com"
LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
NAME = re.compile(r"^%s(?:\.%s)?$" % (LABEL, LABEL))
MOVING = ("CREATING", "ATTACHING", "DETACHING", "TRANSFERRING")


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        target_resource_arn=dict(type="str"),
        detach=dict(type="bool", default=False),
        tags=dict(type="dict"),
    ), mutually_exclusive=[["target_resource_arn", "detach"]])
    return spec.merge(WAIT_SPEC)


def _attached(raw):
    return ((raw or {}).get("attachedResource") or {}).get("arn")


class Subdomain(LightsailResource):
    result_key = "subdomain"

    @property
    def name(self):
        return self.params["name"]

    def describe(self):
        self._check_name()  # before the first call: a bad name is an input error, not an API one
        response = self.client.call("GetSubdomains", not_found_ok=True, subdomainName=self.name)
        for subdomain in (response or {}).get("subdomains") or []:
            if subdomain.get("subdomainName") == self.name:
                return subdomain
        return None

    def normalize(self, raw):
        return normalize_resource(raw)

    def _check_name(self):
        if not NAME.match(self.name) or len(self.name) > 39:
            raise invalid("name %r: one or two labels (mysite, blog.mysite) of lowercase letters, digits and hyphens, "
                          "at most 39 characters" % self.name)

    def _settled(self):
        return self.client.wait_for(self.describe, lambda s: s.get("state") not in MOVING, self.wait_timeout,
                                    "subdomain %s to settle" % self.name,
                                    failed_fn=lambda s: "state CREATE_FAILED" if s.get("state") == "CREATE_FAILED" else None)

    def _create(self):
        available = self.client.call("CheckSubdomainAvailability", subdomainName=self.name)
        if not available.get("available"):
            raise invalid("subdomain %s is not available (%s.%s belongs to another account or is reserved)" % (self.name, self.name, PARENT))
        request = {"subdomainName": self.name}
        if self.params.get("tags"):
            request["tags"] = dict_to_tags(self.params["tags"])
        return self.client.call("CreateSubdomain", **request)

    def _association(self, current):
        target, attached = self.params.get("target_resource_arn"), _attached(current)
        call = self.client.call
        if target and target != attached:
            if attached:
                return [Action("move subdomain %s from %s to %s" % (self.name, attached, target), lambda: call(
                    "UpdateSubdomainAssociation", subdomainName=self.name, action="TRANSFER", targetResourceArn=target))]
            return [Action("associate subdomain %s with %s" % (self.name, target), lambda: call(
                "UpdateSubdomainAssociation", subdomainName=self.name, action="ASSOCIATE", targetResourceArn=target))]
        if attached and (self.params.get("detach") or self.state == "absent"):
            return [Action("disassociate subdomain %s from %s" % (self.name, attached), lambda: call(
                "UpdateSubdomainAssociation", subdomainName=self.name, action="DISASSOCIATE"))]
        return []

    def plan_create(self):
        association = self._association(None)
        create = Action("create subdomain %s" % self.name, self._create)
        if association or self.wait:
            create.then = self._settled
        return [create] + association

    def plan_update(self, current):
        return self._association(current)

    def plan_delete(self, current):
        actions = self._association(current)
        if actions:
            actions[-1].then = self._settled  # DeleteSubdomain needs UNATTACHED
        return actions + [Action("delete subdomain %s" % self.name, lambda: self.client.call("DeleteSubdomain", subdomainName=self.name))]

    def predict(self, current):
        if self.state == "absent":
            return {}
        raw = copy.deepcopy(current) if current is not None else {
            "subdomainName": self.name, "fqdn": "%s.%s" % (self.name, PARENT), "depth": self.name.count(".") + 1,
            "state": "UNATTACHED", "location": {"availabilityZone": "all", "regionName": self.client.region}}
        if self.params.get("target_resource_arn"):
            raw.update(state="ATTACHED", attachedResource={"arn": self.params["target_resource_arn"]})
        elif self.params.get("detach"):
            raw["state"] = "UNATTACHED"
            raw.pop("attachedResource", None)
        return self.normalize(raw)
