# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_image`` and ``gpu_image_info``: the image catalogue, and how environments use it.

A catalogue image is a ConfigMap (see the image catalogue part of :mod:`.constants`) in a
workspace namespace or in the platform namespace. ``gpu_image`` checks every version's tag in
the registry and pins its digest; ``gpu_environment`` runs ``<repository>:<tag>@<digest>``
from it and, in a workspace whose namespace says ``opsforge.io/image-policy: catalogue``,
refuses images that are not in the catalogue.
"""

from __future__ import annotations

import json

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.registry import RegistryClient, split_repository
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import ensure
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.workspace import validate_name


def scope(params):
    """``(namespace, workspace)`` of the catalogue ``params`` address (workspace or platform)."""
    workspace = params.get("workspace")
    if workspace:
        validate_name(workspace, "workspace", max_len=60)
        return C.workspace_namespace(workspace, params.get("namespace")), workspace
    return params.get("namespace") or C.PLATFORM_NAMESPACE, None


def build_entry(params, client):
    """The catalogue entry ``params`` ask for, every tag checked and pinned through ``client``."""
    name = params["name"]
    validate_name(name, "image", max_len=63 - len(C.IMAGE_CONFIGMAP_PREFIX))
    repository = params.get("repository")
    if not repository:
        raise K8sError("Creating or updating catalogue image %s needs repository" % name)
    split_repository(repository)
    versions = [str(v) for v in params.get("versions") or []]
    if not versions:
        raise K8sError("catalogue image %s needs at least one version (a tag of %s)" % (name, repository))
    if len(set(versions)) != len(versions):
        raise K8sError("versions of %s list a tag twice: %s" % (name, ", ".join(versions)))
    default = str(params.get("default") or versions[0])
    if default not in versions:
        raise K8sError("default %r of image %s is not one of its versions (%s)" % (default, name, ", ".join(versions)))
    pinned = [{"tag": tag, "digest": client.digest(repository, tag)} for tag in versions]
    return {"name": name, "repository": repository, "description": params.get("description") or "",
            "default": default, "gpu_models": sorted(set(params.get("gpu_models") or [])), "versions": pinned}


def configmap(entry, namespace):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": C.IMAGE_CONFIGMAP_PREFIX + entry["name"], "namespace": namespace,
                         "labels": {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE, C.IMAGE_CATALOGUE_LABEL: entry["name"]}},
            "data": {C.IMAGE_CATALOGUE_KEY: json.dumps(entry, sort_keys=True, separators=(",", ":"))}}


def read_entry(obj):
    """The entry stored in a catalogue ConfigMap (``None`` when unreadable)."""
    try:
        entry = json.loads(((obj or {}).get("data") or {}).get(C.IMAGE_CATALOGUE_KEY) or "")
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and entry.get("name") and entry.get("versions") else None


def reference(entry, version):
    return "%s:%s@%s" % (entry["repository"], version["tag"], version["digest"]) if version.get("digest") \
        else "%s:%s" % (entry["repository"], version["tag"])


def normalize_image(entry, namespace, workspace):
    """The ``image`` return value (``None`` when absent)."""
    if entry is None:
        return None
    out = dict(entry, namespace=namespace, workspace=workspace)
    out["versions"] = [dict(v, reference=reference(entry, v)) for v in entry["versions"]]
    return out


def catalogue(api, namespace=None):
    """``{name: entry}`` a workspace sees: the platform's, overridden by its own (``namespace``)."""
    out = {}
    selector = C.selector({C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE})
    for scope_ns in (C.PLATFORM_NAMESPACE, namespace):
        if not scope_ns:
            continue
        for obj in api.list("ConfigMap", scope_ns, label_selector=selector):
            entry = read_entry(obj) if obj["metadata"]["name"].startswith(C.IMAGE_CONFIGMAP_PREFIX) else None
            if entry:
                out[entry["name"]] = dict(entry, namespace=scope_ns)
    return out


def _matching(entries, image):
    """``(entry, version)`` whose reference ``image`` spells (repo:tag, repo@digest or both)."""
    for entry in entries.values():
        for version in entry["versions"]:
            spellings = {"%s:%s" % (entry["repository"], version["tag"]), reference(entry, version)}
            if version.get("digest"):
                spellings.add("%s@%s" % (entry["repository"], version["digest"]))
            if image in spellings:
                return entry, version
    return None, None


def resolve(api, spec, policy):
    """The image an environment runs: from ``catalogue_image`` (pinned), or ``spec.image`` checked
    against the catalogue when the workspace ``policy`` is ``catalogue``. Raises on refusal."""
    name = spec.params.get("catalogue_image")
    if not name and policy != "catalogue":
        return spec.image
    entries = catalogue(api, spec.namespace)
    known = ", ".join(sorted(entries)) or "none"
    if name:
        entry = entries.get(name)
        if entry is None:
            raise K8sError("catalogue_image %r is not in the image catalogue of workspace %s (known: %s)"
                           % (name, spec.workspace, known))
        wanted = str(spec.params.get("catalogue_version") or entry["default"])
        version = next((v for v in entry["versions"] if v["tag"] == wanted), None)
        if version is None:
            raise K8sError("catalogue_version %r of image %s is not in the catalogue (versions: %s)"
                           % (wanted, name, ", ".join(v["tag"] for v in entry["versions"])))
    else:
        entry, version = _matching(entries, spec.image)
        if entry is None:
            raise K8sError("image %r is not in the image catalogue of workspace %s, which only allows catalogue images"
                           " (known: %s); use catalogue_image" % (spec.image, spec.workspace, known))
    models = entry.get("gpu_models") or []
    if models and spec.gpus and spec.gpu_model not in models:
        raise K8sError("image %s allows the GPU models %s, not %s" % (
            entry["name"], ", ".join(models), spec.gpu_model or "any model (set gpu_model)"))
    return reference(entry, version)


def image_policy(ns_obj):
    return (((ns_obj or {}).get("metadata") or {}).get("annotations") or {}).get(C.IMAGE_POLICY_ANNOTATION) or "any"


def registry_client(params, factory=RegistryClient):
    """The registry client of ``gpu_image``'s ``registry_*`` options (``factory`` is injected by tests)."""
    return factory(params["registry_username"], params["registry_password"], params["registry_insecure"],
                   params["registry_validate_certs"], params["registry_timeout"])


def image_info(api, params):
    """``gpu_image_info``'s result: the catalogue images ``params`` select. Reads only."""
    return {"changed": False, "images": ImageService(api).info(params)}


class ImageService:
    """``gpu_image`` (present / absent) and ``gpu_image_info``."""

    def __init__(self, api, client=None):
        self.api = api
        self.client = client
        self.warnings = []

    def _live(self, name, namespace):
        obj = self.api.get("ConfigMap", C.IMAGE_CONFIGMAP_PREFIX + name, namespace)
        return obj, read_entry(obj)

    def _namespace(self, namespace, workspace):
        """Whether the namespace exists; the platform namespace is created when missing."""
        if self.api.get("Namespace", namespace) is not None:
            return True
        if workspace:
            if not self.api.dry_run:
                raise K8sError("Workspace namespace %s does not exist: create it with opsforge.infra.gpu_workspace first"
                               % namespace)
            self.warnings.append("Namespace %s does not exist yet: the catalogue image is predicted as if the workspace"
                                 " were created first" % namespace)
            return False
        self.api.create("Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": namespace, "labels": {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE}}})
        return not self.api.dry_run

    def run(self, params):
        """``gpu_image``'s result for ``params["state"]``, with the warnings to raise (``warnings``)."""
        result = self.absent(params) if params["state"] == "absent" else self.present(params)
        return dict(result, warnings=list(self.warnings))

    def present(self, params):
        namespace, workspace = scope(params)
        entry = build_entry(params, self.client)  # every tag checked before any write
        exists = self._namespace(namespace, workspace)
        before = normalize_image(self._live(params["name"], namespace)[1], namespace, workspace) if exists else None
        changed = True
        if exists:
            changed = ensure(self.api, "ConfigMap", configmap(entry, namespace), namespace)[0]
        return {"changed": changed, "image": normalize_image(entry, namespace, workspace),
                "diff": {"before": before, "after": normalize_image(entry, namespace, workspace)}}

    def absent(self, params):
        namespace, workspace = scope(params)
        validate_name(params["name"], "image")
        obj, entry = (None, None)
        if self.api.get("Namespace", namespace) is not None:
            obj, entry = self._live(params["name"], namespace)
        if obj is not None:
            self.api.delete("ConfigMap", obj["metadata"]["name"], namespace)
        before = normalize_image(entry, namespace, workspace)
        return {"changed": obj is not None, "image": None, "diff": {"before": before, "after": None}}

    def info(self, params):
        namespace, workspace = scope(params)
        entries = catalogue(self.api, namespace if workspace else None)
        if params.get("name"):
            entries = {k: v for k, v in entries.items() if k == params["name"]}
        return [normalize_image(entries[k], entries[k]["namespace"], workspace if entries[k]["namespace"] == namespace else None)
                for k in sorted(entries)]
