# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A kmock Kubernetes API on 127.0.0.1 for contract tests, with kmock's gaps filled.

kmock 0.8's ``KubernetesEmulator`` is a real HTTP server that the real ``kubernetes``
client talks to, storing objects in memory. It lacks a few things our modules rely on;
:class:`OpsforgeEmulator` adds them by wrapping the request handler:

- **Namespaces**: ``POST /api/v1/namespaces`` fails inside kmock (its URL parser reads the
  path as a namespaced request). Namespace CRUD is served here from a dict; deleting a
  namespace cascades to the objects in it, and creating an object in a namespace that does
  not exist answers 404 like a real apiserver.
- **Label and field selectors**: kmock ignores ``labelSelector`` / ``fieldSelector`` on
  lists. They are applied here (``k=v``, ``k!=v``, ``k``, ``!k``, ``k in (a,b)``, and
  field paths such as ``spec.nodeName`` or ``status.phase``).
- **Dry run**: kmock persists ``?dryRun=All`` writes. Here a dry-run create / patch /
  delete computes the answer (merge patch applied to a copy) and stores nothing, after the
  same checks as the real write: its answer is what the real write then stores.
- **Validation and defaults** (:func:`admission`), for dry-run and real writes alike: a name
  that is not a DNS subdomain (a DNS label for Namespaces and Services) is ``422 Invalid``, a
  RoleBinding's ``roleRef`` cannot change (``422``), a create of an existing object is
  ``409 AlreadyExists``; a Namespace gets ``spec.finalizers: [kubernetes]``.
- **Server-set metadata**: created objects get ``uid``, ``resourceVersion``,
  ``creationTimestamp`` and ``namespace``; every patch bumps ``resourceVersion``.
- **Eviction**: ``POST .../pods/NAME/eviction`` deletes the pod.

Server-side apply is not emulated (our modules use JSON merge patches, which kmock's
``patch`` implements: dicts merge, lists replace, ``None`` removes).

No controllers run: tests seed Pods/Nodes (with ``status``) themselves via
:meth:`KmockCluster.seed` to play the scheduler and kubelet.

Use it as a context manager, for example in a pytest fixture (see the ``cluster`` fixture of
``test_gpu_platform_kmock.py``; ports 20000-20099 by default, pass ``low``/``high`` for
another range)::

    with KmockCluster() as cluster:
        cluster.kubeconfig      # path of a kubeconfig pointing at it
        cluster.seed({"apiVersion": "v1", "kind": "Node", ...})
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import json
import os
import re
import socket
import tempfile
import threading
import uuid

import aiohttp.web
import kmock
from kmock._internal import dicts as _kdicts
from kmock._internal import enums as _kenums

NS_PATH = re.compile(r"^/api/v1/namespaces(?:/([^/]+))?$")
EVICTION_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/eviction$")

PLURALS = {
    "v1": ["pods", "services", "secrets", "configmaps", "persistentvolumeclaims", "resourcequotas",
           "limitranges", "events", "nodes", "serviceaccounts"],
    "apps/v1": ["statefulsets", "deployments"],
    "rbac.authorization.k8s.io/v1": ["rolebindings", "roles", "clusterroles", "clusterrolebindings"],
    "networking.k8s.io/v1": ["networkpolicies"],
}


DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
KIND_OF = {"namespaces": "Namespace", "services": "Service", "rolebindings": "RoleBinding", "clusterrolebindings": "ClusterRoleBinding"}


def admission(kind, current, new):
    """The API server's validation message for writing ``new`` over ``current`` (``None`` when
    creating), or ``None`` when it is admitted. Shared with the unit tests' FakeApi."""
    name = str((new.get("metadata") or {}).get("name") or "")
    pattern, limit, what = (DNS_LABEL, 63, "label") if kind in ("Namespace", "Service") else (DNS_SUBDOMAIN, 253, "subdomain")
    if len(name) > limit or not pattern.match(name):
        return ("%s %r is invalid: metadata.name: Invalid value: %r: a lowercase RFC 1123 %s must consist of lower case "
                "alphanumeric characters, '-'%s, start and end with an alphanumeric character, at most %d characters"
                % (kind, name, name, what, "" if what == "label" else " or '.'", limit))
    if kind in ("RoleBinding", "ClusterRoleBinding") and current is not None and current.get("roleRef") != new.get("roleRef"):
        return "%s %r is invalid: roleRef: Invalid value: %r: cannot change roleRef" % (kind, name, new.get("roleRef"))
    return None


def _invalid(kind, current, new):
    message = admission(kind, current, new)
    return _status(422, "Invalid", message) if message else None


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _status(code, reason, message):
    return aiohttp.web.json_response(
        {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "code": code,
         "reason": reason, "message": message}, status=code)


def _field(obj, path):
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _match_one(term, get):
    term = term.strip()
    if not term:
        return True
    found = re.match(r"^(\S+)\s+(notin|in)\s+\((.*)\)$", term)
    if found:
        key, op, values = found.group(1), found.group(2), [v.strip() for v in found.group(3).split(",")]
        value = get(key)
        return (value in values) if op == "in" else (value not in values)
    if "!=" in term:
        key, value = term.split("!=", 1)
        return get(key.strip()) != value.strip()
    if "==" in term or "=" in term:
        key, value = re.split(r"==?", term, maxsplit=1)
        return get(key.strip()) == value.strip()
    if term.startswith("!"):
        return get(term[1:]) is None
    return get(term) is not None


def _split_selector(selector):
    parts, depth, cur = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += char
    parts.append(cur)
    return parts


def matches(obj, label_selector=None, field_selector=None):
    """Whether ``obj`` matches the label and field selectors (the subset real clients use)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in _split_selector(label_selector or ""):
        if not _match_one(term, labels.get):
            return False
    for term in _split_selector(field_selector or ""):
        if not _match_one(term, lambda path: None if _field(obj, path) is None else str(_field(obj, path))):
            return False
    return True


class OpsforgeEmulator(kmock.KubernetesEmulator):
    """kmock's emulator with namespaces, selectors, dry run and metadata (see module doc)."""

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.namespaces = {}
        self.namespace_requests = []
        self._rv = 1
        for group_version, plurals in PLURALS.items():
            for plural in plurals:
                self.resources["%s/%s" % (group_version, plural)] = {}

    def _next_rv(self):
        self._rv += 1
        return str(self._rv)

    def _stamp(self, body, namespace):
        meta = body.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", _now())
        meta["resourceVersion"] = self._next_rv()
        if namespace:
            meta["namespace"] = namespace
        return body

    def _find(self, request, name):
        for (resource, namespace, obj_name), obj in self.objects.items():
            if resource == request.resource and namespace == request.namespace and obj_name == name and not obj.deleted:
                return obj
        return None

    async def __call__(self, raw_request):
        found = NS_PATH.match(raw_request.path)
        if not found:
            return await super().__call__(raw_request)
        body = await raw_request.read()
        self.namespace_requests.append((raw_request.method, raw_request.path, dict(raw_request.query)))
        try:
            data = json.loads(body) if body else None
            return self._serve_namespaces(raw_request.method.upper(), dict(raw_request.query), data, found.group(1))
        except Exception as exc:  # pylint: disable=broad-except
            return _status(500, type(exc).__name__, repr(exc))

    async def _handle(self, request):
        path = request.url.path
        found = EVICTION_PATH.match(path)
        if found and request.method == _kenums.method.POST:
            return await self._evict(request, found.group(1), found.group(2))
        if request.resource is not None and request.namespace and request.namespace not in self.namespaces \
                and request.action == _kenums.action.CREATE:
            return _status(404, "NotFound", 'namespaces "%s" not found' % request.namespace)
        dry_run = request.params.get("dryRun") == "All"
        kind = KIND_OF.get(getattr(request.resource, "plural", None), "object")
        if request.action == _kenums.action.CREATE and isinstance(request.data, dict):
            name = (request.data.get("metadata") or {}).get("name")
            refused = _invalid(kind, None, request.data)
            if refused is not None:
                return refused
            if self._find(request, name) is not None:
                return _status(409, "AlreadyExists", '%s "%s" already exists' % (request.resource.plural, name))
            self._stamp(request.data, request.namespace)
            if dry_run:
                return aiohttp.web.json_response(request.data, status=201)
        elif request.action == _kenums.action.UPDATE and request.name is not None:
            current = self._find(request, request.name)
            if current is None:
                return _status(404, "NotFound", '%s "%s" not found' % (request.resource.plural, request.name))
            updated = dict(_kdicts.patch_dict(copy.deepcopy(current.raw), request.data))
            refused = _invalid(kind, current.raw, updated)
            if refused is not None:
                return refused
            if dry_run:
                return aiohttp.web.json_response(updated)
            if isinstance(request.data, dict):
                request.data.setdefault("metadata", {})["resourceVersion"] = self._next_rv()
        elif request.action == _kenums.action.DELETE and request.name is not None:
            current = self._find(request, request.name)
            if current is None:
                return _status(404, "NotFound", '%s "%s" not found' % (request.resource.plural, request.name))
            if dry_run or (isinstance(request.data, dict) and request.data.get("dryRun")):
                return aiohttp.web.json_response(current.raw)
        elif request.action in (_kenums.action.FETCH,) and request.name is not None:
            if self._find(request, request.name) is None:
                return _status(404, "NotFound", '%s "%s" not found' % (request.resource.plural, request.name))
        return await super()._handle(request)

    async def _serve_list(self, request):
        result = await super()._serve_list(request)
        label_selector = request.params.get("labelSelector")
        field_selector = request.params.get("fieldSelector")
        result["items"] = [i for i in result["items"] if matches(i, label_selector, field_selector)]
        return result

    async def _evict(self, request, namespace, name):
        for key, obj in list(self.objects.items()):
            resource, obj_ns, obj_name = key
            if resource.plural == "pods" and obj_ns == namespace and obj_name == name and not obj.deleted:
                if request.params.get("dryRun") != "All":
                    obj.delete()
                return aiohttp.web.json_response({"apiVersion": "v1", "kind": "Status", "status": "Success", "code": 201},
                                                 status=201)
        return _status(404, "NotFound", 'pods "%s" not found' % name)

    def _serve_namespaces(self, method, params, data, name):
        dry_run = params.get("dryRun") == "All"
        if name is None and method == "GET":
            items = [copy.deepcopy(ns) for ns in self.namespaces.values()
                     if matches(ns, params.get("labelSelector"), params.get("fieldSelector"))]
            return aiohttp.web.json_response({"apiVersion": "v1", "kind": "NamespaceList", "metadata": {}, "items": items})
        if name is None and method == "POST":
            body = copy.deepcopy(data)
            ns_name = body["metadata"]["name"]
            refused = _invalid("Namespace", None, body)
            if refused is not None:
                return refused
            if ns_name in self.namespaces:
                return _status(409, "AlreadyExists", 'namespaces "%s" already exists' % ns_name)
            body.update(apiVersion="v1", kind="Namespace")
            self._stamp(body, None)
            body["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = ns_name
            body.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            body["status"] = {"phase": "Active"}
            if not dry_run:
                self.namespaces[ns_name] = body
            return aiohttp.web.json_response(body, status=201)
        if name not in self.namespaces:
            return _status(404, "NotFound", 'namespaces "%s" not found' % name)
        current = self.namespaces[name]
        if method == "GET":
            return aiohttp.web.json_response(current)
        if method == "PATCH":
            updated = dict(_kdicts.patch_dict(copy.deepcopy(current), data))
            updated["metadata"]["resourceVersion"] = self._next_rv()
            if not dry_run:
                self.namespaces[name] = updated
            return aiohttp.web.json_response(updated)
        if method == "DELETE":
            if not dry_run:
                del self.namespaces[name]
                for (_resource, namespace, _obj_name), obj in list(self.objects.items()):
                    if namespace == name and not obj.deleted:
                        obj.delete()
            gone = copy.deepcopy(current)
            gone["status"] = {"phase": "Terminating"}
            return aiohttp.web.json_response(gone)
        return _status(405, "MethodNotAllowed", method)


def free_port(low=20000, high=20099):
    """The first port in [low, high] that 127.0.0.1 can bind now."""
    for port in range(low, high + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in %d-%d" % (low, high))


class KmockCluster:
    """The emulator served on 127.0.0.1:``port`` from a background thread."""

    def __init__(self, port=None, low=20000, high=20099):
        self.port = port or free_port(low, high)
        self.handler = None
        self._loop = None
        self._stop = None
        self._thread = None
        self._ready = threading.Event()
        self._error = None
        self._tmpdir = tempfile.mkdtemp(prefix="kmock-")
        self.kubeconfig = os.path.join(self._tmpdir, "kubeconfig")
        self.url = "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self._thread = threading.Thread(target=self._run, name="kmock-%d" % self.port, daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("kmock did not start on port %d" % self.port)
        if self._error:
            raise self._error
        with open(self.kubeconfig, "w") as handle:
            json.dump({
                "apiVersion": "v1", "kind": "Config", "current-context": "kmock",
                "clusters": [{"name": "kmock", "cluster": {"server": self.url}}],
                "users": [{"name": "tester", "user": {"token": "kmock-token"}}],
                "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "tester"}}],
            }, handle)

    def _run(self):
        async def main():
            self._stop = asyncio.Event()
            try:
                async with OpsforgeEmulator() as handler, kmock.Server(handler, host="127.0.0.1", port=self.port):
                    self.handler = handler
                    self._ready.set()
                    await self._stop.wait()
            except Exception as exc:  # pragma: no cover - reported to the starting thread
                self._error = exc
                self._ready.set()

        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(main())
        self._loop.close()

    def stop(self):
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)

    # -- helpers for tests -------------------------------------------------------------
    def api_client(self):
        import kubernetes

        config = kubernetes.client.Configuration()
        config.host = self.url
        return kubernetes.client.ApiClient(config)

    def seed(self, *objects):
        """Create objects as they are (status included), as a controller or kubelet would."""
        from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import K8sApi

        api = K8sApi(self.api_client(), retries=0)
        out = []
        for obj in objects:
            namespace = (obj.get("metadata") or {}).get("namespace")
            out.append(api.create(obj["kind"], copy.deepcopy(obj), namespace))
        return out

    def objects(self, plural, namespace=None):
        """Live (not deleted) objects of a resource plural, as dicts, by name."""
        if plural == "namespaces":
            return {k: copy.deepcopy(v) for k, v in self.handler.namespaces.items()}
        out = {}
        for (resource, obj_ns, name), obj in list(self.handler.objects.items()):
            if resource.plural == plural and not obj.deleted and (namespace is None or obj_ns == namespace):
                out[name] = copy.deepcopy(dict(obj.raw))
        return out

    def requests(self):
        """(method, path, params) of every request the emulator saw, oldest first."""
        return [(str(r.method.value if hasattr(r.method, "value") else r.method).upper(), r.url.path, dict(r.params))
                for r in list(self.handler)]


def module_caller(cluster, capsys):
    """``call(module, check=False, **args)``: run a module's main() in-process against ``cluster``
    (``module_runner.run_module`` with its kubeconfig); its JSON result (``failed`` on fail_json)."""
    from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module  # pylint: disable=import-outside-toplevel

    def call(module, check=False, **args):
        return run_module(capsys, module, check=check, kubeconfig=cluster.kubeconfig, **args)
    return call
