# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""RAM roles and custom policies (used by ``ram_role`` and ``ram_policy``)."""

from __future__ import annotations

import json

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import policy as policy_doc
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import RAM_CLIENT, RAM_MODELS, TEA_OPENAPI, openapi_config, run_flow
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError, call
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.resource import Action, AliyunResource

LIBRARIES = (RAM_CLIENT, RAM_MODELS, TEA_OPENAPI)
ROLE_NOT_FOUND = ("EntityNotExist.Role",)
POLICY_NOT_FOUND = ("EntityNotExist.Policy",)


def ram_client(creds, endpoint=None):
    return RAM_CLIENT.Client(openapi_config(creds, endpoint or "ram.aliyuncs.com"))


def _map(model):
    return model.to_map() if model is not None else {}


# ---------------------------------------------------------------------- roles
def describe_role(client, name):
    m = RAM_MODELS
    resp = call("get role %s" % name, client.get_role, m.GetRoleRequest(role_name=name), not_found=ROLE_NOT_FOUND)
    if resp is None:
        return None
    role = _map(resp.body.role)
    attached = call("list policies of role %s" % name, client.list_policies_for_role, m.ListPoliciesForRoleRequest(role_name=name))
    policies = _map(attached.body).get("Policies", {}).get("Policy", []) or []
    return {
        "name": role.get("RoleName"),
        "arn": role.get("Arn"),
        "role_id": role.get("RoleId"),
        "description": role.get("Description") or "",
        "max_session_duration": role.get("MaxSessionDuration"),
        "assume_role_policy": policy_doc.load(role.get("AssumeRolePolicyDocument") or '{"Statement": []}', "trust policy"),
        "policies": sorted(({"name": p["PolicyName"], "type": p["PolicyType"]} for p in policies), key=lambda p: (p["type"], p["name"])),
    }


def _key(policy):
    return (policy["type"], policy["name"])


class RamRole(AliyunResource):
    """A role and its attached policies on the resource loop."""

    result_key = "role"

    def describe(self):
        return describe_role(self.client, self.params["name"])

    def validate(self, current):
        if self.absent:
            return
        trust = self.params["assume_role_policy"]
        if trust is None and current is None:
            raise AliyunError("assume_role_policy is required to create role %s" % self.params["name"])
        self.trust = policy_doc.normalize(trust, "assume_role_policy") if trust is not None else None

    def plan_create(self):
        p = self.params
        self.after = {"name": p["name"], "arn": None, "role_id": None, "description": p["description"] or "",
                      "max_session_duration": p["max_session_duration"] or 3600, "policies": [], "assume_role_policy": self.trust}
        create = RAM_MODELS.CreateRoleRequest(
            role_name=p["name"], assume_role_policy_document=json.dumps(self.trust, sort_keys=True),
            description=p["description"], max_session_duration=p["max_session_duration"])
        return [Action("create", lambda: call("create role %s" % p["name"], self.client.create_role, create))] + self._plan_policies()

    def plan_update(self, current):
        p, self.after, update = self.params, dict(current), {}
        if self.trust is not None and policy_doc.normalize(current["assume_role_policy"]) != self.trust:
            update["new_assume_role_policy_document"] = json.dumps(self.trust, sort_keys=True)
            self.after["assume_role_policy"] = self.trust
        for option, field in (("description", "new_description"), ("max_session_duration", "new_max_session_duration")):
            if p[option] is not None and p[option] != current[option]:
                update[field] = self.after[option] = p[option]
        actions = []
        if update:
            request = RAM_MODELS.UpdateRoleRequest(role_name=p["name"], **update)
            actions.append(Action("update", lambda: call("update role %s" % p["name"], self.client.update_role, request)))
        return actions + self._plan_policies()

    def _plan_policies(self):
        if self.params["policies"] is None:
            return []
        wanted = sorted(({"name": p["name"], "type": p["type"]} for p in self.params["policies"]), key=_key)
        current = self.after["policies"]
        attach = [p for p in wanted if p not in current]
        detach = [p for p in current if p not in wanted] if self.params["purge_policies"] else []
        self.after["policies"] = sorted([p for p in current if p not in detach] + attach, key=_key)
        return ([Action("detach %s" % pol["name"], lambda pol=pol: self._attachment("detach", pol)) for pol in detach]
                + [Action("attach %s" % pol["name"], lambda pol=pol: self._attachment("attach", pol)) for pol in attach])

    def _attachment(self, verb, pol):
        m, name = RAM_MODELS, self.params["name"]
        if verb == "detach":
            call("detach %s" % pol["name"], self.client.detach_policy_from_role,
                 m.DetachPolicyFromRoleRequest(policy_name=pol["name"], policy_type=pol["type"], role_name=name))
        else:
            call("attach %s" % pol["name"], self.client.attach_policy_to_role,
                 m.AttachPolicyToRoleRequest(policy_name=pol["name"], policy_type=pol["type"], role_name=name))

    def plan_delete(self, current):
        name = self.params["name"]
        request = RAM_MODELS.DeleteRoleRequest(role_name=name)
        return ([Action("detach %s" % pol["name"], lambda pol=pol: self._attachment("detach", pol)) for pol in current["policies"]]
                + [Action("delete", lambda: call("delete role %s" % name, self.client.delete_role, request, not_found=ROLE_NOT_FOUND))])

    def predict(self, current):
        return {} if self.absent else self.after


def run_role(client, params, check_mode):
    """Converge one role; return the module result (changed, diff, role)."""
    return RamRole(client, params, check_mode).run()


# ------------------------------------------------------------------- policies
def describe_policy(client, name):
    m = RAM_MODELS
    resp = call("get policy %s" % name, client.get_policy, m.GetPolicyRequest(policy_name=name, policy_type="Custom"), not_found=POLICY_NOT_FOUND)
    if resp is None:
        return None
    body = _map(resp.body)
    pol = body.get("Policy", {})
    version = body.get("DefaultPolicyVersion", {})
    entities = call("list entities of policy %s" % name, client.list_entities_for_policy,
                    m.ListEntitiesForPolicyRequest(policy_name=name, policy_type="Custom"))
    roles = (_map(entities.body).get("Roles") or {}).get("Role") or []
    return {
        "name": pol.get("PolicyName"),
        "type": "Custom",
        "description": pol.get("Description") or "",
        "default_version": version.get("VersionId") or pol.get("DefaultVersion"),
        "policy_document": policy_doc.load(version.get("PolicyDocument") or '{"Statement": []}'),
        "roles": sorted(r["RoleName"] for r in roles),
    }


class RamPolicy(AliyunResource):
    """A custom policy (a new default version when its document changes) and the roles it is attached to."""

    result_key = "policy"

    def describe(self):
        return describe_policy(self.client, self.params["name"])

    def validate(self, current):
        document = self.params["policy_document"]
        if not self.absent and document is None and current is None:
            raise AliyunError("policy_document is required to create policy %s" % self.params["name"])
        self.wanted = policy_doc.normalize(document) if document is not None else None

    def plan_create(self):
        p, m = self.params, RAM_MODELS
        self.after = {"name": p["name"], "type": "Custom", "description": p["description"] or "", "default_version": "v1", "roles": [],
                      "policy_document": self.wanted}
        request = m.CreatePolicyRequest(policy_name=p["name"], policy_document=json.dumps(self.wanted, sort_keys=True), description=p["description"])
        return [Action("create", lambda: call("create policy %s" % p["name"], self.client.create_policy, request))] + self._plan_roles()

    def plan_update(self, current):
        name, self.after, actions = self.params["name"], dict(current), []
        if self.wanted is not None and policy_doc.normalize(current["policy_document"]) != self.wanted:
            self.after["policy_document"] = self.wanted
            request = RAM_MODELS.CreatePolicyVersionRequest(
                policy_name=name, policy_document=json.dumps(self.wanted, sort_keys=True), set_as_default=True,
                rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded")
            actions.append(Action("new version", lambda: call("update policy %s" % name, self.client.create_policy_version, request)))
        return actions + self._plan_roles()

    def _plan_roles(self):
        if self.params["roles"] is None:
            return []
        name, m, roles = self.params["name"], RAM_MODELS, self.after["roles"]
        wanted = sorted(set(self.params["roles"]))
        attach = [r for r in wanted if r not in roles]
        detach = [r for r in roles if r not in wanted] if self.params["purge_roles"] else []
        self.after["roles"] = sorted([r for r in roles if r not in detach] + attach)
        return ([Action("detach from %s" % role, lambda role=role: call(
            "detach from %s" % role, self.client.detach_policy_from_role,
            m.DetachPolicyFromRoleRequest(policy_name=name, policy_type="Custom", role_name=role))) for role in detach]
            + [Action("attach to %s" % role, lambda role=role: call(
                "attach to %s" % role, self.client.attach_policy_to_role,
                m.AttachPolicyToRoleRequest(policy_name=name, policy_type="Custom", role_name=role))) for role in attach])

    def plan_delete(self, current):
        name = self.params["name"]
        request = RAM_MODELS.DeletePolicyRequest(policy_name=name, cascading_delete=True)
        return [Action("delete", lambda: call("delete policy %s" % name, self.client.delete_policy, request, not_found=POLICY_NOT_FOUND))]

    def predict(self, current):
        return {} if self.absent else self.after


def run_policy(client, params, check_mode):
    """Converge one custom policy; return the module result (changed, diff, policy)."""
    return RamPolicy(client, params, check_mode).run()


def run_ram_role(module):
    """ram_role's one call."""
    return run_flow(module, LIBRARIES, lambda creds, params: ram_client(creds), run_role)


def run_ram_policy(module):
    """ram_policy's one call."""
    return run_flow(module, LIBRARIES, lambda creds, params: ram_client(creds), run_policy)
