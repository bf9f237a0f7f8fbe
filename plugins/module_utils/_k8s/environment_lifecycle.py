# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lifecycle writes shared by ``gpu_environment``, the reaper and ``gpu_node``'s drain:
stop an environment, archive its lifecycle on deletion."""

from __future__ import annotations

import json

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_view import _container, gpu_request
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError


def stop(api, sts, stopped_by, notice=None):
    """Scale an environment's StatefulSet to 0 and record who stopped it (shared with the reaper
    and gpu_node's drain)."""
    annotations = sts["metadata"].get("annotations") or {}
    events = C.read_lifecycle(annotations)
    last = events[-1] if events else {}
    container = _container(sts)
    key, gpus = gpu_request(container)
    requests = (container.get("resources") or {}).get("requests") or {}
    entry = C.lifecycle_event("stopped", gpus=gpus, gpu_model=last.get("gpu_model", ""),
                              resource_key=key or C.GPU_RESOURCE, cpu=requests.get("cpu", ""),
                              memory=requests.get("memory", ""), storage=last.get("storage", ""))
    new_annotations = {C.LIFECYCLE_ANNOTATION: C.append_lifecycle(annotations, entry), C.STOPPED_BY_ANNOTATION: stopped_by}
    if notice:
        new_annotations[C.NOTICE_ANNOTATION] = notice
    return api.patch("StatefulSet", sts["metadata"]["name"], {"metadata": {"annotations": new_annotations},
                                                              "spec": {"replicas": 0}}, sts["metadata"]["namespace"])


def archive_lifecycle(api, namespace, name, events):
    """Append ``events`` to the workspace's lifecycle archive ConfigMap (created if needed)."""
    current = api.get("ConfigMap", C.LIFECYCLE_ARCHIVE_CONFIGMAP, namespace)
    data = dict((current or {}).get("data") or {})
    try:
        archived = json.loads(data.get(name) or "[]")
    except ValueError:
        archived = []
    data[name] = json.dumps(archived + events, separators=(",", ":"), sort_keys=True)
    if current is None:
        api.create("ConfigMap", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": C.LIFECYCLE_ARCHIVE_CONFIGMAP, "namespace": namespace,
            "labels": {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE}}, "data": data}, namespace)
    else:
        api.patch("ConfigMap", C.LIFECYCLE_ARCHIVE_CONFIGMAP, {"data": {name: data[name]}}, namespace)


def _restarted_at(sts):
    if sts is None:
        return None
    return ((((sts.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {}).get(
        C.RESTARTED_AT_ANNOTATION)


def rollback(api, spec, made, err):
    """Undo a create that failed half way: delete ``made`` (``[(kind, name)]``, oldest first).

    Returns the error to raise: ``err``'s message plus what was removed, or, when a delete
    fails too, exactly what is left behind and how ``state: absent`` clears it."""
    removed, left = [], []
    for kind, name in reversed(made):
        try:
            api.delete(kind, name, spec.namespace)
            removed.append("%s %s" % (kind, name))
        except K8sError as exc:
            left.append(("%s %s" % (kind, name), exc.msg))
    removed.reverse()
    left.reverse()
    msg = err.msg
    if removed:
        msg += "; removed what this run had created: %s" % ", ".join(removed)
    if left:
        msg += "; left behind: %s; state: absent for environment %s in workspace %s removes them" % (
            ", ".join("%s (%s)" % item for item in left), spec.name, spec.workspace)
    details = dict(err.details or {})
    details.update(removed=removed, left_behind=[what for what, dummy in left])
    return K8sError(msg, status=err.status, reason=err.reason, details=details, cause=err)
