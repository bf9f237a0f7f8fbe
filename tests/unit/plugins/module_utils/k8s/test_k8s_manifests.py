# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every manifest the GPU platform modules build, validated with kubernetes-validate against
the official Kubernetes schemas (strict: unknown fields are errors)."""

from __future__ import annotations

import kubernetes_validate
import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import environment, workspace
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment import EnvSpec, archive_lifecycle
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.k8s.test_k8s_fake_api import FakeApi, namespace

VERSION = "1.30.0"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH9H2x1ss7cWmBuY3 alice@laptop"

WORKSPACES = {
    "full": dict(name="vision", quota={"gpus": {"nvidia.com/gpu": 8, "nvidia.com/mig-1g.10gb": 14}, "cpu": "64",
                                       "memory": "512Gi", "storage": "2Ti", "pods": 40, "persistent_volume_claims": 20},
                 limit_range={"cpu": "4", "memory": "16Gi", "request_cpu": "500m", "request_memory": "2Gi",
                              "max_cpu": "32", "max_memory": "256Gi"},
                 members=[{"name": "alice", "role": "admin"}, {"name": "ml", "kind": "group", "role": "view"},
                          {"name": "ci", "kind": "serviceaccount", "role": "edit"}],
                 network_isolation={"enabled": True, "allow_from_namespaces": ["ingress-nginx"]},
                 labels={"team": "vision"}, annotations={"owner": "alice"}),
    "minimal": dict(name="tiny", namespace="team-tiny", network_isolation={"enabled": True}),
    "narrow-access": dict(name="lab", network_isolation={"enabled": True, "access_cidrs": ["10.0.0.0/8", "2001:db8::/32"]},
                          members=[{"name": "j.doe@x"}, {"name": "J.Doe@x"}]),
}

ENV_BASE = dict(name="alice-dev", workspace="vision", owner="alice", image="pytorch:2.4", cpu="8", memory="32Gi",
                gpus=2, sharing="whole", home_size="100Gi", home_mount_path="/home/user", service_type="ClusterIP")
ENVIRONMENTS = {
    "whole-gpu-all-access": dict(ENV_BASE, gpu_model="NVIDIA-A100-SXM4-80GB", command=["/bin/start"], args=["--lab"],
                                 env={"A": "1"},
                                 datasets=[{"claim": "imagenet"}, {"claim": "coco", "mount_path": "/mnt/coco", "sub_path": "2017"}],
                                 ssh={"enabled": True, "authorized_keys": [KEY], "port": 2222},
                                 jupyter={"enabled": True, "token": "t", "port": 8888}, rdp={"enabled": True, "port": 3389},
                                 service_type="NodePort", storage_class="fast", max_lifetime="8h",
                                 idle_policy={"threshold": 5, "idle_minutes": 30}, node_selector={"pool": "a"},
                                 tolerations=[{"key": "dedicated", "operator": "Equal", "value": "vision", "effect": "NoSchedule"},
                                              {"operator": "Exists", "effect": "NoExecute"}],
                                 image_pull_policy="IfNotPresent"),
    "mig": dict(ENV_BASE, sharing="mig", mig_profile="1g.10gb", gpus=1, jupyter={"enabled": True}),
    "time-sliced": dict(ENV_BASE, sharing="time-sliced", gpus=1, service_type="LoadBalancer", rdp={"enabled": True}),
    "cpu-only": dict(ENV_BASE, gpus=0),
}


def validate(manifest):
    kubernetes_validate.validate(manifest, VERSION, strict=True)
    return manifest["kind"]


@pytest.mark.parametrize("case", sorted(WORKSPACES))
def test_workspace_manifests_are_valid(case):
    kinds = [validate(m) for m in workspace.all_manifests(WORKSPACES[case])]
    assert kinds[0] == "Namespace"
    if case == "full":
        assert sorted(kinds) == sorted(["Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy",
                                        "RoleBinding", "RoleBinding", "RoleBinding"])


# What a user of each environment relies on: the GPU resource and count the pod asks for, the access ports
# (container and Service), the Service type and the dataset claims with where they are mounted.
EXPECTED = {
    "whole-gpu-all-access": dict(gpu=("nvidia.com/gpu", "2"), ports={"ssh": 2222, "jupyter": 8888, "rdp": 3389},
                                 service="NodePort", datasets={"imagenet": ("/data/imagenet", None), "coco": ("/mnt/coco", "2017")}),
    "mig": dict(gpu=("nvidia.com/mig-1g.10gb", "1"), ports={"jupyter": 8888}, service="ClusterIP", datasets={}),
    "time-sliced": dict(gpu=("nvidia.com/gpu.shared", "1"), ports={"rdp": 3389}, service="LoadBalancer", datasets={}),
    "cpu-only": dict(gpu=None, ports={}, service=None, datasets={}),
}


def _subset(small, big):
    return all(big.get(k) == v for k, v in small.items())


@pytest.mark.parametrize("case", sorted(ENVIRONMENTS))
def test_environment_manifests_are_valid_and_give_the_user_what_was_asked(case):
    asked, want = ENVIRONMENTS[case], EXPECTED[case]
    manifests = environment.all_manifests(asked)
    for manifest in manifests:
        validate(manifest)
    (sts,) = [m for m in manifests if m["kind"] == "StatefulSet"]
    services = [m for m in manifests if m["kind"] == "Service"]
    assert (sts["metadata"]["name"], sts["metadata"]["namespace"], sts["spec"]["replicas"]) == ("alice-dev", "ws-vision", 1)
    pod = sts["spec"]["template"]
    (box,) = pod["spec"]["containers"]
    assert box["image"] == asked["image"]
    # resources: what was asked, requests equal to limits, only the one GPU resource
    res = box["resources"]
    assert res["requests"] == res["limits"]
    assert (res["limits"]["cpu"], res["limits"]["memory"]) == (asked["cpu"], asked["memory"])
    gpu_keys = sorted(k for k in res["limits"] if k.startswith("nvidia.com/"))
    if want["gpu"] is None:
        assert gpu_keys == [] and not pod["spec"].get("tolerations")
    else:
        assert gpu_keys == [want["gpu"][0]] and res["limits"][want["gpu"][0]] == want["gpu"][1]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["spec"]["tolerations"]
    # selectors: the StatefulSet and the Service both reach this pod, and only this environment's
    selector = sts["spec"]["selector"]["matchLabels"]
    assert _subset(selector, pod["metadata"]["labels"]) and selector["opsforge.io/environment"] == "alice-dev"
    # volumes: home from the claim template, each dataset a read-only claim at its path; every mount has a volume
    (home,) = sts["spec"]["volumeClaimTemplates"]
    assert home["spec"]["resources"]["requests"]["storage"] == asked["home_size"]
    mounts = {m["mountPath"]: m for m in box["volumeMounts"]}
    assert mounts[asked["home_mount_path"]]["name"] == home["metadata"]["name"]
    volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
    assert {m["name"] for m in box["volumeMounts"]} <= set(volumes) | {home["metadata"]["name"]}
    claims = {v["persistentVolumeClaim"]["claimName"]: v for v in volumes.values() if "persistentVolumeClaim" in v}
    assert sorted(claims) == sorted(want["datasets"])
    for claim, (path, sub_path) in want["datasets"].items():
        mount = mounts[path]
        assert mount["name"] == claims[claim]["name"] and mount["readOnly"] is True and mount.get("subPath") == sub_path
        assert claims[claim]["persistentVolumeClaim"]["readOnly"] is True
    # ports: on the container and, by name, on the Service of the asked type
    assert {p["name"]: p["containerPort"] for p in box.get("ports", [])} == want["ports"]
    if want["service"] is None:
        assert services == []
    else:
        (service,) = services
        assert service["spec"]["type"] == want["service"] and sts["spec"]["serviceName"] == service["metadata"]["name"]
        assert _subset(service["spec"]["selector"], pod["metadata"]["labels"])
        assert {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]} == {
            name: (port, name) for name, port in want["ports"].items()}


def test_patches_and_archive_are_valid_objects():
    """The lifecycle archive ConfigMap and a stop patch applied to a StatefulSet stay valid."""
    api = FakeApi([namespace()])
    archive_lifecycle(api, "ws-vision", "alice-dev", [{"event": "created", "at": "2026-11-23T00:00:00Z"}])
    validate(api.get("ConfigMap", "opsforge-lifecycle-archive", "ws-vision"))
    sts = EnvSpec(ENVIRONMENTS["mig"]).statefulset("alice", 1)
    api.create("StatefulSet", sts, "ws-vision")
    environment.stop(api, api.get("StatefulSet", "alice-dev", "ws-vision"), "reaper:idle", "idle for 2h")
    stopped = api.get("StatefulSet", "alice-dev", "ws-vision")
    stopped["metadata"].pop("resourceVersion")
    assert validate(stopped) == "StatefulSet" and stopped["spec"]["replicas"] == 0


def test_an_invalid_manifest_is_caught():
    """The validator really checks: a StatefulSet without a selector fails."""
    sts = EnvSpec(ENVIRONMENTS["mig"]).statefulset("alice", 1)
    del sts["spec"]["selector"]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(sts)
