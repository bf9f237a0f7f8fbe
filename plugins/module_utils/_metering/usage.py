# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""What ran: *lives* read from the objects Kubernetes itself maintains.

The source of truth for billing is the Pod status the kubelet writes and users cannot edit:

- a **compute life** is one Pod (keyed by its UID) of a managed environment. It starts at the
  earliest container ``startedAt`` (a Pod that never started a container - Pending,
  unschedulable, image pull - has no life and costs nothing) and ends at the latest
  ``finishedAt`` once every container has terminated. Its resources are the Pod's own
  requests (GPU keys: limits), and the GPU model is the ``nvidia.com/gpu.product`` label of
  the Node it ran on. Whoever scaled the StatefulSet (the collection, ``kubectl scale``, an
  operator), the Pod that ran is billed;
- a **storage life** is one PersistentVolumeClaim (keyed by its UID), from its
  ``creationTimestamp``, with its capacity (``status.capacity.storage``, else the request).

A life still present is known *up to the instant it was observed*. A life that disappeared
between two observations (the Pod was deleted and is gone) ended at some instant between the
last observation and this one: it is closed at the last observation, so nothing is billed
that was not seen. The lifecycle annotation is never read for billing.
"""

from __future__ import annotations

import json

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import parse_quantity
from ansible_collections.opsforge.infra.plugins.module_utils._metering.errors import MeteringError

GIB = 2 ** 30


def _time(value):
    try:
        return C.parse_rfc3339(value) if value else None
    except ValueError:
        return None


def _container_times(pod):
    """``(started, finished)``: earliest start of any container; latest finish if all ended."""
    statuses = list((pod.get("status") or {}).get("containerStatuses") or [])
    starts, finishes, all_done = [], [], bool(statuses)
    for status in statuses:
        state = status.get("state") or {}
        last = (status.get("lastState") or {}).get("terminated") or {}
        for value in ((state.get("running") or {}).get("startedAt"), (state.get("terminated") or {}).get("startedAt"),
                      last.get("startedAt")):
            when = _time(value)
            if when is not None:
                starts.append(when)
        terminated = state.get("terminated")
        if terminated and _time(terminated.get("finishedAt")):
            finishes.append(_time(terminated["finishedAt"]))
        else:
            all_done = False
    return (min(starts) if starts else None), (max(finishes) if all_done and finishes else None)


def _quantity(value, what, where):
    try:
        return parse_quantity(value or 0)
    except ValueError as exc:
        raise MeteringError("%s has an unreadable %s: %s" % (where, what, exc))


def pod_resources(pod, node_models):
    """``(gpu_model, {item: integer quantity})`` of a Pod: GPUs by key, CPU in millicores, memory in bytes."""
    spec = pod.get("spec") or {}
    meta = pod.get("metadata") or {}
    where = "Pod %s/%s" % (meta.get("namespace"), meta.get("name"))
    totals = {}
    for container in spec.get("containers") or []:
        res = container.get("resources") or {}
        requests, limits = res.get("requests") or {}, res.get("limits") or {}
        for key in set(requests) | set(limits):
            if C.is_gpu_resource(key):
                amount = _quantity(limits.get(key, requests.get(key)), key, where)
                totals[key] = totals.get(key, 0) + int(amount)
        cpu = _quantity(requests.get("cpu", limits.get("cpu")), "cpu", where)
        memory = _quantity(requests.get("memory", limits.get("memory")), "memory", where)
        totals["cpu"] = totals.get("cpu", 0) + int(cpu * 1000)
        totals["memory"] = totals.get("memory", 0) + int(memory)
    model = node_models.get(spec.get("nodeName") or "") or (spec.get("nodeSelector") or {}).get(C.GPU_PRODUCT_LABEL) or ""
    return model, {k: v for k, v in totals.items() if v}


def _base(obj):
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    owners = [o for o in meta.get("ownerReferences") or [] if o.get("kind") == "StatefulSet"]
    return {
        "uid": meta.get("uid") or "",
        "workspace": labels.get(C.WORKSPACE_LABEL) or meta.get("namespace") or "",
        "namespace": meta.get("namespace") or "",
        "environment": labels.get(C.ENVIRONMENT_LABEL) or meta.get("name") or "",
        "env_uid": owners[0].get("uid", "") if owners else "",
        "owner": labels.get(C.OWNER_LABEL) or "",
    }


def pod_life(pod, node_models):
    """The compute life of a Pod, or ``None`` when it never started a container (costs nothing)."""
    started, finished = _container_times(pod)
    base = _base(pod)
    if started is None or not base["uid"]:
        return None
    model, resources = pod_resources(pod, node_models)
    return dict(base, kind="compute", gpu_model=model, resources=resources, start=started, end=finished)


def pvc_life(pvc):
    """The storage life of a PVC (its capacity from creation on), or ``None`` without a size."""
    meta = pvc.get("metadata") or {}
    base = _base(pvc)
    created = _time(meta.get("creationTimestamp"))
    size = ((pvc.get("status") or {}).get("capacity") or {}).get("storage") or \
        (((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
    amount = int(_quantity(size, "storage size", "PVC %s/%s" % (base["namespace"], meta.get("name"))))
    if created is None or not base["uid"] or not amount:
        return None
    return dict(base, kind="storage", gpu_model="", resources={"storage": amount}, start=created, end=None)


def observe(pods, pvcs, nodes):
    """Every life visible now (compute lives of started Pods, storage lives of PVCs)."""
    models = {(n.get("metadata") or {}).get("name"): ((n.get("metadata") or {}).get("labels") or {}).get(C.GPU_PRODUCT_LABEL)
              for n in nodes}
    lives = [pod_life(p, models) for p in pods] + [pvc_life(p) for p in pvcs]
    return [life for life in lives if life is not None]


def resources_text(resources):
    return json.dumps(resources, sort_keys=True, separators=(",", ":"))
