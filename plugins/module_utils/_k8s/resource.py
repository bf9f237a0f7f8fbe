# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Kubernetes on the collection's one resource loop (``_common/resource.py``).

A Kubernetes resource is a set of objects. Its plan is a list of writes (create, merge patch,
delete), each an :class:`Action`. In check mode the API is a dry-run one (``K8sApi(dry_run=True)``
sends ``dryRun=All``, as ``kubectl --dry-run=server``): the plan's writes are sent, the server
validates, admits and defaults each object and stores nothing, and its answers *are* the
prediction. :meth:`K8sResource.answered` lays the answers over the objects read at the start.

The server cannot answer for an object whose namespace is itself only created by this plan
(it would answer 404; such objects are not sent), nor for an object re-created after a delete
of the same plan (409: the dry-run delete removed nothing). Only there the object as sent
stands in for the answer.
"""

from __future__ import annotations

import copy

from ansible_collections.opsforge.infra.plugins.module_utils._common.resource import Action, Resource
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import KINDS
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import extra_keys, is_subset, merge_patch, strip_type


class K8sResource(Resource):
    """``K8sResource(api, params)``; ``self.answers`` maps ``(kind, namespace, name)`` to the
    server's answer to this run's last write of that object (``None``: deleted)."""

    error_type = K8sError
    report_actions = False
    missing_as_none = True

    def __init__(self, api, params):
        super().__init__(params, check_mode=api.dry_run)
        self.api = api
        self.answers = {}
        self.new_namespaces = set()  # namespaces this plan creates

    @staticmethod
    def key(kind, name, namespace=None):
        return (kind, namespace if KINDS[kind][2] else None, name)

    # -- writes that record the answer ------------------------------------------------------
    def create(self, kind, body, namespace=None):
        key = self.key(kind, body["metadata"]["name"], namespace)
        if self.api.dry_run and key[1] in self.new_namespaces:
            answer = _as_sent(kind, body, key[1])  # the server would answer 404: its namespace is not there yet
        else:
            try:
                answer = self.api.create(kind, body, namespace)
            except K8sError as err:
                if not (self.api.dry_run and err.status == 409 and key in self.answers):
                    raise
                answer = _as_sent(kind, body, key[1])  # re-created after a dry-run delete that removed nothing
        if kind == "Namespace":
            self.new_namespaces.add(key[2])
        self.answers[key] = answer or body
        return self.answers[key]

    def patch(self, kind, name, patch, namespace=None):
        key = self.key(kind, name, namespace)
        self.answers[key] = self.api.patch(kind, name, patch, namespace)
        return self.answers[key]

    def delete(self, kind, name, namespace=None, propagation="Background"):
        answer = self.api.delete(kind, name, namespace, propagation=propagation)
        self.answers[self.key(kind, name, namespace)] = None
        return answer

    # -- plans --------------------------------------------------------------------------------
    def converge(self, kind, desired, current, namespace=None, replace_paths=()):
        """The actions turning ``current`` (live or ``None``) into ``desired``: create, merge patch or none."""
        name = desired["metadata"]["name"]
        if current is None:
            return [Action("create %s %s" % (kind, name), lambda: self.create(kind, desired, namespace))]
        if is_subset(strip_type(desired), current) and not extra_keys(current, desired, replace_paths):
            return []
        patch = merge_patch(current, desired, replace_paths)
        return [Action("patch %s %s" % (kind, name), lambda: self.patch(kind, name, patch, namespace))]

    def remove(self, kind, name, namespace=None, propagation="Background"):
        return [Action("delete %s %s" % (kind, name), lambda: self.delete(kind, name, namespace, propagation))]

    def answered(self, kind, current, name, namespace=None):
        """``current`` as the server answered this run's writes of it (unchanged when not written)."""
        key = self.key(kind, name, namespace)
        return self.answers[key] if key in self.answers else current

    def predict_plan(self, current, actions):
        """Check mode: send the plan with ``dryRun=All``; the server's answers are the prediction."""
        if not self.api.dry_run:
            raise K8sError("internal error: a check-mode prediction needs a dry-run API")
        self.apply(actions)
        return self.predict(current)


def _as_sent(kind, body, namespace):
    out = copy.deepcopy(body)
    out.setdefault("apiVersion", KINDS[kind][3])
    out["kind"] = kind
    if namespace:
        out.setdefault("metadata", {})["namespace"] = namespace
    return out
