# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_environment``: will it fit? Workspace quota and the nodes the scheduler could use."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.nodes import inventory, is_active, node_view, pod_requests
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import format_quantity, parse_quantity


def quota_shortfalls(api, namespace, needs):
    """Messages for each quota in ``namespace`` that cannot fit ``needs`` ({quota key: Decimal})."""
    short = []
    pods = None
    for quota in api.list("ResourceQuota", namespace):
        hard = (quota.get("spec") or {}).get("hard") or {}
        used = (quota.get("status") or {}).get("used")
        if used is None:  # no quota controller status yet: count the pods ourselves
            if pods is None:
                pods = [p for p in api.list("Pod", namespace) if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
            used = _usage(pods)
        for key, amount in needs.items():
            if key not in hard or not amount:
                continue
            left = parse_quantity(hard[key]) - parse_quantity(used.get(key, 0))
            if amount > left:
                binary = "memory" in key or "storage" in key
                short.append("workspace quota %s/%s: %s needed, %s left of %s" % (
                    quota["metadata"]["name"], key, format_quantity(amount, binary),
                    format_quantity(max(left, 0), binary), hard[key]))
    return short


def _usage(pods):
    used = {"pods": 0}
    for pod in pods:
        used["pods"] += 1
        for key, value in pod_requests(pod).items():
            name = key if key in ("cpu", "memory") or C.is_gpu_resource(key) else None
            if name:
                qkey = "requests.%s" % name
                used[qkey] = used.get(qkey, 0) + value
    return used


BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


def tolerates(tolerations, taint):
    """Whether one of ``tolerations`` tolerates ``taint``, as the scheduler decides it."""
    for tol in tolerations or []:
        if tol.get("effect") and tol["effect"] != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists":
            if not tol.get("key") or tol["key"] == taint.get("key"):
                return True
        elif tol.get("key") == taint.get("key") and (tol.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def _taint_text(taint):
    value = "=%s" % taint["value"] if taint.get("value") else ""
    return "%s%s:%s" % (taint.get("key"), value, taint.get("effect"))


def ruled_out(node, view, spec):
    """Why the scheduler would not place the environment's pod on ``node`` (``None``: it could)."""
    if not view["ready"]:
        return "not ready"
    if view["cordoned"]:
        return "cordoned"
    labels = (node.get("metadata") or {}).get("labels") or {}
    for key, value in sorted((spec.params.get("node_selector") or {}).items()):
        if labels.get(key) != str(value):
            has = "%s=%s" % (key, labels[key]) if key in labels else "no label %s" % key
            return "node_selector %s=%s: node has %s" % (key, value, has)
    tolerations = spec.tolerations()
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") in BLOCKING_EFFECTS and not tolerates(tolerations, taint):
            return "taint %s is not tolerated" % _taint_text(taint)
    return None


def _offering_nodes(api, spec, credit):
    """``[(node, view, reason)]`` for the nodes of the model that offer the resource key."""
    selector = C.selector({C.GPU_PRODUCT_LABEL: spec.gpu_model}) if spec.gpu_model else None
    nodes = api.list("Node", label_selector=selector)
    by_node = {}
    for pod in api.list("Pod", field_selector="status.phase!=Succeeded,status.phase!=Failed"):
        if is_active(pod) and (pod.get("spec") or {}).get("nodeName"):
            by_node.setdefault(pod["spec"]["nodeName"], []).append(pod)
    out = []
    for node in sorted(nodes, key=lambda n: n["metadata"]["name"]):
        view = node_view(node, by_node.get(node["metadata"]["name"], []))
        if spec.resource_key not in view["resource_keys"]:
            continue
        view["free"][spec.resource_key] += (credit or {}).get(view["name"], 0)
        out.append((node, view, ruled_out(node, view, spec)))
    return out


def node_shortfall(api, spec, credit=None):
    """A message when no node the scheduler could use has ``spec.gpus`` free of its resource
    key and model (node selector, taints and tolerations, readiness, cordons and the GPUs the
    pods on each node already request all count). It names the model, the count and the best
    candidate.

    ``credit`` ({node: GPUs}) adds GPUs that will be freed on a node (the environment's own
    pod, replaced when a running environment grows)."""
    if not spec.gpus:
        return None
    key = spec.resource_key
    offering = _offering_nodes(api, spec, credit)
    if not offering:
        if spec.gpu_model:
            models = sorted({v["gpu_model"] for v in inventory(api)[0] if v["gpu_model"]})
            return "no node offers %s with label %s=%s (models in the cluster: %s)" % (
                key, C.GPU_PRODUCT_LABEL, spec.gpu_model, ", ".join(models) or "none")
        return "no node offers the resource %s" % key
    candidates = [view for dummy, view, reason in offering if reason is None]
    if any(view["free"].get(key, 0) >= spec.gpus for view in candidates):
        return None
    return _shortfall_message(spec, offering, candidates)


def _shortfall_message(spec, offering, candidates):
    key = spec.resource_key

    def free(view):
        return view["free"].get(key, 0)

    excluded = [(view, reason) for dummy, view, reason in offering if reason is not None]
    outside = sum(1 for dummy, reason in excluded if reason.startswith("node_selector"))
    parts = ["%d node(s) offer %s" % (len(offering), key)]
    best = max(candidates, key=free) if candidates else None
    if best:
        parts.append("most free: %s with %d" % (best["name"], free(best)))
    if len(excluded) - outside:
        parts.append("%d cordoned, not ready or tainted" % (len(excluded) - outside))
    if outside:
        parts.append("%d outside node_selector" % outside)
    msg = "no schedulable node has %d free %s%s (%s)" % (
        spec.gpus, key, " of model %s" % spec.gpu_model if spec.gpu_model else "", "; ".join(parts))
    if best is None:
        view, reason = max(excluded, key=lambda item: free(item[0]))
        msg += "; best candidate: %s with %d free, but %s" % (view["name"], free(view), reason)
        excluded = [item for item in excluded if item[0] is not view]
    if excluded:
        shown = ["%s (%s)" % (view["name"], reason) for view, reason in excluded[:5]]
        msg += "; ruled out: %s%s" % (", ".join(shown), ", +%d more" % (len(excluded) - 5) if len(excluded) > 5 else "")
    return msg


def capacity_problems(api, spec, new_home):
    needs = {}
    if spec.gpus:  # GPUs first: the shortage users care most about
        needs["requests.%s" % spec.resource_key] = parse_quantity(spec.gpus)
    needs.update({"pods": parse_quantity(1), "requests.cpu": parse_quantity(spec.cpu),
                  "requests.memory": parse_quantity(spec.memory), "limits.cpu": parse_quantity(spec.cpu),
                  "limits.memory": parse_quantity(spec.memory)})
    if new_home:
        needs["requests.storage"] = parse_quantity(spec.home_size)
        needs["persistentvolumeclaims"] = parse_quantity(1)
    problems = quota_shortfalls(api, spec.namespace, needs)
    node = node_shortfall(api, spec)
    if node:
        problems.append(node)
    return problems
