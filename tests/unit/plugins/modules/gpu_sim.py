# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A GPU cluster through time, for the metering tests: Pods, PVCs and Nodes as the API
server shows them at an instant (Pod status as the kubelet writes it)."""

from __future__ import annotations

import datetime

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 10, 1, tzinfo=UTC)
NODES = {"gpu-a100": "NVIDIA-A100-SXM4-80GB", "gpu-t4": "NVIDIA-T4"}


def at(hours):
    """``T0 + hours`` (hours may be fractional)."""
    return T0 + datetime.timedelta(seconds=round(hours * 3600))


class SimPod:
    """One Pod: created, maybe started (``None``: stays Pending), maybe ended (``None``: still running)."""

    def __init__(self, uid, env, created, started=None, ended=None, resources=None, cpu="4", memory="16Gi",
                 node="gpu-a100", workspace="ml", env_uid=None, owner="alice"):
        self.uid, self.env, self.created, self.started, self.ended = uid, env, created, started, ended
        self.resources = resources if resources is not None else {C.GPU_RESOURCE: 1}
        self.cpu, self.memory, self.node, self.workspace = cpu, memory, node, workspace
        self.env_uid, self.owner = env_uid or "sts-" + env, owner

    def visible(self, t):
        return self.created <= t and (self.ended is None or t <= self.ended)

    def manifest(self, t):
        labels = C.environment_labels(self.workspace, self.env, self.owner)
        limits = dict((k, str(v)) for k, v in self.resources.items())
        status = {"phase": "Pending"}
        if self.started is not None and t >= self.started:
            if self.ended is not None and t >= self.ended:
                state = {"terminated": {"startedAt": C.rfc3339(self.started), "finishedAt": C.rfc3339(self.ended),
                                        "exitCode": 0, "reason": "Completed"}}
                status = {"phase": "Succeeded"}
            else:
                state = {"running": {"startedAt": C.rfc3339(self.started)}}
                status = {"phase": "Running"}
            status["containerStatuses"] = [{"name": "main", "ready": "running" in state, "restartCount": 0, "state": state,
                                            "image": "x:1", "imageID": "", "lastState": {}}]
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": self.env + "-0", "namespace": "ws-" + self.workspace, "uid": self.uid, "labels": labels,
                             "creationTimestamp": C.rfc3339(self.created),
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": self.env,
                                                  "uid": self.env_uid, "controller": True}]},
                "spec": {"nodeName": self.node if status["phase"] != "Pending" else None,
                         "containers": [{"name": "main", "image": "x:1", "resources": {
                             "requests": {"cpu": self.cpu, "memory": self.memory}, "limits": limits}}]},
                "status": status}


class SimPvc:
    def __init__(self, uid, env, created, deleted=None, size="100Gi", workspace="ml"):
        self.uid, self.env, self.created, self.deleted, self.size, self.workspace = uid, env, created, deleted, size, workspace

    def visible(self, t):
        return self.created <= t and (self.deleted is None or t <= self.deleted)

    def manifest(self, t):
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "home-%s-0" % self.env, "namespace": "ws-" + self.workspace, "uid": self.uid,
                             "labels": C.environment_labels(self.workspace, self.env, "alice"),
                             "creationTimestamp": C.rfc3339(self.created)},
                "spec": {"resources": {"requests": {"storage": self.size}}},
                "status": {"phase": "Bound", "capacity": {"storage": self.size}}}


class SimCluster:
    """The API as seen at ``self.now``: ``list`` answers like :class:`K8sApi.list` (plus extra objects)."""

    def __init__(self, pods=(), pvcs=(), extra=()):
        self.pods, self.pvcs, self.extra = list(pods), list(pvcs), list(extra)
        self.now = T0
        self.calls = []

    def list(self, kind, namespace=None, label_selector=None, field_selector=None):
        self.calls.append(kind)
        if kind == "Pod":
            return [p.manifest(self.now) for p in self.pods if p.visible(self.now)]
        if kind == "PersistentVolumeClaim":
            return [p.manifest(self.now) for p in self.pvcs if p.visible(self.now)]
        if kind == "Node":
            return [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": n, "labels": {C.GPU_PRODUCT_LABEL: m}}}
                    for n, m in sorted(NODES.items())]
        return [o for o in self.extra if o["kind"] == kind]
