# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_image against the lab's real registry (OCI distribution API on 127.0.0.1:5000) and a
kmock Kubernetes API: tags are checked and digests pinned by the registry itself."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request

import pytest
from ansible_collections.opsforge.infra.tests.integration.kmock_cluster import KmockCluster, module_caller
from ansible_collections.opsforge.infra.tests.lab import LabDown, lab_env

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.registry import RegistryClient
from ansible_collections.opsforge.infra.plugins.modules import gpu_environment, gpu_image, gpu_image_info, gpu_workspace

ACCEPT = ", ".join(["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                    "application/vnd.docker.distribution.manifest.v2+json"])


@pytest.fixture(scope="module")
def registry():
    try:
        return lab_env()["LAB_REGISTRY"]
    except (LabDown, KeyError) as exc:
        pytest.fail("the lab registry is needed: %s" % exc)


def digest_of(registry, tag):
    """The digest computed here from the manifest bytes the registry serves (not its header)."""
    request = urllib.request.Request("http://%s/v2/opsforge/testapp/manifests/%s" % (registry, tag),
                                     headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
        return "sha256:" + hashlib.sha256(response.read()).hexdigest()


def test_client_resolves_tags_to_digests_and_names_missing_ones(registry):
    client = RegistryClient(insecure=True)
    repo = "%s/opsforge/testapp" % registry
    assert client.digest(repo, "1.0") == digest_of(registry, "1.0")
    assert client.digest(repo, "2.0") == digest_of(registry, "2.0") != digest_of(registry, "1.0")
    with pytest.raises(K8sError) as err:
        client.digest(repo, "9.9")
    assert err.value.msg == "tag 9.9 of %s does not exist in the registry (tags: 1.0, 2.0)" % repo
    with pytest.raises(K8sError, match="repository %s/opsforge/nope does not exist in the registry" % registry):
        client.digest("%s/opsforge/nope" % registry, "1.0")


@pytest.fixture
def cluster():
    with KmockCluster(low=20200, high=20299) as kmock_cluster:
        yield kmock_cluster


@pytest.fixture
def call(cluster, capsys):
    return module_caller(cluster, capsys)


def test_gpu_image_check_apply_idempotent_absent(call, cluster, registry):
    assert call(gpu_workspace, name="vision")["changed"] is True
    args = dict(name="testapp", workspace="vision", repository="%s/opsforge/testapp" % registry, versions=["1.0", "2.0"],
                default="2.0", gpu_models=["NVIDIA-A100-SXM4-80GB"], description="busybox test app",
                registry_insecure=True)
    predicted = call(gpu_image, check=True, **args)
    assert predicted["changed"] is True and cluster.objects("configmaps", "ws-vision") == {}
    assert predicted["image"]["versions"][0] == {"tag": "1.0", "digest": digest_of(registry, "1.0"),
                                                 "reference": "%s/opsforge/testapp:1.0@%s" % (registry, digest_of(registry, "1.0"))}
    created = call(gpu_image, **args)
    assert created["changed"] is True and created["image"] == predicted["image"]
    assert C.IMAGE_CONFIGMAP_PREFIX + "testapp" in cluster.objects("configmaps", "ws-vision")
    assert call(gpu_image, check=True, **args)["changed"] is False
    assert call(gpu_image, **args)["changed"] is False
    info = call(gpu_image_info, workspace="vision")
    assert [(i["name"], i["default"]) for i in info["images"]] == [("testapp", "2.0")]

    missing = call(gpu_image, **dict(args, versions=["1.0", "3.0"], default="1.0"))
    assert missing["failed"] is True and "tag 3.0 of %s/opsforge/testapp does not exist" % registry in missing["msg"]
    assert call(gpu_image, **args)["changed"] is False, "nothing was written by the refused run"

    env = call(gpu_environment, name="app", workspace="vision", owner="alice", catalogue_image="testapp", gpus=0,
               cpu="1", memory="1Gi", wait=False)
    assert env["environment"]["image"] == "%s/opsforge/testapp:2.0@%s" % (registry, digest_of(registry, "2.0"))

    assert call(gpu_image, name="testapp", workspace="vision", state="absent")["changed"] is True
    assert call(gpu_image, name="testapp", workspace="vision", state="absent")["changed"] is False


def test_workspace_image_policy_refuses_images_outside_the_catalogue(call, cluster, registry):
    assert call(gpu_workspace, name="vision", image_policy="catalogue")["changed"] is True
    call(gpu_image, name="testapp", workspace="vision", repository="%s/opsforge/testapp" % registry, versions=["1.0"],
         registry_insecure=True)
    refused = call(gpu_environment, name="app", workspace="vision", owner="alice", image="busybox:latest", gpus=0,
                   cpu="1", memory="1Gi", wait=False)
    assert refused["failed"] is True and "is not in the image catalogue of workspace vision" in refused["msg"]
    assert cluster.objects("statefulsets", "ws-vision") == {}
    ok = call(gpu_environment, name="app", workspace="vision", owner="alice", image="%s/opsforge/testapp:1.0" % registry,
              gpus=0, cpu="1", memory="1Gi", wait=False)
    assert ok["changed"] is True and ok["environment"]["image"].endswith(":1.0@" + digest_of(registry, "1.0"))


class TokenFront:
    """The lab registry behind token authentication, as Docker Hub or Harbor do it: requests
    without ``Bearer <token>`` get a 401 with a ``Bearer realm=...`` challenge; the realm hands
    out the token for the right basic credentials; authorised requests go to the real registry."""

    TOKEN = "t0ken-for-tests"

    def __init__(self, registry):
        import http.server
        import threading

        from ansible_collections.opsforge.infra.tests.integration.kmock_cluster import free_port

        front = self
        self.registry = registry
        self.token_requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, headers=(), body=b""):
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _serve(self):
                if self.path.startswith("/token"):
                    front.token_requests.append((self.path, self.headers.get("Authorization")))
                    good = "Basic " + __import__("base64").b64encode(b"robot:s3cret").decode()
                    if self.headers.get("Authorization") != good:
                        return self._answer(401)
                    return self._answer(200, [("Content-Type", "application/json")],
                                        json.dumps({"token": front.TOKEN}).encode())
                if self.headers.get("Authorization") != "Bearer " + front.TOKEN:
                    challenge = 'Bearer realm="http://127.0.0.1:%d/token",service="lab",scope="repository:x:pull"' % front.port
                    return self._answer(401, [("WWW-Authenticate", challenge)])
                request = urllib.request.Request("http://%s%s" % (front.registry, self.path), method=self.command,
                                                 headers={"Accept": self.headers.get("Accept") or "*/*"})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
                        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
                        return self._answer(response.status, headers, response.read())
                except urllib.error.HTTPError as exc:
                    return self._answer(exc.code, [], exc.read())

            do_GET = _serve  # noqa: N815
            do_HEAD = _serve  # noqa: N815

        self.port = free_port(20300, 20399)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_client_follows_the_token_challenge(registry):
    front = TokenFront(registry)
    try:
        repo = "127.0.0.1:%d/opsforge/testapp" % front.port
        assert RegistryClient("robot", "s3cret", insecure=True).digest(repo, "2.0") == digest_of(registry, "2.0")
        assert front.token_requests and "scope=repository%3Ax%3Apull" in front.token_requests[0][0]
        with pytest.raises(K8sError, match="Could not get a registry token"):
            RegistryClient("robot", "wrong", insecure=True).digest(repo, "2.0")
    finally:
        front.close()
