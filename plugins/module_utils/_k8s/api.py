# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""A small, dict-in / dict-out layer over the typed ``kubernetes`` client.

Every call returns the JSON the API server sent (``_preload_content=False``), never the
client's model objects, so what the modules compare and return is exactly what the server
holds. ``K8sApi(api_client, dry_run=True)`` sends ``dryRun=All`` on every write (check
mode: the server validates and defaults the object and persists nothing). Not found on
``get``/``delete`` is ``None``. Every other error is a :class:`K8sError`.

>>> api = K8sApi(api_client)
>>> api.get("StatefulSet", "env1", "ws-team")          # dict or None
>>> api.list("Pod", label_selector="opsforge.io/workspace=team")   # list of dicts
>>> api.patch("StatefulSet", "env1", {"spec": {"replicas": 0}}, "ws-team")
"""

from __future__ import annotations

import json

from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary
from ansible_collections.opsforge.infra.plugins.module_utils._common.retries import call_with_retries
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError, is_retryable, translate

kubernetes = LazyLibrary("kubernetes", pip_name="kubernetes")

MERGE_PATCH = "application/merge-patch+json"

# kind -> (typed API class, method stem, namespaced, apiVersion)
KINDS = {
    "Namespace": ("CoreV1Api", "namespace", False, "v1"),
    "Node": ("CoreV1Api", "node", False, "v1"),
    "Pod": ("CoreV1Api", "pod", True, "v1"),
    "Service": ("CoreV1Api", "service", True, "v1"),
    "Secret": ("CoreV1Api", "secret", True, "v1"),
    "ConfigMap": ("CoreV1Api", "config_map", True, "v1"),
    "PersistentVolumeClaim": ("CoreV1Api", "persistent_volume_claim", True, "v1"),
    "ResourceQuota": ("CoreV1Api", "resource_quota", True, "v1"),
    "LimitRange": ("CoreV1Api", "limit_range", True, "v1"),
    "Event": ("CoreV1Api", "event", True, "v1"),
    "StatefulSet": ("AppsV1Api", "stateful_set", True, "apps/v1"),
    "RoleBinding": ("RbacAuthorizationV1Api", "role_binding", True, "rbac.authorization.k8s.io/v1"),
    "NetworkPolicy": ("NetworkingV1Api", "network_policy", True, "networking.k8s.io/v1"),
}


def api_version(kind):
    return KINDS[kind][3]


def describe(kind, name=None, namespace=None):
    """``StatefulSet ws-a/env1`` for messages."""
    if name is None:
        return "%s list%s" % (kind, " in %s" % namespace if namespace else "")
    return "%s %s" % (kind, "%s/%s" % (namespace, name) if namespace else name)


class K8sApi:
    """Generic get/list/create/patch/delete by kind, with dry run, retries and error translation.

    ``calls`` counts requests per verb (``{"list": 3, "get": 1}``), for tests and benchmarks.
    """

    def __init__(self, api_client, dry_run=False, retries=3, retry_delay=0.5, sleep=None):
        self.api_client = api_client
        self.dry_run = dry_run
        self.retries = retries
        self.retry_delay = retry_delay
        self._sleep = sleep
        self._apis = {}
        self.calls = {}

    # -- plumbing ---------------------------------------------------------------------
    def _typed(self, cls_name):
        if cls_name not in self._apis:
            self._apis[cls_name] = getattr(kubernetes.client, cls_name)(self.api_client)
        return self._apis[cls_name]

    def _method(self, verb, kind, namespace, all_namespaces=False):
        if kind not in KINDS:
            raise K8sError("Unsupported kind %s" % kind)
        cls_name, stem, namespaced, dummy = KINDS[kind]
        if not namespaced:
            name = "%s_%s" % (verb, stem)
        elif all_namespaces:
            name = "%s_%s_for_all_namespaces" % (verb, stem)
        else:
            if not namespace:
                raise K8sError("%s is namespaced: a namespace is needed to %s it" % (kind, verb))
            name = "%s_namespaced_%s" % (verb, stem)
        return getattr(self._typed(cls_name), name), namespaced

    def _call(self, verb, action, what, func, *args, **kwargs):
        self.calls[verb] = self.calls.get(verb, 0) + 1
        kwargs["_preload_content"] = False
        extra = {}
        if self._sleep is not None:
            extra["sleep"] = self._sleep
        try:
            response = call_with_retries(lambda: func(*args, **kwargs), is_retryable,
                                         retries=self.retries, delay=self.retry_delay, max_delay=5.0, **extra)
        except Exception as exc:  # pylint: disable=broad-except
            raise translate(exc, action, what) from exc
        data = getattr(response, "data", response)
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        if isinstance(data, str):
            return json.loads(data) if data.strip() else {}
        return data

    def _write_kwargs(self):
        return {"dry_run": "All"} if self.dry_run else {}

    # -- verbs ------------------------------------------------------------------------------
    def get(self, kind, name, namespace=None):
        """The object as a dict, or ``None`` when it does not exist."""
        func, namespaced = self._method("read", kind, namespace)
        args = (name, namespace) if namespaced else (name,)
        try:
            return self._call("get", "get", describe(kind, name, namespace), func, *args)
        except K8sError as err:
            if err.status == 404:
                return None
            raise

    def list(self, kind, namespace=None, label_selector=None, field_selector=None):
        """Items of ``kind`` (in ``namespace``, or in every namespace when ``None``)."""
        cls_name, dummy, namespaced, dummy2 = KINDS.get(kind, (None, None, False, None))
        func, namespaced = self._method("list", kind, namespace, all_namespaces=namespaced and not namespace)
        args = (namespace,) if namespaced and namespace else ()
        kwargs = {}
        if label_selector:
            kwargs["label_selector"] = label_selector
        if field_selector:
            kwargs["field_selector"] = field_selector
        result = self._call("list", "list", describe(kind, None, namespace), func, *args, **kwargs)
        items = result.get("items") or []
        version = api_version(kind)
        for item in items:  # list items come without apiVersion/kind
            item.setdefault("apiVersion", version)
            item.setdefault("kind", kind)
        return items

    def create(self, kind, body, namespace=None):
        func, namespaced = self._method("create", kind, namespace)
        args = (namespace, body) if namespaced else (body,)
        name = body.get("metadata", {}).get("name")
        return self._call("create", "create", describe(kind, name, namespace), func, *args, **self._write_kwargs())

    def patch(self, kind, name, patch, namespace=None):
        """JSON merge patch (RFC 7396): dicts merge, lists and scalars replace, ``None`` removes."""
        func, namespaced = self._method("patch", kind, namespace)
        args = (name, namespace, patch) if namespaced else (name, patch)
        return self._call("patch", "patch", describe(kind, name, namespace), func, *args,
                          _content_type=MERGE_PATCH, **self._write_kwargs())

    def delete(self, kind, name, namespace=None, propagation="Background"):
        """Delete; the server's answer, or ``None`` when it was already gone."""
        func, namespaced = self._method("delete", kind, namespace)
        args = (name, namespace) if namespaced else (name,)
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        if self.dry_run:
            body["dryRun"] = ["All"]
        try:
            return self._call("delete", "delete", describe(kind, name, namespace), func, *args,
                              body=body, **self._write_kwargs())
        except K8sError as err:
            if err.status == 404:
                return None
            raise

    def evict(self, name, namespace):
        """Evict a pod through the Eviction API (honours PodDisruptionBudgets)."""
        body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": namespace}}
        if self.dry_run:
            body["deleteOptions"] = {"dryRun": ["All"]}
        func = self._typed("CoreV1Api").create_namespaced_pod_eviction
        try:
            return self._call("create", "evict", describe("Pod", name, namespace), func, name, namespace, body,
                              **self._write_kwargs())
        except K8sError as err:
            if err.status == 404:
                return None
            raise
