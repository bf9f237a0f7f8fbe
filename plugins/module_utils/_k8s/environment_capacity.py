# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_environment``: will it fit? Workspace quota and the nodes the scheduler could use."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.nodes import inventory, pod_requests
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


def node_shortfall(api, spec, credit=None):
    """A message when no schedulable node has ``spec.gpus`` free of its resource key / model.

    ``credit`` ({node: GPUs}) adds GPUs that will be freed on a node (the environment's own
    pod, replaced when a running environment grows)."""
    if not spec.gpus:
        return None
    selector = C.selector({C.GPU_PRODUCT_LABEL: spec.gpu_model}) if spec.gpu_model else None
    views, dummy = inventory(api, label_selector=selector)
    key = spec.resource_key
    for view in views:
        if (credit or {}).get(view["name"]) and key in view["free"]:
            view["free"][key] += credit[view["name"]]
    candidates = [v for v in views if key in v["resource_keys"]]
    what = "%d free %s%s" % (spec.gpus, key, " of model %s" % spec.gpu_model if spec.gpu_model else "")
    if not candidates:
        if spec.gpu_model:
            models = sorted({v["gpu_model"] for v in inventory(api)[0] if v["gpu_model"]})
            return "no node offers %s with label %s=%s (models in the cluster: %s)" % (
                key, C.GPU_PRODUCT_LABEL, spec.gpu_model, ", ".join(models) or "none")
        return "no node offers the resource %s" % key
    fitting = [v for v in candidates if v["schedulable"] and v["free"].get(key, 0) >= spec.gpus]
    if fitting:
        return None
    schedulable = [v for v in candidates if v["schedulable"]]
    best = max(schedulable, key=lambda v: v["free"].get(key, 0)) if schedulable else None
    blocked = len(candidates) - len(schedulable)
    return "no schedulable node has %s (%d node(s) offer %s%s%s)" % (
        what, len(candidates), key,
        "; most free: %s with %d" % (best["name"], best["free"].get(key, 0)) if best else "",
        "; %d cordoned, not ready or tainted" % blocked if blocked else "")


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
