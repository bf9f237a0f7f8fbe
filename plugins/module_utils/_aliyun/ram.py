# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""RAM roles and custom policies (used by ``ram_role`` and ``ram_policy``)."""

from __future__ import annotations

import json

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import policy as policy_doc
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import RAM_CLIENT, RAM_MODELS, openapi_config
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import call

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


def run_role(client, params, check_mode):
    m = RAM_MODELS
    name = params["name"]
    before = describe_role(client, name)
    if params["state"] == "absent":
        if before is None:
            return dict(changed=False, diff=dict(before={}, after={}), role={})
        if not check_mode:
            for pol in before["policies"]:
                call("detach %s" % pol["name"], client.detach_policy_from_role,
                     m.DetachPolicyFromRoleRequest(policy_name=pol["name"], policy_type=pol["type"], role_name=name))
            call("delete role %s" % name, client.delete_role, m.DeleteRoleRequest(role_name=name), not_found=ROLE_NOT_FOUND)
        return dict(changed=True, diff=dict(before=before, after={}), role={})

    trust = params["assume_role_policy"]
    if trust is not None:
        trust = policy_doc.normalize(trust, "assume_role_policy")
    elif before is None:
        from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError

        raise AliyunError("assume_role_policy is required to create role %s" % name)
    wanted_policies = None
    if params["policies"] is not None:
        wanted_policies = sorted(({"name": p["name"], "type": p["type"]} for p in params["policies"]), key=lambda p: (p["type"], p["name"]))
    after = dict(before or {"name": name, "arn": None, "role_id": None, "description": "", "max_session_duration": 3600, "policies": []})
    actions = []
    if before is None:
        actions.append("create")
        after.update(assume_role_policy=trust, description=params["description"] or "", max_session_duration=params["max_session_duration"] or 3600)
    else:
        update = {}
        if trust is not None and policy_doc.normalize(before["assume_role_policy"]) != trust:
            update["new_assume_role_policy_document"] = json.dumps(trust, sort_keys=True)
            after["assume_role_policy"] = trust
        if params["description"] is not None and params["description"] != before["description"]:
            update["new_description"] = params["description"]
            after["description"] = params["description"]
        if params["max_session_duration"] is not None and params["max_session_duration"] != before["max_session_duration"]:
            update["new_max_session_duration"] = params["max_session_duration"]
            after["max_session_duration"] = params["max_session_duration"]
        if update:
            actions.append(("update", update))
    attach, detach = [], []
    if wanted_policies is not None:
        current = after["policies"]
        attach = [p for p in wanted_policies if p not in current]
        detach = [p for p in current if p not in wanted_policies] if params["purge_policies"] else []
        after["policies"] = sorted([p for p in current if p not in detach] + attach, key=lambda p: (p["type"], p["name"]))
    if not actions and not attach and not detach:
        return dict(changed=False, diff=dict(before=before, after=before), role=before)
    if check_mode:
        return dict(changed=True, diff=dict(before=before or {}, after=after), role=after)
    for action in actions:
        if action == "create":
            call("create role %s" % name, client.create_role, m.CreateRoleRequest(
                role_name=name, assume_role_policy_document=json.dumps(trust, sort_keys=True),
                description=params["description"], max_session_duration=params["max_session_duration"]))
        else:
            call("update role %s" % name, client.update_role, m.UpdateRoleRequest(role_name=name, **action[1]))
    for pol in detach:
        call("detach %s" % pol["name"], client.detach_policy_from_role,
             m.DetachPolicyFromRoleRequest(policy_name=pol["name"], policy_type=pol["type"], role_name=name))
    for pol in attach:
        call("attach %s" % pol["name"], client.attach_policy_to_role,
             m.AttachPolicyToRoleRequest(policy_name=pol["name"], policy_type=pol["type"], role_name=name))
    result = describe_role(client, name)
    return dict(changed=True, diff=dict(before=before or {}, after=result), role=result)


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


def run_policy(client, params, check_mode):
    m = RAM_MODELS
    name = params["name"]
    before = describe_policy(client, name)
    if params["state"] == "absent":
        if before is None:
            return dict(changed=False, diff=dict(before={}, after={}), policy={})
        if not check_mode:
            call("delete policy %s" % name, client.delete_policy, m.DeletePolicyRequest(policy_name=name, cascading_delete=True), not_found=POLICY_NOT_FOUND)
        return dict(changed=True, diff=dict(before=before, after={}), policy={})
    document = params["policy_document"]
    if document is None and before is None:
        from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError

        raise AliyunError("policy_document is required to create policy %s" % name)
    wanted = policy_doc.normalize(document) if document is not None else None
    after = dict(before or {"name": name, "type": "Custom", "description": params["description"] or "", "default_version": "v1", "roles": []})
    new_version = False
    if before is None:
        after["policy_document"] = wanted
    elif wanted is not None and policy_doc.normalize(before["policy_document"]) != wanted:
        new_version = True
        after["policy_document"] = wanted
    attach, detach = [], []
    if params["roles"] is not None:
        wanted_roles = sorted(set(params["roles"]))
        attach = [r for r in wanted_roles if r not in after["roles"]]
        detach = [r for r in after["roles"] if r not in wanted_roles] if params["purge_roles"] else []
        after["roles"] = sorted([r for r in after["roles"] if r not in detach] + attach)
    if before is not None and not new_version and not attach and not detach:
        return dict(changed=False, diff=dict(before=before, after=before), policy=before)
    if check_mode:
        return dict(changed=True, diff=dict(before=before or {}, after=after), policy=after)
    if before is None:
        call("create policy %s" % name, client.create_policy, m.CreatePolicyRequest(
            policy_name=name, policy_document=json.dumps(wanted, sort_keys=True), description=params["description"]))
    elif new_version:
        call("update policy %s" % name, client.create_policy_version, m.CreatePolicyVersionRequest(
            policy_name=name, policy_document=json.dumps(wanted, sort_keys=True), set_as_default=True,
            rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded"))
    for role in detach:
        call("detach from %s" % role, client.detach_policy_from_role, m.DetachPolicyFromRoleRequest(policy_name=name, policy_type="Custom", role_name=role))
    for role in attach:
        call("attach to %s" % role, client.attach_policy_to_role, m.AttachPolicyToRoleRequest(policy_name=name, policy_type="Custom", role_name=role))
    result = describe_policy(client, name)
    return dict(changed=True, diff=dict(before=before or {}, after=result), policy=result)
