# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory stand-in for ``_k8s.api.K8sApi``, injected into the GPU platform services by
the unit tests, and the tests that keep its semantics honest (the same ones the kmock
contract tests check against a real HTTP server)."""

from __future__ import annotations

import copy
import itertools

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import KINDS
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.tests.integration.kmock_cluster import admission, matches


def merge(target, patch):
    """RFC 7396 merge patch."""
    out = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        elif isinstance(value, dict):
            out[key] = merge({}, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class FakeApi:
    """Objects by (kind, namespace, name). ``dry_run`` mimics the server's: validate, answer, store nothing.

    ``writes`` records (verb, kind, namespace, name) of persisted writes; ``fail`` maps
    (verb, kind) to a K8sError to raise.
    """

    def __init__(self, objects=(), dry_run=False):
        self.store = {}
        self.dry_run = dry_run
        self.writes = []
        self.fail = {}
        self.calls = {}
        self._rv = itertools.count(100)
        for obj in objects:
            self.put(obj)

    def put(self, obj):
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("resourceVersion", str(next(self._rv)))
        self.store[(obj["kind"], meta.get("namespace"), meta["name"])] = obj
        return obj

    def _count(self, verb, kind):
        self.calls[verb] = self.calls.get(verb, 0) + 1
        if (verb, kind) in self.fail:
            raise self.fail[(verb, kind)]

    def _ns(self, kind, namespace):
        return namespace if KINDS[kind][2] else None

    def get(self, kind, name, namespace=None):
        self._count("get", kind)
        obj = self.store.get((kind, self._ns(kind, namespace), name))
        return copy.deepcopy(obj) if obj is not None else None

    def list(self, kind, namespace=None, label_selector=None, field_selector=None):
        self._count("list", kind)
        return [copy.deepcopy(o) for (k, ns, dummy), o in sorted(self.store.items(), key=lambda i: (i[0][1] or "", i[0][2]))
                if k == kind and (namespace is None or ns == namespace) and matches(o, label_selector, field_selector)]

    def create(self, kind, body, namespace=None):
        self._count("create", kind)
        namespace = self._ns(kind, namespace)
        name = body["metadata"]["name"]
        self._admit(kind, None, body)
        if (kind, namespace, name) in self.store:
            raise K8sError("%s %s already exists" % (kind, name), status=409, reason="AlreadyExists")
        if namespace and ("Namespace", None, namespace) not in self.store:
            raise K8sError('namespaces "%s" not found' % namespace, status=404, reason="NotFound")
        obj = copy.deepcopy(body)
        obj.setdefault("apiVersion", KINDS[kind][3])
        obj["kind"] = kind
        if namespace:
            obj["metadata"]["namespace"] = namespace
        if self.dry_run:
            return obj
        self.writes.append(("create", kind, namespace, name))
        return copy.deepcopy(self.put(obj))

    def patch(self, kind, name, patch, namespace=None):
        self._count("patch", kind)
        key = (kind, self._ns(kind, namespace), name)
        if key not in self.store:
            raise K8sError("%s %s not found" % (kind, name), status=404, reason="NotFound")
        obj = merge(self.store[key], patch)
        self._admit(kind, self.store[key], obj)
        if self.dry_run:
            return obj
        self.writes.append(("patch", kind, key[1], name))
        obj["metadata"]["resourceVersion"] = str(next(self._rv))
        self.store[key] = obj
        return copy.deepcopy(obj)

    @staticmethod
    def _admit(kind, current, new):
        """The server's validation (the same as kmock's), dry run or not."""
        message = admission(kind, current, new)
        if message:
            raise K8sError(message, status=422, reason="Invalid")

    def delete(self, kind, name, namespace=None, propagation="Background"):
        self._count("delete", kind)
        key = (kind, self._ns(kind, namespace), name)
        obj = self.store.get(key)
        if obj is None:
            return None
        if not self.dry_run:
            self.writes.append(("delete", kind, key[1], name))
            del self.store[key]
            if kind == "Namespace":
                for other in [k for k in self.store if k[1] == name]:
                    del self.store[other]
        return copy.deepcopy(obj)

    def evict(self, name, namespace):
        return self.delete("Pod", name, namespace)

    def objects(self, kind, namespace=None):
        return {k[2]: copy.deepcopy(v) for k, v in self.store.items() if k[0] == kind and (namespace is None or k[1] == namespace)}


def namespace(name="ws-vision", workspace="vision"):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"opsforge.io/workspace": workspace, "opsforge.io/kind": "workspace",
                                                  "app.kubernetes.io/managed-by": "opsforge"}},
            "status": {"phase": "Active"}}


# -- the fake's own contract --------------------------------------------------------------------
def test_fake_dry_run_stores_nothing():
    api = FakeApi([namespace()], dry_run=True)
    created = api.create("Secret", {"metadata": {"name": "s"}}, "ws-vision")
    assert created["metadata"]["namespace"] == "ws-vision"
    assert api.get("Secret", "s", "ws-vision") is None
    assert api.writes == []


def test_fake_merge_patch_and_selectors():
    api = FakeApi([namespace()])
    api.create("Secret", {"metadata": {"name": "s", "labels": {"a": "1", "b": "2"}}, "data": {"k": "dg=="}}, "ws-vision")
    api.patch("Secret", "s", {"metadata": {"labels": {"b": None}}, "data": {"x": "eA=="}}, "ws-vision")
    obj = api.get("Secret", "s", "ws-vision")
    assert obj["metadata"]["labels"] == {"a": "1"} and obj["data"] == {"k": "dg==", "x": "eA=="}
    assert [o["metadata"]["name"] for o in api.list("Secret", label_selector="a=1")] == ["s"]
    assert api.list("Secret", label_selector="a in (2,3)") == []


def test_fake_create_in_missing_namespace_is_404():
    with pytest.raises(K8sError) as err:
        FakeApi().create("Secret", {"metadata": {"name": "s"}}, "nope")
    assert err.value.status == 404


@pytest.mark.parametrize("dry_run", [True, False])
def test_fake_refuses_what_the_server_refuses_dry_run_or_not(dry_run):
    binding = {"metadata": {"name": "rb"}, "roleRef": {"kind": "ClusterRole", "name": "edit"}, "subjects": [{"kind": "User", "name": "a"}]}
    api = FakeApi([namespace(), dict(binding, kind="RoleBinding", metadata={"name": "rb", "namespace": "ws-vision"})], dry_run=dry_run)
    stored = copy.deepcopy(api.store)
    for write in (lambda: api.create("Secret", {"metadata": {"name": "Not_Valid"}}, "ws-vision"),
                  lambda: api.create("Namespace", {"metadata": {"name": "a.b"}}),
                  lambda: api.patch("RoleBinding", "rb", {"roleRef": {"name": "admin"}}, "ws-vision")):
        with pytest.raises(K8sError) as err:
            write()
        assert (err.value.status, err.value.reason) == (422, "Invalid")
    assert api.store == stored and api.writes == []
