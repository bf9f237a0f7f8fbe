# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail metric alarms and the contact methods (email, SMS) they notify."""

from __future__ import annotations

import copy

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes

# module option -> PutAlarm parameter (same name in the Alarm shape unless noted)
ALARM_FIELDS = (
    ("metric_name", "metricName"),
    ("comparison_operator", "comparisonOperator"),
    ("threshold", "threshold"),
    ("evaluation_periods", "evaluationPeriods"),
    ("datapoints_to_alarm", "datapointsToAlarm"),
    ("treat_missing_data", "treatMissingData"),
    ("contact_protocols", "contactProtocols"),
    ("notification_triggers", "notificationTriggers"),
    ("notification_enabled", "notificationEnabled"),
)
LIST_FIELDS = ("contactProtocols", "notificationTriggers")


def _tags_action(client, kind, name, current, params):
    current_tags = normalize_resource({"tags": current.get("tags") or []})["tags"]
    to_set, to_remove = tag_changes(current_tags, params.get("tags"), params.get("purge_tags", True))
    if not (to_set or to_remove):
        return []
    return [Action("update tags of %s %s" % (kind, name),
                   lambda: ensure_tags(client, name, current_tags, params.get("tags"), params.get("purge_tags", True)))]


class Alarm(LightsailResource):
    result_key = "alarm"

    def __init__(self, client, params):
        super().__init__(client, params)
        self.name = params["name"]
        self.tested = None

    def describe(self):
        response = self.client.call("GetAlarms", not_found_ok=True, alarmName=self.name)
        alarms = (response or {}).get("alarms") or []
        return alarms[0] if alarms else None

    def _current_put_params(self, current):
        put = {"alarmName": self.name, "monitoredResourceName": (current.get("monitoredResourceInfo") or {}).get("name")}
        for _option, key in ALARM_FIELDS:
            if current.get(key) is not None:
                put[key] = current[key]
        return put

    def desired_put_params(self, current):
        """Full PutAlarm parameters: current values overlaid with the given options."""
        put = self._current_put_params(current) if current else {"alarmName": self.name}
        if self.params.get("monitored_resource_name"):
            put["monitoredResourceName"] = self.params["monitored_resource_name"]
        for option, key in ALARM_FIELDS:
            value = self.params.get(option)
            if value is not None:
                put[key] = list(value) if key in LIST_FIELDS else value
        if put.get("threshold") is not None:
            put["threshold"] = float(put["threshold"])
        return put

    def _differs(self, current):
        want = self.desired_put_params(current)
        have = self._current_put_params(current)
        for key, value in want.items():
            mine = have.get(key)
            if key in LIST_FIELDS:
                if sorted(value or []) != sorted(mine or []):
                    return True
            elif value != mine:
                return True
        return False

    def validate(self, current):
        p = self.params
        if self.state == "absent":
            return
        if current is None:
            missing = [o for o in ("metric_name", "monitored_resource_name", "comparison_operator", "threshold", "evaluation_periods")
                       if p.get(o) is None]
            if missing:
                raise invalid("alarm %s does not exist: %s required to create it" % (self.name, ", ".join(missing)))
        put = self.desired_put_params(current)
        if put.get("datapointsToAlarm") and put.get("evaluationPeriods") and put["datapointsToAlarm"] > put["evaluationPeriods"]:
            raise invalid("datapoints_to_alarm (%d) cannot exceed evaluation_periods (%d)" % (put["datapointsToAlarm"], put["evaluationPeriods"]))

    def _put_action(self, current):
        put = self.desired_put_params(current)
        if current is None and self.params.get("tags"):
            put["tags"] = dict_to_tags(self.params["tags"])
        verb = "create" if current is None else "update"
        return Action("%s alarm %s (%s on %s)" % (verb, self.name, put.get("metricName"), put.get("monitoredResourceName")),
                      lambda: self.client.call("PutAlarm", **put))

    def _test_action(self):
        state = self.params["test_state"]

        def test():
            response = self.client.call("TestAlarm", alarmName=self.name, state=state)
            self.tested = state
            return response
        return Action("test alarm %s with state %s" % (self.name, state), test)

    def plan_create(self):
        actions = [self._put_action(None)]
        if self.params.get("test_state"):
            actions.append(self._test_action())
        return actions

    def plan_update(self, current):
        actions = []
        if self._differs(current):
            actions.append(self._put_action(current))
        actions.extend(_tags_action(self.client, "alarm", self.name, current, self.params))
        if self.params.get("test_state"):
            actions.append(self._test_action())
        return actions

    def plan_delete(self, current):
        return [Action("delete alarm %s" % self.name, lambda: self.client.call("DeleteAlarm", alarmName=self.name))]

    def predict(self, current):
        if self.state == "absent":
            return {}
        put = self.desired_put_params(current)
        raw = copy.deepcopy(current) if current else {"name": self.name, "state": "INSUFFICIENT_DATA", "tags": []}
        raw["monitoredResourceInfo"] = dict(raw.get("monitoredResourceInfo") or {}, name=put.get("monitoredResourceName"))
        for _option, key in ALARM_FIELDS:
            if key in put:
                raw[key] = put[key]
        after = self.normalize(raw)
        after["tags"] = predict_tags(after.get("tags") or {}, self.params.get("tags"), self.params.get("purge_tags", True)) \
            if current else dict(self.params.get("tags") or {})
        return after

    def extra_result(self, current, after):
        return {"tested_state": self.tested} if self.tested else {}


class ContactMethod(LightsailResource):
    """One contact method per protocol and region (Lightsail's rule)."""

    result_key = "contact_method"

    def __init__(self, client, params):
        super().__init__(client, params)
        self.protocol = params["protocol"]
        self.verification_sent = False

    def describe(self):
        response = self.client.call("GetContactMethods", not_found_ok=True, protocols=[self.protocol])
        methods = (response or {}).get("contactMethods") or []
        return methods[0] if methods else None

    def validate(self, current):
        p = self.params
        if self.state == "absent":
            return
        if current is None and not p.get("contact_endpoint"):
            raise invalid("no %s contact method exists: contact_endpoint is required to create it" % self.protocol)
        if p.get("send_verification") and self.protocol != "Email":
            raise invalid("send_verification works for Email only; SMS contact methods are verified by Lightsail")
        if self.protocol == "Email" and p.get("contact_endpoint") and "@" not in p["contact_endpoint"].strip("@"):
            raise invalid("Email contact_endpoint %r is not an email address" % p["contact_endpoint"])
        if self.protocol == "SMS" and p.get("contact_endpoint") and not p["contact_endpoint"].startswith("+"):
            raise invalid("SMS contact_endpoint must be in E.164 format, like +14155550100")

    def _create(self):
        params = dict(protocol=self.protocol, contactEndpoint=self.params["contact_endpoint"])
        if self.params.get("tags"):
            params["tags"] = dict_to_tags(self.params["tags"])
        return Action("create %s contact method %s" % (self.protocol, self.params["contact_endpoint"]),
                      lambda: self.client.call("CreateContactMethod", **params))

    def _verify(self):
        def send():
            self.verification_sent = True
            return self.client.call("SendContactMethodVerification", protocol=self.protocol)
        return Action("send a verification message to %s" % self.params.get("contact_endpoint", "the email address"), send)

    def plan_create(self):
        actions = [self._create()]
        if self.params.get("send_verification"):
            actions.append(self._verify())
        return actions

    def plan_update(self, current):
        endpoint = self.params.get("contact_endpoint")
        if endpoint and endpoint != current.get("contactEndpoint"):
            actions = [Action("delete %s contact method %s (endpoint changes)" % (self.protocol, current.get("contactEndpoint")),
                              lambda: self.client.call("DeleteContactMethod", protocol=self.protocol)), self._create()]
            if self.params.get("send_verification"):
                actions.append(self._verify())
            return actions
        actions = _tags_action(self.client, "contact method", current.get("name"), current, self.params)
        if self.params.get("send_verification") and current.get("status") == "PendingVerification":
            actions.append(self._verify())
        return actions

    def plan_delete(self, current):
        return [Action("delete %s contact method %s" % (self.protocol, current.get("contactEndpoint")),
                       lambda: self.client.call("DeleteContactMethod", protocol=self.protocol))]

    def predict(self, current):
        if self.state == "absent":
            return {}
        endpoint = self.params.get("contact_endpoint")
        if current is None or (endpoint and endpoint != current.get("contactEndpoint")):
            return {"protocol": self.protocol, "contact_endpoint": endpoint, "status": "PendingVerification",
                    "tags": dict(self.params.get("tags") or {})}
        after = self.normalize(current)
        after["tags"] = predict_tags(after.get("tags") or {}, self.params.get("tags"), self.params.get("purge_tags", True))
        return after

    def extra_result(self, current, after):
        return {"verification_sent": self.verification_sent}
