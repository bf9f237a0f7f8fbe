# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_k8s.resource on the in-memory FakeApi: a check-mode prediction is the dry-run answer, equal to
what the run then stores, for any workspace change; a dry run never stores (the kmock contract
test, test_k8s_dry_run_kmock.py, holds the same against an HTTP API server)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resource import K8sResource
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.workspace import Workspace
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.k8s.test_k8s_fake_api import FakeApi

members = st.lists(st.fixed_dictionaries({"name": st.sampled_from(["alice", "bob", "carol"]),
                                          "kind": st.sampled_from(["user", "group"]),
                                          "role": st.sampled_from(["admin", "edit", "view"])}),
                   max_size=3, unique_by=lambda m: (m["name"], m["kind"]))
workspaces = st.fixed_dictionaries({
    "quota": st.one_of(st.none(), st.fixed_dictionaries({"gpus": st.dictionaries(st.just("nvidia.com/gpu"), st.integers(0, 8)),
                                                         "pods": st.one_of(st.none(), st.integers(1, 20))})),
    "limit_range": st.one_of(st.none(), st.fixed_dictionaries({"cpu": st.sampled_from(["1", "500m"])})),
    "members": st.one_of(st.none(), members),
    "purge_members": st.booleans(),
    "network_isolation": st.one_of(st.none(), st.fixed_dictionaries({"enabled": st.booleans()})),
    "labels": st.one_of(st.none(), st.dictionaries(st.sampled_from(["team", "cost"]), st.sampled_from(["a", "b"]))),
})


def params(spec):
    return dict(spec, name="vision", namespace=None, annotations=None, force=False)


@settings(max_examples=50, deadline=None)
@given(first=st.one_of(st.none(), workspaces), second=workspaces)
def test_check_mode_predicts_exactly_what_the_run_stores(first, second):
    api = FakeApi()
    if first is not None:
        Workspace(api, params(first)).run()
    stored = copy.deepcopy(api.store)

    api.dry_run = True
    predicted = Workspace(api, params(second)).run()
    assert api.store == stored  # the dry run stored nothing

    api.dry_run = False
    applied = Workspace(api, params(second)).run()
    assert predicted == applied

    api.writes.clear()
    again = Workspace(api, params(second)).run()
    assert again["changed"] is False and api.writes == [] and again["workspace"] == applied["workspace"]


def test_a_prediction_needs_a_dry_run_api():
    resource = K8sResource(FakeApi(), {})
    with pytest.raises(K8sError, match="needs a dry-run API"):
        resource.predict_plan(None, [])


def test_admission_errors_of_the_dry_run_reach_the_user_and_nothing_is_stored():
    api = FakeApi()
    Workspace(api, params({"members": [{"name": "alice", "kind": "user", "role": "edit"}]})).run()
    stored = copy.deepcopy(api.store)
    api.dry_run = True
    resource = Workspace(api, params({}))
    live = resource.describe()
    binding = next(iter(live["RoleBinding"].values()))
    with pytest.raises(K8sError) as err:
        resource.patch("RoleBinding", binding["metadata"]["name"], {"roleRef": {"name": "admin"}}, "ws-vision")
    assert err.value.status == 422 and "cannot change roleRef" in err.value.msg
    assert api.store == stored
