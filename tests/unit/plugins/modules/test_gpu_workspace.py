# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_workspace with the API client injected (an in-memory FakeApi)."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.workspace import WorkspaceService, member_binding_name
from ansible_collections.opsforge.infra.plugins.modules import gpu_workspace
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.k8s.test_k8s_fake_api import FakeApi
from ansible_collections.opsforge.infra.tests.unit.plugins.modules import module_runner

PARAMS = dict(name="vision", namespace=None, labels=None, annotations=None, force=False, purge_members=True,
              quota={"gpus": {"nvidia.com/gpu": 8}, "cpu": "64", "memory": None, "storage": "1Ti", "pods": 20,
                     "persistent_volume_claims": None},
              limit_range=None,
              members=[{"name": "alice", "kind": "user", "role": "admin", "namespace": None}],
              network_isolation={"enabled": True, "allow_from_namespaces": []})


def params(**extra):
    out = dict(PARAMS)
    out.update(extra)
    return out


def run_module(monkeypatch, capsys, store, check=False, **args):
    """Run the module with ``store`` (a FakeApi) injected as its API client."""
    module_runner.inject_api(monkeypatch, gpu_workspace, store)
    return module_runner.run_module(capsys, gpu_workspace, check=check, **args)


def test_create_then_idempotent():
    api = FakeApi()
    changed, before, after = WorkspaceService(api).present(params())
    assert changed is True and before is None
    assert after["namespace"] == "ws-vision"
    assert after["quota"] == {"requests.nvidia.com/gpu": "8", "requests.cpu": "64", "requests.storage": "1Ti", "pods": "20"}
    assert sorted(k for k, dummy, dummy2 in [(w[1], w[2], w[3]) for w in api.writes]) == sorted(
        ["Namespace", "ResourceQuota", "RoleBinding", "NetworkPolicy"])
    api.writes.clear()
    changed, before, after2 = WorkspaceService(api).present(params())
    assert changed is False and api.writes == [] and after2 == before


def test_check_mode_on_a_new_workspace_predicts_without_writing():
    api = FakeApi(dry_run=True)
    changed, before, after = WorkspaceService(api).present(params())
    assert changed is True and api.writes == [] and api.store == {}
    assert after["quota"]["requests.nvidia.com/gpu"] == "8"
    assert after["members"] == [{"name": "alice", "kind": "User", "role": "admin"}]


def test_role_change_replaces_the_binding_and_removed_members_are_purged():
    api = FakeApi()
    WorkspaceService(api).present(params(members=[{"name": "alice", "kind": "user", "role": "admin", "namespace": None},
                                                  {"name": "bob", "kind": "user", "role": "view", "namespace": None}]))
    api.writes.clear()
    changed, dummy, after = WorkspaceService(api).present(
        params(members=[{"name": "alice", "kind": "user", "role": "view", "namespace": None}]))
    assert changed is True
    assert after["members"] == [{"name": "alice", "kind": "User", "role": "view"}]
    alice, bob = member_binding_name("User", "alice"), member_binding_name("User", "bob")
    assert ("delete", "RoleBinding", "ws-vision", bob) in api.writes
    assert ("delete", "RoleBinding", "ws-vision", alice) in api.writes
    assert api.objects("RoleBinding")[alice]["roleRef"]["name"] == "view"


def test_keep_unlisted_members_without_purge():
    api = FakeApi()
    WorkspaceService(api).present(params())
    changed, dummy, after = WorkspaceService(api).present(params(members=[], purge_members=False))
    assert changed is False and [m["name"] for m in after["members"]] == ["alice"]


def test_disabling_isolation_removes_the_policy():
    api = FakeApi()
    WorkspaceService(api).present(params())
    changed, dummy, after = WorkspaceService(api).present(params(network_isolation={"enabled": False}))
    assert changed is True and after["network_isolation"] is False
    assert api.objects("NetworkPolicy") == {}


@pytest.mark.parametrize("bad,message", [
    (dict(name="Vision_Team"), "workspace 'Vision_Team' is not a valid name"),
    (dict(quota={"gpus": {"amd.com/gpu": 1}}), "quota.gpus key 'amd.com/gpu' is not a GPU resource key"),
    (dict(quota={"cpu": "lots"}), "quota.cpu: invalid quantity 'lots'"),
    (dict(quota={"gpus": {"nvidia.com/gpu": "eight"}}), "quota.gpus[nvidia.com/gpu] must be a whole number, got 'eight'"),
    (dict(members=[{"name": "a", "kind": "user", "role": "owner"}]), "role 'owner' for a must be one of admin, edit, view"),
    (dict(members=[{"name": "a", "kind": "user", "role": "edit"}, {"name": "a", "kind": "user", "role": "view"}]),
     "User a is listed twice"),
])
def test_bad_input_fails_before_any_write(bad, message):
    api = FakeApi()
    with pytest.raises(K8sError) as err:
        WorkspaceService(api).present(params(**bad))
    assert message in err.value.msg
    assert api.writes == []


def test_absent_refuses_with_environments_unless_forced():
    api = FakeApi()
    WorkspaceService(api).present(params())
    api.put({"apiVersion": "apps/v1", "kind": "StatefulSet",
             "metadata": {"name": "e1", "namespace": "ws-vision",
                          "labels": {"app.kubernetes.io/managed-by": "opsforge", "opsforge.io/workspace": "vision",
                                     "opsforge.io/environment": "e1"}}, "spec": {}})
    with pytest.raises(K8sError, match="still has 1 environment"):
        WorkspaceService(api).absent(params())
    assert "ws-vision" in api.objects("Namespace")
    changed, before, after = WorkspaceService(api).absent(params(force=True))
    assert changed and before["environments"] == ["e1"] and after is None
    assert api.objects("Namespace") == {}
    assert WorkspaceService(api).absent(params()) == (False, None, None)


def test_module_check_diff_and_failure(monkeypatch, capsys):
    api = FakeApi()
    result = run_module(monkeypatch, capsys, api, check=True, name="vision", quota={"gpus": {"nvidia.com/gpu": 2}})
    assert result["changed"] is True and api.store == {}
    assert result["diff"]["before"] is None and result["diff"]["after"]["quota"] == {"requests.nvidia.com/gpu": "2"}
    result = run_module(monkeypatch, capsys, api, name="vision", quota={"gpus": {"nvidia.com/gpu": 2}})
    assert result["changed"] is True and result["workspace"]["network_isolation"] is True
    result = run_module(monkeypatch, capsys, api, name="vision", quota={"gpus": {"nvidia.com/gpu": 2}})
    assert result["changed"] is False
    api.fail[("get", "Namespace")] = K8sError("Kubernetes API refused to get Namespace ws-vision: 403 Forbidden", status=403)
    result = run_module(monkeypatch, capsys, api, name="vision")
    assert result["failed"] is True and result["msg"].endswith("403 Forbidden") and result["status"] == 403


# -- members keyed as Kubernetes keys subjects (#21) ------------------------------------------
def _member(name, kind="user", role="edit", namespace=None):
    return {"name": name, "kind": kind, "role": role, "namespace": namespace}


def _subjects(api):
    return sorted((b["subjects"][0]["kind"], b["subjects"][0]["name"], b["roleRef"]["name"])
                  for b in api.objects("RoleBinding").values())


def test_members_that_slug_alike_are_distinct_subjects():
    members = [_member("Alice", role="admin"), _member("alice", role="view"),
               _member("j.doe@x"), _member("j-doe@x", role="view")]
    api = FakeApi()
    changed, dummy, after = WorkspaceService(api).present(params(members=members))
    assert changed is True
    assert _subjects(api) == [("User", "Alice", "admin"), ("User", "alice", "view"),
                              ("User", "j-doe@x", "view"), ("User", "j.doe@x", "edit")]
    assert sorted((m["name"], m["role"]) for m in after["members"]) == [
        ("Alice", "admin"), ("alice", "view"), ("j-doe@x", "view"), ("j.doe@x", "edit")]
    api.writes.clear()
    assert WorkspaceService(api).present(params(members=members))[0] is False and api.writes == []


def test_a_real_duplicate_is_still_refused_whatever_the_kind_spelling():
    api = FakeApi()
    with pytest.raises(K8sError, match="members: User alice is listed twice"):
        WorkspaceService(api).present(params(members=[_member("alice"), _member("alice", kind="User", role="view")]))
    assert api.writes == []


def test_an_update_without_members_leaves_members_alone():
    api = FakeApi()
    WorkspaceService(api).present(params(members=[_member("alice", role="admin"), _member("bob")]))
    api.writes.clear()
    changed, dummy, after = WorkspaceService(api).present(params(members=None, quota={"gpus": {"nvidia.com/gpu": 2}}))
    assert changed is True
    assert [w for w in api.writes if w[1] == "RoleBinding"] == []
    assert sorted(m["name"] for m in after["members"]) == ["alice", "bob"]


def test_bindings_of_the_old_naming_are_adopted_not_churned():
    old = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
           "metadata": {"name": "opsforge-member-user-alice", "namespace": "ws-vision",
                        "labels": {"app.kubernetes.io/managed-by": "opsforge", "opsforge.io/workspace": "vision",
                                   "opsforge.io/role": "admin"}},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
           "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}]}
    api = FakeApi()
    WorkspaceService(api).present(params(members=[]))
    api.put(old)
    api.writes.clear()
    changed, dummy, dummy2 = WorkspaceService(api).present(params(members=[_member("alice", role="admin")]))
    assert changed is False and api.writes == []


SUBJECT_NAMES = st.text(alphabet="aAbB.-_@:0", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["User", "Group", "ServiceAccount"]), SUBJECT_NAMES,
       st.sampled_from(["User", "Group", "ServiceAccount"]), SUBJECT_NAMES)
def test_binding_names_are_valid_and_never_collide_for_distinct_subjects(kind1, name1, kind2, name2):
    first, second = member_binding_name(kind1, name1), member_binding_name(kind2, name2)
    for name in (first, second):
        assert len(name) <= 253 and re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name), name
    assert (first == second) == ((kind1, name1) == (kind2, name2))


# -- the isolation policy admits the access paths the collection creates (#21) -----------------
def _selects(selector, labels):
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def _peer_admits(peer, source):
    if "ipBlock" in peer:
        if source.get("ip") is None:
            return False
        net = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        ip = ipaddress.ip_address(source["ip"])
        return ip.version == net.version and ip in net and not any(
            ip in ipaddress.ip_network(e) for e in peer["ipBlock"].get("except") or [] if ip.version == net.version)
    if source.get("namespace") is None:
        return False
    ns_ok = _selects(peer["namespaceSelector"], source["namespace_labels"]) if "namespaceSelector" in peer \
        else source["namespace"] == "ws-vision"
    return ns_ok and _selects(peer.get("podSelector") or {}, source.get("pod_labels") or {})


def admits(policy, container_ports, source, port):
    """NetworkPolicy ingress semantics for one pod of the policy's namespace (selected by ``{}``)."""
    for rule in policy["spec"].get("ingress") or []:
        ports = rule.get("ports")
        port_ok = not ports or any(p.get("port") in (port, {v: k for k, v in container_ports.items()}.get(port))
                                   for p in ports)
        peers = rule.get("from")
        if port_ok and (not peers or any(_peer_admits(peer, source) for peer in peers)):
            return True
    return False


ENV_PORTS = {"ssh": 2222, "jupyter": 8888, "rdp": 3389, "metrics": 9100}
OUTSIDE = {"ip": "203.0.113.7"}
SAME_NS = {"namespace": "ws-vision", "namespace_labels": {"kubernetes.io/metadata.name": "ws-vision"}, "pod_labels": {}}
OTHER_NS = {"namespace": "batch", "namespace_labels": {"kubernetes.io/metadata.name": "batch"}, "pod_labels": {}}


def test_isolation_admits_ssh_jupyter_rdp_from_outside_and_nothing_else():
    api = FakeApi()
    WorkspaceService(api).present(params())
    policy = api.objects("NetworkPolicy")["opsforge-isolation"]
    for port in (2222, 8888, 3389):
        assert admits(policy, ENV_PORTS, OUTSIDE, port), "NodePort/LoadBalancer clients reach port %d" % port
        assert admits(policy, ENV_PORTS, SAME_NS, port)
    assert not admits(policy, ENV_PORTS, OUTSIDE, 9100), "ports the collection does not expose stay closed"
    assert admits(policy, ENV_PORTS, SAME_NS, 9100), "the workspace still talks to itself"
    assert not admits(policy, ENV_PORTS, OTHER_NS, 9100)


def test_isolation_access_sources_can_be_narrowed_or_closed():
    api = FakeApi()
    WorkspaceService(api).present(params(network_isolation={"enabled": True, "allow_from_namespaces": ["batch"],
                                                            "access_cidrs": ["198.51.100.0/24"]}))
    policy = api.objects("NetworkPolicy")["opsforge-isolation"]
    assert not admits(policy, ENV_PORTS, OUTSIDE, 2222)
    assert admits(policy, ENV_PORTS, {"ip": "198.51.100.9"}, 2222)
    assert admits(policy, ENV_PORTS, OTHER_NS, 9100), "allow_from_namespaces still admits whole namespaces"
    WorkspaceService(api).present(params(network_isolation={"enabled": True, "access_cidrs": []}))
    policy = api.objects("NetworkPolicy")["opsforge-isolation"]
    assert not admits(policy, ENV_PORTS, OUTSIDE, 2222)
    with pytest.raises(K8sError, match="network_isolation.access_cidrs: 'ten' is not a CIDR"):
        WorkspaceService(FakeApi()).present(params(network_isolation={"enabled": True, "access_cidrs": ["ten"]}))


def test_a_second_binding_of_the_same_subject_is_purged():
    api = FakeApi()
    WorkspaceService(api).present(params(members=[_member("alice", role="admin")]))
    binding = api.objects("RoleBinding")[member_binding_name("User", "alice")]
    api.put(dict(binding, metadata=dict(binding["metadata"], name="opsforge-member-user-alice")))
    changed, dummy, after = WorkspaceService(api).present(params(members=[_member("alice", role="admin")]))
    assert changed is True and len(api.objects("RoleBinding")) == 1
    assert after["members"] == [{"name": "alice", "kind": "User", "role": "admin"}]
    assert WorkspaceService(api).present(params(members=[_member("alice", role="admin")]))[0] is False
