# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The _k8s base: K8sApi over an injected typed client, error translation, constants, quantities."""

from __future__ import annotations

import decimal
import json
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kubernetes.client.exceptions import ApiException

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import MERGE_PATCH, K8sApi
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, build_api_client
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError, translate
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import (
    ensure,
    format_quantity,
    is_subset,
    merge_patch,
    parse_quantity,
)
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.k8s.test_k8s_fake_api import FakeApi, namespace


class Response:
    def __init__(self, data):
        self.data = json.dumps(data).encode()


def api_error(status, reason="", message=""):
    exc = ApiException(status=status, reason=reason)
    exc.body = json.dumps({"kind": "Status", "reason": reason, "message": message})
    return exc


def make_api(dry_run=False, **typed):
    api = K8sApi(api_client=object(), dry_run=dry_run, retries=2, retry_delay=0, sleep=lambda s: None)
    for name, fake in typed.items():
        api._apis[name] = fake
    return api


def test_get_returns_the_servers_json_and_none_on_404():
    apps = mock.Mock()
    apps.read_namespaced_stateful_set.side_effect = [Response({"metadata": {"name": "e"}}), api_error(404, "NotFound")]
    api = make_api(AppsV1Api=apps)
    assert api.get("StatefulSet", "e", "ws-a") == {"metadata": {"name": "e"}}
    assert api.get("StatefulSet", "e", "ws-a") is None
    apps.read_namespaced_stateful_set.assert_called_with("e", "ws-a", _preload_content=False)


def test_errors_are_translated_with_the_servers_message():
    core = mock.Mock()
    core.create_namespace.side_effect = api_error(403, "Forbidden", 'namespaces is forbidden: User "bob" cannot create')
    with pytest.raises(K8sError) as err:
        make_api(CoreV1Api=core).create("Namespace", {"metadata": {"name": "ws-a"}})
    assert err.value.msg == ('Kubernetes API refused to create Namespace ws-a: 403 Forbidden: '
                             'namespaces is forbidden: User "bob" cannot create')
    assert err.value.status == 403
    assert err.value.fail_kwargs()["reason"] == "Forbidden"


def test_throttling_is_retried_then_succeeds():
    core = mock.Mock()
    core.list_node.side_effect = [api_error(429, "TooManyRequests"), Response({"items": [{"metadata": {"name": "n"}}]})]
    items = make_api(CoreV1Api=core).list("Node")
    assert items == [{"metadata": {"name": "n"}, "apiVersion": "v1", "kind": "Node"}]
    assert core.list_node.call_count == 2


def test_client_errors_are_not_retried():
    core = mock.Mock()
    core.list_node.side_effect = api_error(400, "BadRequest", "bad selector")
    with pytest.raises(K8sError, match="bad selector"):
        make_api(CoreV1Api=core).list("Node", label_selector="!!")
    assert core.list_node.call_count == 1


def test_writes_carry_dry_run_in_check_mode_and_patch_is_a_merge_patch():
    apps = mock.Mock()
    apps.patch_namespaced_stateful_set.return_value = Response({})
    apps.delete_namespaced_stateful_set.return_value = Response({})
    api = make_api(dry_run=True, AppsV1Api=apps)
    api.patch("StatefulSet", "e", {"spec": {"replicas": 0}}, "ws-a")
    apps.patch_namespaced_stateful_set.assert_called_once_with(
        "e", "ws-a", {"spec": {"replicas": 0}}, _content_type=MERGE_PATCH, dry_run="All", _preload_content=False)
    api.delete("StatefulSet", "e", "ws-a")
    kwargs = apps.delete_namespaced_stateful_set.call_args.kwargs
    assert kwargs["dry_run"] == "All" and kwargs["body"]["dryRun"] == ["All"]


def test_namespaced_kind_without_namespace_is_refused_before_any_call():
    with pytest.raises(K8sError, match="StatefulSet is namespaced"):
        make_api(AppsV1Api=mock.Mock()).create("StatefulSet", {"metadata": {"name": "e"}})


def test_list_all_namespaces_uses_the_for_all_namespaces_call():
    core = mock.Mock()
    core.list_pod_for_all_namespaces.return_value = Response({"items": []})
    make_api(CoreV1Api=core).list("Pod", field_selector="spec.nodeName=n1")
    core.list_pod_for_all_namespaces.assert_called_once_with(field_selector="spec.nodeName=n1", _preload_content=False)


def test_connection_errors_become_k8serror():
    err = translate(ConnectionRefusedError("refused"), "get", "Node n1")
    assert isinstance(err, K8sError) and err.status is None
    assert err.msg == "Could not reach the Kubernetes API to get Node n1: refused"


def test_auth_options_are_kubernetes_cores():
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

    assert AUTH_SPEC.argument_spec == AUTH_ARG_SPEC
    assert AUTH_SPEC.argument_spec["api_key"]["no_log"] is True


def test_bad_kubeconfig_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(K8sError, match="Could not"):
        build_api_client({"kubeconfig": str(missing)})


def test_api_key_and_host_configure_the_client_through_kubernetes_core(monkeypatch):
    """kubernetes.core builds the configuration; its dynamic client (which calls /version
    at once) is replaced so no request leaves the test."""
    import kubernetes

    from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as core_client

    class Dynamic:
        def __init__(self, configuration, **headers):
            self.client = kubernetes.client.ApiClient(configuration)
            self.headers = headers

    monkeypatch.setattr(core_client, "create_api_client", Dynamic)
    client = build_api_client({"host": "https://127.0.0.1:20443/", "api_key": "tok", "validate_certs": False})
    assert client.configuration.host == "https://127.0.0.1:20443"
    assert client.configuration.api_key == {"authorization": "Bearer tok"}
    assert client.configuration.verify_ssl is False


# -- resources ------------------------------------------------------------------------------
@pytest.mark.parametrize("text,value", [("500m", "0.5"), ("2", "2"), ("8Gi", str(8 * 2 ** 30)), ("1k", "1000"),
                                        ("1.5", "1.5"), (4, "4"), ("100M", "100000000")])
def test_parse_quantity(text, value):
    assert parse_quantity(text) == decimal.Decimal(value)


def test_parse_quantity_rejects_garbage():
    with pytest.raises(ValueError, match="invalid quantity 'lots'"):
        parse_quantity("lots")


@given(st.integers(min_value=1, max_value=2 ** 20))
def test_binary_quantities_round_trip(mebibytes):
    text = format_quantity(parse_quantity("%dMi" % mebibytes), binary=True)
    assert parse_quantity(text) == parse_quantity("%dMi" % mebibytes)


def test_is_subset_ignores_server_defaults_but_not_list_changes():
    live = {"spec": {"containers": [{"name": "c", "image": "x", "terminationMessagePath": "/dev/t"}], "cpu": "1000m"}}
    assert is_subset({"spec": {"containers": [{"name": "c", "image": "x"}], "cpu": "1"}}, live)
    assert not is_subset({"spec": {"containers": [{"name": "c", "image": "y"}]}}, live)
    assert not is_subset({"spec": {"containers": []}}, live)


def test_merge_patch_removes_keys_at_replace_paths_only():
    current = {"metadata": {"labels": {"a": "1", "x": "foreign"}}, "spec": {"hard": {"pods": "10", "requests.cpu": "4"}}}
    desired = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"labels": {"a": "1"}}, "spec": {"hard": {"pods": "5"}}}
    patch = merge_patch(current, desired, replace_paths=(("spec", "hard"),))
    assert patch == {"metadata": {"labels": {"a": "1"}}, "spec": {"hard": {"pods": "5", "requests.cpu": None}}}


def test_ensure_creates_then_is_idempotent_then_patches():
    api = FakeApi([namespace()])
    want = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ws-vision"}, "data": {"k": "dg=="}}
    assert ensure(api, "Secret", want, "ws-vision")[0] is True
    assert ensure(api, "Secret", want, "ws-vision")[0] is False
    changed, before, after = ensure(api, "Secret", dict(want, data={"k": "eA=="}), "ws-vision")
    assert changed and before["data"] == {"k": "dg=="} and after["data"] == {"k": "eA=="}


# -- constants --------------------------------------------------------------------------------
def test_resource_keys_and_labels():
    assert C.resource_key() == "nvidia.com/gpu"
    assert C.resource_key("time-sliced") == "nvidia.com/gpu.shared"
    assert C.resource_key("mig", "3g.40gb") == "nvidia.com/mig-3g.40gb"
    with pytest.raises(ValueError):
        C.resource_key("mig")
    assert C.is_gpu_resource("nvidia.com/mig-1g.10gb") and not C.is_gpu_resource("cpu")
    assert C.workspace_namespace("vision") == "ws-vision"
    assert C.environment_selector("e", "w") == ("app.kubernetes.io/managed-by=opsforge,opsforge.io/environment=e,"
                                                "opsforge.io/workspace=w")


def test_lifecycle_append_and_read():
    first = C.append_lifecycle({}, C.lifecycle_event("created", gpus=2, at="2026-11-23T01:00:00Z"))
    both = C.append_lifecycle({C.LIFECYCLE_ANNOTATION: first}, C.lifecycle_event("stopped", gpus=2, at="2026-11-23T02:00:00Z"))
    events = C.read_lifecycle({C.LIFECYCLE_ANNOTATION: both})
    assert [(e["event"], e["at"], e["gpus"]) for e in events] == [("created", "2026-11-23T01:00:00Z", 2),
                                                                  ("stopped", "2026-11-23T02:00:00Z", 2)]
    assert C.read_lifecycle({C.LIFECYCLE_ANNOTATION: "not json"}) == []
    with pytest.raises(ValueError):
        C.lifecycle_event("exploded")


@pytest.mark.parametrize("text,seconds", [("8h", 28800), ("30m", 1800), ("1h30m", 5400), ("2d", 172800), ("90", 90)])
def test_parse_duration(text, seconds):
    assert C.parse_duration(text) == seconds


def test_parse_duration_rejects_garbage():
    with pytest.raises(ValueError, match="invalid duration"):
        C.parse_duration("8 hours")


def test_rfc3339_round_trip():
    assert C.rfc3339(C.parse_rfc3339("2026-11-23T01:02:03+02:00")) == "2026-11-22T23:02:03Z"


_keys = st.sampled_from(["a", "b", "c", "d"])
_leaves = st.one_of(st.text(max_size=3), st.integers(0, 9), st.lists(st.integers(0, 3), max_size=2))
_trees = st.recursive(_leaves, lambda inner: st.dictionaries(_keys, inner, max_size=3), max_leaves=8)
_docs = st.dictionaries(_keys, _trees, max_size=4)


@given(current=_docs, desired=_docs, hard=st.dictionaries(_keys, st.text(max_size=2), max_size=3),
       old_hard=st.dictionaries(_keys, st.text(max_size=2), max_size=3))
def test_merge_patch_reaches_the_desired_state(current, desired, hard, old_hard):
    """Property: applying merge_patch(current, desired) as an RFC 7396 merge patch gives an
    object that holds ``desired`` (so ``ensure`` converges in one step) and, at the replace
    paths, exactly the desired keys."""
    from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.k8s.test_k8s_fake_api import merge

    current = dict(current, spec={"hard": old_hard})
    desired = dict(desired, spec={"hard": hard})
    result = merge(current, merge_patch(current, desired, replace_paths=(("spec", "hard"),)))
    assert is_subset(desired, result)
    assert result["spec"]["hard"] == hard
