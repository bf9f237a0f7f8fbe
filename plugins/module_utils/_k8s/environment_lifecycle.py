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
