# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_environment`` and ``gpu_environment_info``: reading environments back (state, pod
problems, access, runtime) as the ``environment`` return value."""

from __future__ import annotations

import json
import re

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import parse_quantity

CONTAINER = "env"  # the environment's container in the pod template
FAIL_FAST_REASONS = ("InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "ImagePullBackOff",
                     "CrashLoopBackOff", "CreateContainerError")


def _container(sts):
    containers = (((sts.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or [{}]
    for container in containers:
        if container.get("name") == CONTAINER:
            return container
    return containers[0]


def gpu_request(container):
    resources = container.get("resources") or {}
    asked = dict(resources.get("limits") or {})
    asked.update(resources.get("requests") or {})
    for key, value in asked.items():
        if C.is_gpu_resource(key):
            return key, int(parse_quantity(value))
    return None, 0


def pod_problem(pod, events=()):
    """Why a pod is not ready, in words (``None`` when it is ready)."""
    if pod is None:
        messages = [e.get("message") for e in events if e.get("type") == "Warning" and e.get("message")]
        return "pod not created yet%s" % (": " + messages[-1] if messages else "")
    status = pod.get("status") or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            return None
    phase = status.get("phase") or "Pending"
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            return "Pending, not scheduled: %s: %s" % (cond.get("reason") or "Unschedulable", cond.get("message") or "")
    for cstatus in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = cstatus.get("state") or {}
        waiting = state.get("waiting")
        last = (cstatus.get("lastState") or {}).get("terminated") or {}
        if waiting and waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"):
            return "image pull error for %s: %s: %s" % (cstatus.get("image") or "the image", waiting.get("reason"),
                                                        waiting.get("message") or "")
        if waiting and waiting.get("reason") == "CrashLoopBackOff" or last:
            return "container %s crashed: %s, last exit code %s (%s), restarts %s" % (
                cstatus.get("name"), (waiting or {}).get("reason") or "terminated", last.get("exitCode"),
                last.get("reason") or "", cstatus.get("restartCount", 0))
        if waiting:
            return "container %s waiting: %s: %s" % (cstatus.get("name"), waiting.get("reason"), waiting.get("message") or "")
        if state.get("terminated"):
            term = state["terminated"]
            return "container %s terminated: exit code %s (%s)" % (cstatus.get("name"), term.get("exitCode"), term.get("reason"))
    if phase == "Running":
        return "running but not ready (readiness probe failing?)"
    return "%s%s" % (phase, (": " + status["message"]) if status.get("message") else "")


def fail_fast_reason(pod):
    for cstatus in ((pod or {}).get("status") or {}).get("containerStatuses") or []:
        waiting = (cstatus.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FAIL_FAST_REASONS:
            return waiting["reason"]
    return None


def pod_state(sts, pod):
    if sts is None:
        return "absent"
    replicas = (sts.get("spec") or {}).get("replicas", 1)
    if not replicas:
        return "stopped" if pod is None else "stopping"
    if pod is None:
        return "starting"
    if pod_problem(pod) is None:
        return "running"
    if fail_fast_reason(pod):
        return "failed"
    return "pending" if (pod.get("status") or {}).get("phase") == "Pending" else "starting"


def runtime_seconds(events, now=None):
    """Seconds the environment has been running, summed over its lifecycle."""
    now = now or C.parse_rfc3339(C.rfc3339())
    total, since = 0.0, None
    for event in events:
        try:
            at = C.parse_rfc3339(event["at"])
        except (KeyError, ValueError):
            continue
        if event["event"] in C.RUNNING_EVENTS:
            if since is None:
                since = at
        elif since is not None:
            total += (at - since).total_seconds()
            since = None
    if since is not None:
        total += max(0.0, (now - since).total_seconds())
    return int(total)


def access_info(sts, service, pod=None, node=None):
    """How to reach the environment: host and per-protocol ports/URLs (no secrets)."""
    if service is None:
        return {}
    meta, spec = service["metadata"], service.get("spec") or {}
    svc_type = spec.get("type", "ClusterIP")
    host = "%s.%s.svc" % (meta["name"], meta.get("namespace"))
    ports = {}
    for port in spec.get("ports") or []:
        number = port.get("port")
        if svc_type == "NodePort":
            number = port.get("nodePort") or number
        ports[port.get("name")] = number
    if svc_type == "NodePort":
        host = _node_address(node) or host
    elif svc_type == "LoadBalancer":
        ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        host = (ingress[0].get("ip") or ingress[0].get("hostname")) if ingress else None
    out = {"service_type": svc_type, "host": host, "cluster_ip": spec.get("clusterIP")}
    if "ssh" in ports:
        out["ssh"] = {"host": host, "port": ports["ssh"],
                      "command": "ssh -p %s user@%s" % (ports["ssh"], host) if host else None}
    if "jupyter" in ports:
        out["jupyter"] = {"url": "http://%s:%s/lab" % (host, ports["jupyter"]) if host else None,
                          "token_secret": "%s%s" % (((sts or {}).get("metadata") or {}).get("name", meta["name"]),
                                                    C.JUPYTER_SECRET_SUFFIX)}
    if "rdp" in ports:
        out["rdp"] = {"host": host, "port": ports["rdp"]}
    return out


def _node_address(node):
    if not node:
        return None
    addresses = (node.get("status") or {}).get("addresses") or []
    for kind in ("ExternalIP", "InternalIP", "Hostname"):
        for address in addresses:
            if address.get("type") == kind:
                return address.get("address")
    return None


def normalize_environment(sts, pod=None, service=None, node=None):
    """The ``environment`` return value (``None`` when absent)."""
    if sts is None:
        return None
    meta = sts["metadata"]
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    container = _container(sts)
    key, gpus = gpu_request(container)
    requests = (container.get("resources") or {}).get("requests") or {}
    affinity = json.dumps(((sts["spec"].get("template") or {}).get("spec") or {}).get("affinity") or {})
    model = None
    found = re.search(r'"values": \["([^"]+)"\]', affinity) if C.GPU_PRODUCT_LABEL in affinity else None
    if found:
        model = found.group(1)
    events = C.read_lifecycle(annotations)
    claims = sts["spec"].get("volumeClaimTemplates") or []
    home_size = ((claims[0].get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage") if claims else None
    out = {
        "name": meta["name"],
        "namespace": meta.get("namespace"),
        "workspace": labels.get(C.WORKSPACE_LABEL),
        "owner": labels.get(C.OWNER_LABEL),
        "state": pod_state(sts, pod),
        "replicas": sts["spec"].get("replicas", 1),
        "image": container.get("image"),
        "gpus": gpus,
        "resource_key": key,
        "gpu_model": model,
        "cpu": requests.get("cpu"),
        "memory": requests.get("memory"),
        "home_size": home_size,
        "home_claim": "%s-%s-0" % (C.HOME_VOLUME, meta["name"]),
        "max_lifetime": annotations.get(C.MAX_LIFETIME_ANNOTATION),
        "stopped_by": annotations.get(C.STOPPED_BY_ANNOTATION),
        "notice": annotations.get(C.NOTICE_ANNOTATION),
        "created": meta.get("creationTimestamp"),
        "lifecycle": events,
        "runtime_seconds": runtime_seconds(events),
        "pod": None,
        "access": access_info(sts, service, pod, node),
    }
    if pod is not None:
        out["pod"] = {"name": pod["metadata"]["name"], "phase": (pod.get("status") or {}).get("phase"),
                      "node": (pod.get("spec") or {}).get("nodeName"), "ready": pod_problem(pod) is None,
                      "reason": pod_problem(pod)}
    return out


def _diffable(view):
    if view is None:
        return None
    out = dict(view)
    for volatile in ("pod", "runtime_seconds", "lifecycle", "created"):
        out.pop(volatile, None)
    return out


def list_environments(api, namespace=None, workspace=None, name=None, owner=None):
    """Every managed environment matching the filters, normalized. Three or four list calls."""
    labels = {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE}
    if workspace:
        labels[C.WORKSPACE_LABEL] = workspace
    if name:
        labels[C.ENVIRONMENT_LABEL] = name
    if owner:
        labels[C.OWNER_LABEL] = owner
    selector = C.selector(labels)
    sets = api.list("StatefulSet", namespace, label_selector=selector)
    if not sets:
        return []
    pods = {(p["metadata"].get("namespace"), p["metadata"]["name"]): p
            for p in api.list("Pod", namespace, label_selector=selector)}
    services = {(s["metadata"].get("namespace"), s["metadata"]["name"]): s
                for s in api.list("Service", namespace, label_selector=selector)}
    nodes = None
    out = []
    for sts in sorted(sets, key=lambda s: (s["metadata"].get("namespace"), s["metadata"]["name"])):
        key = (sts["metadata"].get("namespace"), sts["metadata"]["name"])
        pod = pods.get((key[0], "%s-0" % key[1]))
        service = services.get(key)
        node = None
        if service is not None and (service.get("spec") or {}).get("type") == "NodePort":
            if nodes is None:
                nodes = {n["metadata"]["name"]: n for n in api.list("Node")}
            node = nodes.get(((pod or {}).get("spec") or {}).get("nodeName")) or next(iter(nodes.values()), None)
        out.append(normalize_environment(sts, pod, service, node))
    return out
