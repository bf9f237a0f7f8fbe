# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_workspace``: a team's namespace with quota, defaults, members and isolation.

Objects (all labelled ``app.kubernetes.io/managed-by: opsforge`` and
``opsforge.io/workspace: <name>``): the Namespace, ResourceQuota ``opsforge-quota``,
LimitRange ``opsforge-defaults``, one RoleBinding ``opsforge-member-<kind>-<slug>-<hash>`` per
member (see :func:`member_binding_name`) and NetworkPolicy ``opsforge-isolation``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resource import K8sResource
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import clean, parse_quantity

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MEMBER_KINDS = {"user": "User", "group": "Group", "serviceaccount": "ServiceAccount"}
MEMBER_ROLES = ("admin", "edit", "view")


def validate_name(value, what, max_len=63):
    if not value or len(value) > max_len or not DNS_LABEL.match(value):
        raise K8sError("%s %r is not a valid name: lowercase letters, digits and '-', at most %d characters,"
                       " starting and ending with a letter or digit" % (what, value, max_len))


def _quantity(value, what):
    try:
        parse_quantity(value)
    except ValueError as exc:
        raise K8sError("%s: %s" % (what, exc)) from None
    return str(value)


def build_quota(workspace, namespace, quota):
    """ResourceQuota ``spec.hard`` from the module's ``quota`` option (``None`` -> no quota)."""
    if quota is None:
        return None
    hard = {}
    for key, count in sorted((quota.get("gpus") or {}).items()):
        if not C.is_gpu_resource(key):
            raise K8sError("quota.gpus key %r is not a GPU resource key (nvidia.com/gpu, nvidia.com/mig-<profile>,"
                           " nvidia.com/gpu.shared)" % key)
        try:
            count = int(count)
        except (TypeError, ValueError):
            raise K8sError("quota.gpus[%s] must be a whole number, got %r" % (key, count)) from None
        if count < 0:
            raise K8sError("quota.gpus[%s] must be 0 or more" % key)
        hard["requests.%s" % key] = str(count)
    for option, key in (("cpu", "requests.cpu"), ("memory", "requests.memory"), ("storage", "requests.storage"),
                        ("pods", "pods"), ("persistent_volume_claims", "persistentvolumeclaims")):
        if quota.get(option) is not None:
            hard[key] = _quantity(quota[option], "quota.%s" % option)
    return {
        "apiVersion": "v1", "kind": "ResourceQuota",
        "metadata": {"name": C.QUOTA_NAME, "namespace": namespace, "labels": _labels(workspace)},
        "spec": {"hard": hard},
    }


def build_limit_range(workspace, namespace, defaults):
    if defaults is None:
        return None
    default, request, maximum = {}, {}, {}
    for option, target, key in (("cpu", default, "cpu"), ("memory", default, "memory"),
                                ("request_cpu", request, "cpu"), ("request_memory", request, "memory"),
                                ("max_cpu", maximum, "cpu"), ("max_memory", maximum, "memory")):
        if defaults.get(option) is not None:
            target[key] = _quantity(defaults[option], "limit_range.%s" % option)
    limit = {"type": "Container"}
    if default:
        limit["default"] = default
    if request:
        limit["defaultRequest"] = request
    if maximum:
        limit["max"] = maximum
    return {
        "apiVersion": "v1", "kind": "LimitRange",
        "metadata": {"name": C.LIMITRANGE_NAME, "namespace": namespace, "labels": _labels(workspace)},
        "spec": {"limits": [limit]},
    }


def subject_key(subject):
    """How Kubernetes tells subjects apart: kind, exact (case-sensitive) name, and the
    namespace of a service account."""
    return (subject.get("kind"), subject.get("name"), subject.get("namespace") if subject.get("kind") == "ServiceAccount" else None)


def member_binding_name(kind, name, namespace=None):
    """``opsforge-member-<kind>-<slug>-<hash>``: a readable slug plus 10 hex digits of the
    SHA-256 of the exact subject, so distinct subjects never share a binding name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "member"
    digest = hashlib.sha256(("%s\0%s\0%s" % (kind, namespace or "", name)).encode("utf-8")).hexdigest()[:10]
    return "%s%s-%s-%s" % (C.ROLEBINDING_PREFIX, kind.lower(), slug, digest)


def _member_binding(workspace, namespace, member):
    kind = MEMBER_KINDS.get(str(member.get("kind") or "user").lower())
    if kind is None:
        raise K8sError("members: kind %r must be one of user, group, serviceaccount" % member.get("kind"))
    role = member.get("role") or "edit"
    if role not in MEMBER_ROLES:
        raise K8sError("members: role %r for %s must be one of admin, edit, view" % (role, member.get("name")))
    if not member.get("name"):
        raise K8sError("members: every member needs a name")
    subject = {"kind": kind, "name": member["name"]}
    if kind == "ServiceAccount":
        subject["namespace"] = member.get("namespace") or namespace
    else:
        subject["apiGroup"] = "rbac.authorization.k8s.io"
    labels = _labels(workspace)
    labels["opsforge.io/role"] = role
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": member_binding_name(kind, member["name"], subject.get("namespace")),
                     "namespace": namespace, "labels": labels},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [subject],
    }


def build_role_bindings(workspace, namespace, members):
    """``{subject key: RoleBinding}``; ``None`` when ``members`` is ``None`` (leave them alone)."""
    if members is None:
        return None
    out = {}
    for member in members:
        binding = _member_binding(workspace, namespace, member)
        key = subject_key(binding["subjects"][0])
        if key in out:
            raise K8sError("members: %s %s is listed twice" % (key[0], member["name"]))
        out[key] = binding
    return out


# The named container ports gpu_environment creates (see environment_spec.EnvSpec.ports):
# a NetworkPolicy port given by name matches exactly the container port of that name.
ACCESS_PORT_NAMES = ("ssh", "jupyter", "rdp")
DEFAULT_ACCESS_CIDRS = ("0.0.0.0/0", "::/0")


def _access_cidrs(isolation):
    cidrs = isolation.get("access_cidrs")
    cidrs = list(DEFAULT_ACCESS_CIDRS) if cidrs is None else cidrs
    for cidr in cidrs:
        try:
            ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            raise K8sError("network_isolation.access_cidrs: %r is not a CIDR such as 10.0.0.0/8" % (cidr,)) from None
    return [str(ipaddress.ip_network(str(c), strict=False)) for c in cidrs]


def build_network_policy(workspace, namespace, isolation):
    """Ingress from pods of the workspace and the namespaces in ``allow_from_namespaces``, plus
    the access paths environments expose (container ports named ssh, jupyter, rdp, reached
    through a NodePort or LoadBalancer Service) from ``access_cidrs`` (default: anywhere)."""
    if not isolation or not isolation.get("enabled", True):
        return None
    sources = [{"podSelector": {}}]
    for other in isolation.get("allow_from_namespaces") or []:
        sources.append({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": other}}})
    rules = [{"from": sources}]
    cidrs = _access_cidrs(isolation)
    if cidrs:
        rules.append({"from": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs],
                      "ports": [{"protocol": "TCP", "port": name} for name in ACCESS_PORT_NAMES]})
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": C.NETWORKPOLICY_NAME, "namespace": namespace, "labels": _labels(workspace)},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": rules},
    }


def build_namespace(workspace, namespace, labels=None, annotations=None):
    all_labels = dict(labels or {})
    all_labels.update(C.namespace_labels(workspace))
    meta = {"name": namespace, "labels": all_labels}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def _annotations(params):
    out = dict(params.get("annotations") or {})
    if params.get("image_policy"):
        if params["image_policy"] not in C.IMAGE_POLICIES:
            raise K8sError("image_policy %r must be one of %s" % (params["image_policy"], ", ".join(C.IMAGE_POLICIES)))
        out[C.IMAGE_POLICY_ANNOTATION] = params["image_policy"]
    return out


def _labels(workspace):
    return {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE, C.WORKSPACE_LABEL: workspace}


def build_all(params):
    """Every object of the workspace as desired by ``params`` (raises K8sError on bad input)."""
    workspace = params["name"]
    validate_name(workspace, "workspace", max_len=60)
    namespace = C.workspace_namespace(workspace, params.get("namespace"))
    validate_name(namespace, "namespace")
    return {
        "namespace": namespace,
        "Namespace": build_namespace(workspace, namespace, params.get("labels"), _annotations(params)),
        "ResourceQuota": build_quota(workspace, namespace, params.get("quota")),
        "LimitRange": build_limit_range(workspace, namespace, params.get("limit_range")),
        "RoleBinding": build_role_bindings(workspace, namespace, params.get("members")),
        "NetworkPolicy": build_network_policy(workspace, namespace, params.get("network_isolation")),
    }


def normalize_workspace(workspace, namespace, ns_obj, quota, limit_range, bindings, policy, environments=None):
    """The ``workspace`` return value (and diff side) from live or desired objects."""
    if ns_obj is None:
        return None
    members = []
    for binding in sorted(bindings, key=lambda b: b["metadata"]["name"]):
        for subject in binding.get("subjects") or []:
            members.append({"name": subject.get("name"), "kind": subject.get("kind"),
                            "role": (binding.get("roleRef") or {}).get("name")})
    out = {
        "name": workspace,
        "namespace": namespace,
        "labels": dict((ns_obj.get("metadata") or {}).get("labels") or {}),
        "phase": (ns_obj.get("status") or {}).get("phase", "Active"),
        "quota": dict((quota or {}).get("spec", {}).get("hard") or {}) if quota else None,
        "quota_used": dict((quota or {}).get("status", {}).get("used") or {}) if quota else None,
        "limit_range": ((limit_range or {}).get("spec", {}).get("limits") or [None])[0] if limit_range else None,
        "members": members,
        "network_isolation": policy is not None,
        "image_policy": ((ns_obj.get("metadata") or {}).get("annotations") or {}).get(C.IMAGE_POLICY_ANNOTATION) or "any",
    }
    out["labels"].pop("kubernetes.io/metadata.name", None)
    if environments is not None:
        out["environments"] = sorted(environments)
    return out


EMPTY = {"Namespace": None, "ResourceQuota": None, "LimitRange": None, "NetworkPolicy": None, "RoleBinding": {}, "environments": []}
OBJECT_NAMES = {"ResourceQuota": C.QUOTA_NAME, "LimitRange": C.LIMITRANGE_NAME, "NetworkPolicy": C.NETWORKPOLICY_NAME}


class Workspace(K8sResource):
    """A workspace on the resource loop; in check mode the prediction is the API server's dry-run answer."""

    result_key = "workspace"

    def __init__(self, api, params):
        super().__init__(api, params)
        self.workspace = params["name"]
        self.desired = None
        if self.absent:
            validate_name(self.workspace, "workspace", max_len=60)
            self.namespace = C.workspace_namespace(self.workspace, params.get("namespace"))
        else:
            self.desired = build_all(params)
            self.namespace = self.desired["namespace"]

    def describe(self):
        workspace, namespace = self.workspace, self.namespace
        ns_obj = self.api.get("Namespace", namespace)
        if ns_obj is None:
            return None
        owner = ((ns_obj.get("metadata") or {}).get("labels") or {}).get(C.WORKSPACE_LABEL)
        if owner != workspace:
            raise K8sError("Namespace %s exists but is not workspace %s (label %s=%r); refusing to take it over"
                           % (namespace, workspace, C.WORKSPACE_LABEL, owner))
        selector = C.selector({C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE, C.WORKSPACE_LABEL: workspace})
        bindings = [b for b in self.api.list("RoleBinding", namespace, label_selector=selector)
                    if b["metadata"]["name"].startswith(C.ROLEBINDING_PREFIX)]
        envs = self.api.list("StatefulSet", namespace, label_selector=C.environment_selector(workspace=workspace))
        return {
            "Namespace": ns_obj,
            "ResourceQuota": self.api.get("ResourceQuota", C.QUOTA_NAME, namespace),
            "LimitRange": self.api.get("LimitRange", C.LIMITRANGE_NAME, namespace),
            "RoleBinding": {subject_key((b.get("subjects") or [{}])[0]): b  # the first by name wins
                            for b in sorted(bindings, key=lambda b: b["metadata"]["name"], reverse=True)},
            "extra_bindings": _extra_bindings(bindings),
            "NetworkPolicy": self.api.get("NetworkPolicy", C.NETWORKPOLICY_NAME, namespace),
            "environments": [e["metadata"]["name"] for e in envs],
        }

    def normalize(self, raw):
        return normalize_workspace(self.workspace, self.namespace, raw["Namespace"], raw["ResourceQuota"], raw["LimitRange"],
                                   list(raw["RoleBinding"].values()), raw["NetworkPolicy"], raw.get("environments"))

    @staticmethod
    def terminating(live):
        return live is not None and (live["Namespace"].get("status") or {}).get("phase") == "Terminating"

    def validate(self, current):
        if not self.absent and self.terminating(current):
            raise K8sError("Namespace %s is being deleted; wait until it is gone before re-creating workspace %s"
                           % (self.namespace, self.workspace))
        if self.absent and current and not self.terminating(current) and current["environments"] and not self.params.get("force"):
            raise K8sError("Workspace %s still has %d environment(s): %s. Delete them first or set force=true"
                           % (self.workspace, len(current["environments"]), ", ".join(sorted(current["environments"]))),
                           details={"environments": sorted(current["environments"])})

    def unchanged_view(self, current):
        return None if self.absent else self.view(current)

    def plan_delete(self, current):
        return [] if self.terminating(current) else self.remove("Namespace", self.namespace, propagation="Foreground")

    def plan_create(self):
        return self.plan_update(None)

    def plan_update(self, current):
        live, namespace = current or EMPTY, self.namespace
        actions = self.converge("Namespace", self.desired["Namespace"], live["Namespace"])
        for kind in ("ResourceQuota", "LimitRange", "NetworkPolicy"):
            want, have = self.desired[kind], live[kind]
            if want is not None:
                actions += self.converge(kind, want, have, namespace, replace_paths=_replace_paths(kind))
            elif have is not None and kind == "NetworkPolicy" and self.params.get("network_isolation") is not None:
                actions += self.remove(kind, have["metadata"]["name"], namespace)
        return actions + self._plan_members(live)

    def _plan_members(self, live):
        """Bindings keyed by subject: create, replace (roleRef is immutable), keep, purge.

        ``members`` left out (``desired`` is ``None``): members are left alone."""
        desired, have, namespace = self.desired["RoleBinding"], live["RoleBinding"], self.namespace
        if desired is None:
            return []
        actions = []
        for key, want in desired.items():
            current = have.get(key)
            if current is not None and current.get("roleRef") != want["roleRef"]:
                actions += self.remove("RoleBinding", current["metadata"]["name"], namespace)
                current = None
            if current is not None:  # keep the binding's name (bindings of an older naming are adopted)
                want = dict(want, metadata=dict(want["metadata"], name=current["metadata"]["name"]))
            actions += self.converge("RoleBinding", want, current, namespace)
        if self.params.get("purge_members", True):
            for key in sorted(set(have) - set(desired), key=str):
                actions += self.remove("RoleBinding", have[key]["metadata"]["name"], namespace)
        for name in live.get("extra_bindings") or []:
            actions += self.remove("RoleBinding", name, namespace)
        return actions

    def predict(self, current):
        """The live objects with the server's answers to this run's (dry-run) writes laid over them."""
        if self.absent:
            return None
        live, namespace = current or EMPTY, self.namespace
        raw = {"Namespace": self.answered("Namespace", live["Namespace"], namespace), "environments": live["environments"]}
        for kind, name in OBJECT_NAMES.items():
            raw[kind] = self.answered(kind, live[kind], name, namespace)
        bindings = {}
        for key, binding in live["RoleBinding"].items():
            answer = self.answered("RoleBinding", binding, binding["metadata"]["name"], namespace)
            if answer is not None:
                bindings[key] = answer
        for key, answer in self.answers.items():
            if key[0] == "RoleBinding" and answer is not None:
                bindings[subject_key((answer.get("subjects") or [{}])[0])] = answer
        raw["RoleBinding"] = bindings
        return self.view(raw)


class WorkspaceService:
    """``run(params)``: gpu_workspace's result; ``present(params)`` / ``absent(params)`` -> ``(changed, before,
    after)``."""

    def __init__(self, api):
        self.api = api

    def run(self, params):
        """The module's result for ``params["state"]`` (``present`` by default): ``changed``, ``workspace``
        (the view after the run, or the server's dry-run answer in check mode) and ``diff``."""
        state = "absent" if params.get("state") == "absent" else "present"
        changed, before, after = self._run(params, state)
        return {"changed": changed, "workspace": after, "diff": {"before": before, "after": after}}

    def _run(self, params, state):
        result = Workspace(self.api, dict(params, state=state)).run()
        return result["changed"], result["diff"]["before"], result["diff"]["after"]

    def present(self, params):
        return self._run(params, "present")

    def absent(self, params):
        return self._run(params, "absent")


def _extra_bindings(bindings):
    """Names of member bindings whose subject an earlier binding (by name) already has."""
    seen, extra = set(), []
    for binding in sorted(bindings, key=lambda b: b["metadata"]["name"]):
        key = subject_key((binding.get("subjects") or [{}])[0])
        if key in seen:
            extra.append(binding["metadata"]["name"])
        seen.add(key)
    return extra


def _replace_paths(kind):
    if kind == "ResourceQuota":
        return (("spec", "hard"),)
    return ()


def all_manifests(params):
    """Every manifest ``present`` would send, for schema validation in tests."""
    desired = build_all(params)
    out = [desired["Namespace"]]
    out.extend(o for o in (desired["ResourceQuota"], desired["LimitRange"], desired["NetworkPolicy"]) if o)
    out.extend((desired["RoleBinding"] or {}).values())
    return [clean(o) for o in out]
