# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""GPU inventory from Nodes and Pods, shared by ``gpu_node_info``, the capacity check of
``gpu_environment`` and ``gpu_node``: two list calls whatever the cluster size."""

from __future__ import annotations

import decimal

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.constants import GPU_NODE_LABEL
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import parse_quantity

TERMINAL_PHASES = ("Succeeded", "Failed")
# Taints a GPU environment tolerates (the NVIDIA device plugin's usual one).
TOLERATED_TAINT_KEYS = (C.GPU_TAINT_KEY,)


def pod_requests(pod):
    """Requested resources of a pod: sum over containers (a limit stands for a missing request,
    as Kubernetes defaults it so), the larger of that and any init container."""
    total = {}
    spec = pod.get("spec") or {}
    for container in spec.get("containers") or []:
        resources = container.get("resources") or {}
        asked = dict(resources.get("limits") or {})
        asked.update(resources.get("requests") or {})
        for key, value in asked.items():
            total[key] = total.get(key, decimal.Decimal(0)) + parse_quantity(value)
    for container in spec.get("initContainers") or []:
        resources = container.get("resources") or {}
        asked = dict(resources.get("limits") or {})
        asked.update(resources.get("requests") or {})
        for key, value in asked.items():
            total[key] = max(total.get(key, decimal.Decimal(0)), parse_quantity(value))
    return total


def is_active(pod):
    return (pod.get("status") or {}).get("phase") not in TERMINAL_PHASES


def _int(value):
    number = parse_quantity(value)
    return int(number) if number == number.to_integral_value() else float(number)


def node_ready(node):
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def blocking_taints(node, tolerated=TOLERATED_TAINT_KEYS):
    return [t for t in (node.get("spec") or {}).get("taints") or []
            if t.get("effect") in ("NoSchedule", "NoExecute") and t.get("key") not in tolerated]


def gpu_keys(node):
    status = node.get("status") or {}
    keys = set(status.get("capacity") or {}) | set(status.get("allocatable") or {})
    return sorted(k for k in keys if C.is_gpu_resource(k))


def node_view(node, pods):
    """One node's GPU facts. ``pods``: the active pods bound to it."""
    meta = node.get("metadata") or {}
    labels = meta.get("labels") or {}
    status = node.get("status") or {}
    capacity = status.get("capacity") or {}
    allocatable = status.get("allocatable") or {}
    used = {}
    environments = []
    for pod in pods:
        for key, value in pod_requests(pod).items():
            used[key] = used.get(key, decimal.Decimal(0)) + value
        pod_labels = (pod.get("metadata") or {}).get("labels") or {}
        if pod_labels.get(C.MANAGED_BY_LABEL) == C.MANAGED_BY_VALUE and pod_labels.get(C.ENVIRONMENT_LABEL):
            environments.append({
                "namespace": pod["metadata"].get("namespace"),
                "workspace": pod_labels.get(C.WORKSPACE_LABEL),
                "environment": pod_labels.get(C.ENVIRONMENT_LABEL),
                "owner": pod_labels.get(C.OWNER_LABEL),
                "pod": pod["metadata"].get("name"),
            })
    keys = gpu_keys(node)
    unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
    ready = node_ready(node)
    view = {
        "name": meta.get("name"),
        "gpu_model": labels.get(C.GPU_PRODUCT_LABEL),
        "gpu_memory_mib": _int(labels[C.GPU_MEMORY_LABEL]) if labels.get(C.GPU_MEMORY_LABEL) else None,
        "gpu_count_label": _int(labels[C.GPU_COUNT_LABEL]) if labels.get(C.GPU_COUNT_LABEL) else None,
        "mig_strategy": labels.get(C.MIG_STRATEGY_LABEL),
        "mig_labels": {k: v for k, v in labels.items() if k.startswith("nvidia.com/mig")},
        "resource_keys": keys,
        "capacity": {k: _int(capacity.get(k, 0)) for k in keys},
        "allocatable": {k: _int(allocatable.get(k, 0)) for k in keys},
        "allocated": {k: _int(used.get(k, 0)) for k in keys},
        "cpu": {"allocatable": str(allocatable.get("cpu", "0")), "allocated": _fmt(used.get("cpu", 0))},
        "memory": {"allocatable": str(allocatable.get("memory", "0")), "allocated": _fmt(used.get("memory", 0))},
        "taints": list((node.get("spec") or {}).get("taints") or []),
        "ready": ready,
        "cordoned": unschedulable,
        "schedulable": ready and not unschedulable and not blocking_taints(node),
        "maintenance": (meta.get("annotations") or {}).get(C.MAINTENANCE_ANNOTATION),
        "environments": environments,
    }
    view["free"] = {k: max(0, view["allocatable"][k] - view["allocated"][k]) for k in keys}
    return view


def _fmt(value):
    number = decimal.Decimal(value)
    return str(int(number)) if number == number.to_integral_value() else str(number.normalize())


def inventory(api, name=None, label_selector=None, gpu_only=True):
    """``(nodes, totals)``: node views (GPU nodes only unless ``gpu_only`` is false) and
    totals per GPU model. Two list calls (nodes, pods)."""
    nodes = api.list("Node", label_selector=label_selector)
    if name:
        nodes = [n for n in nodes if n["metadata"]["name"] == name]
    pods = [p for p in api.list("Pod", field_selector="status.phase!=Succeeded,status.phase!=Failed")
            if is_active(p) and (p.get("spec") or {}).get("nodeName")]
    by_node = {}
    for pod in pods:
        by_node.setdefault(pod["spec"]["nodeName"], []).append(pod)
    views = [node_view(n, by_node.get(n["metadata"]["name"], [])) for n in nodes]
    if gpu_only:
        views = [v for v in views if v["resource_keys"]]
    views.sort(key=lambda v: v["name"])
    return views, totals(views)


def node_info(api, params):
    """``gpu_node_info``'s result: the nodes ``params`` select (``name``, ``gpu_model``, ``label_selector``,
    ``all_nodes``) and their totals per GPU model. Reads only."""
    selectors = [params.get("label_selector")]
    if params.get("gpu_model"):
        selectors.append(C.selector({C.GPU_PRODUCT_LABEL: params["gpu_model"]}))
    nodes, per_model = inventory(api, name=params.get("name"), label_selector=",".join(s for s in selectors if s) or None,
                                 gpu_only=not params.get("all_nodes"))
    return {"changed": False, "nodes": nodes, "totals": per_model}


def totals(views):
    out = {}
    for view in views:
        model = view["gpu_model"] or "unknown"
        entry = out.setdefault(model, {"nodes": 0, "schedulable_nodes": 0, "capacity": {}, "allocatable": {},
                                       "allocated": {}, "free": {}})
        entry["nodes"] += 1
        entry["schedulable_nodes"] += 1 if view["schedulable"] else 0
        for part in ("capacity", "allocatable", "allocated", "free"):
            for key, value in view[part].items():
                if part == "free" and not view["schedulable"]:
                    value = 0
                entry[part][key] = entry[part].get(key, 0) + value
    return out


MAINTENANCE_TAINT = "opsforge.io/maintenance"


def _taint_id(taint):
    return (taint.get("key"), taint.get("effect"))


class NodeService:
    """``gpu_node``: labels and taints of a GPU host; maintenance (cordon, drain) and back."""

    def __init__(self, api):
        self.api = api

    def run(self, params):
        from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_lifecycle import stop
        from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError

        name = params["name"]
        node = self.api.get("Node", name)
        if node is None:
            raise K8sError("Node %s is not registered with the cluster (join it with kubeadm/k3s first; "
                           "this module labels and taints existing nodes)" % name)
        state = params.get("state") or "present"
        meta = node.get("metadata") or {}
        labels = meta.get("labels") or {}
        annotations = meta.get("annotations") or {}
        taints = list((node.get("spec") or {}).get("taints") or [])
        patch = {"metadata": {}, "spec": {}}

        want_labels = {GPU_NODE_LABEL: "true"}
        if params.get("gpu_model"):
            want_labels[C.GPU_PRODUCT_LABEL] = params["gpu_model"]
        want_labels.update({k: ("" if v is None else str(v)) for k, v in (params.get("labels") or {}).items()})
        label_patch = {k: v for k, v in want_labels.items() if labels.get(k) != v}
        if label_patch:
            patch["metadata"]["labels"] = label_patch

        new_taints = list(taints)
        for taint in params.get("taints") or []:
            item = {"key": taint["key"], "effect": taint.get("effect") or "NoSchedule"}
            if taint.get("value") is not None:
                item["value"] = taint["value"]
            new_taints = [t for t in new_taints if _taint_id(t) != _taint_id(item)]
            if taint.get("state", "present") == "present":
                new_taints.append(item)
        maintenance = state == "maintenance"
        cordon = maintenance or params.get("cordon") is True
        if new_taints != taints:
            patch["spec"]["taints"] = new_taints
        if bool((node.get("spec") or {}).get("unschedulable")) != cordon:
            patch["spec"]["unschedulable"] = cordon
        reason = params.get("reason") or "maintenance"
        if maintenance and annotations.get(C.MAINTENANCE_ANNOTATION) != reason:
            patch["metadata"]["annotations"] = {C.MAINTENANCE_ANNOTATION: reason}
        if not maintenance and C.MAINTENANCE_ANNOTATION in annotations:
            patch["metadata"]["annotations"] = {C.MAINTENANCE_ANNOTATION: None}
        patch = {k: v for k, v in patch.items() if v}
        before = _node_summary(node)
        changed = bool(patch)
        after_node = node
        if patch:
            after_node = self.api.patch("Node", name, patch) or node
        drained = []
        if maintenance and params.get("drain"):
            drained = self._drain(name, params, stop)
            changed = changed or bool(drained)
        views, dummy = inventory(self.api, name=name, gpu_only=False)
        after = views[0] if views else _node_summary(after_node)
        if self.api.dry_run:
            after = dict(after)
            after.update(_node_summary(_apply(node, patch)))
        return {"changed": changed, "node": after, "drained": drained,
                "diff": {"before": before, "after": _node_summary(_apply(node, patch))}}

    def _drain(self, name, params, stop):
        pods = self.api.list("Pod", field_selector="spec.nodeName=%s" % name,
                             label_selector=C.selector({C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE}))
        drained = []
        notice = params.get("notice") or "Node %s is going into maintenance: %s" % (name, params.get("reason") or "maintenance")
        for pod in sorted(pods, key=lambda p: (p["metadata"].get("namespace"), p["metadata"]["name"])):
            if not is_active(pod):
                continue
            labels = pod["metadata"].get("labels") or {}
            env_name, namespace = labels.get(C.ENVIRONMENT_LABEL), pod["metadata"].get("namespace")
            if not env_name:
                continue
            sts = self.api.get("StatefulSet", env_name, namespace)
            action = params.get("drain_action") or "stop"
            if sts is not None and action == "stop":
                if sts["spec"].get("replicas"):
                    stop(self.api, sts, "gpu_node:maintenance:%s" % name, notice)
            else:
                if sts is not None:
                    self.api.patch("StatefulSet", env_name, {"metadata": {"annotations": {C.NOTICE_ANNOTATION: notice}}},
                                   namespace)
                self.api.evict(pod["metadata"]["name"], namespace)
            drained.append({"namespace": namespace, "environment": env_name, "pod": pod["metadata"]["name"],
                            "owner": labels.get(C.OWNER_LABEL), "action": action, "notice": notice})
        return drained


def _apply(node, patch):
    import copy

    out = copy.deepcopy(node)
    for section, values in patch.items():
        target = out.setdefault(section, {})
        for key, value in values.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                merged = dict(target[key])
                for k, v in value.items():
                    if v is None:
                        merged.pop(k, None)
                    else:
                        merged[k] = v
                target[key] = merged
            elif isinstance(value, dict):
                target[key] = {k: v for k, v in value.items() if v is not None}
            else:
                target[key] = value
    return out


def _node_summary(node):
    meta = node.get("metadata") or {}
    return {
        "name": meta.get("name"),
        "labels": {k: v for k, v in (meta.get("labels") or {}).items() if k.startswith(("nvidia.com/", "opsforge.io/"))},
        "taints": list((node.get("spec") or {}).get("taints") or []),
        "cordoned": bool((node.get("spec") or {}).get("unschedulable")),
        "maintenance": (meta.get("annotations") or {}).get(C.MAINTENANCE_ANNOTATION),
    }
