# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_container_service: Manage Amazon Lightsail container services, their images and deployments (Stubber)."""

from __future__ import annotations

from unittest import mock

import pytest
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail import container_images as container_mod
from ansible_collections.opsforge.infra.plugins.modules import lightsail_container_service
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.container import DIGEST, GET, NAME, deployment, service


OLD_DIGEST = "sha256:" + "b" * 64


REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


class FakeImage:
    def __init__(self, engine, repo_digests):
        self.engine = engine
        self.attrs = {"RepoDigests": list(repo_digests)}

    def tag(self, repository, tag=None):
        self.engine.tagged.append((repository, tag))
        return True


class FakeEngine:
    """The slice of the docker SDK the module uses: images.get / image.tag / images.push."""

    def __init__(self, repo_digests=(), push_messages=None):
        self.images = self
        self.tagged = []
        self.pushed = []
        self.repo_digests = repo_digests
        self.push_messages = push_messages if push_messages is not None else [
            {"status": "Pushing"}, {"status": "done"}, {"progressDetail": {}, "aux": {"Tag": "t", "Digest": DIGEST, "Size": 1}}]

    def get(self, name):
        if name == "missing:1":
            raise KeyError("No such image: missing:1")
        return FakeImage(self, self.repo_digests)

    def push(self, repository, tag=None, stream=False, decode=False, auth_config=None):
        assert stream and decode
        self.pushed.append((repository, tag, auth_config))
        return iter(self.push_messages)


@pytest.fixture
def engine():
    fake = FakeEngine()
    library = mock.Mock(available=True)
    library.from_env.return_value = fake
    with mock.patch.object(container_mod, "DOCKER", library):
        yield fake


DEPLOY = {"containers": [{"name": "web", "image": "nginx:1.27", "environment": {"APP_ENV": "prod"}, "ports": {"8080": "HTTP"}}],
          "public_endpoint": {"container_name": "web", "container_port": 8080, "health_check": {"path": "/healthz"}}}


BASE = {"name": NAME, "power": "micro", "scale": 2, "public_domain_names": {"shop-cert": ["shop.example.com"]}, "deployment": DEPLOY}


API_CONTAINERS = {"web": {"image": ":shop.web.1", "environment": {"APP_ENV": "prod"}, "ports": {"8080": "HTTP"}}}


API_ENDPOINT = {"containerName": "web", "containerPort": 8080, "healthCheck": {"path": "/healthz"}}


def test_create_push_and_deploy_until_active(engine):
    stub = Stubbed()
    stub.error("GetContainerServices", params=GET)
    stub.add("CreateContainerService", {"containerService": service(state="PENDING", currentDeployment=None)},
             {"serviceName": NAME, "power": "micro", "scale": 2, "publicDomainNames": {"shop-cert": ["shop.example.com"]}})
    stub.add("GetContainerServices", {"containerServices": [service(state="PENDING")]}, GET)
    stub.add("GetContainerServices", {"containerServices": [service(state="READY")]}, GET)
    stub.add("CreateContainerServiceRegistryLogin", {"registryLogin": {"username": "AWS", "password": "tmp-pass", "registry": REGISTRY,
                                                                       "expiresAt": CREATED}}, {})
    stub.add("RegisterContainerImage", {"containerImage": {"image": ":shop.web.1", "digest": DIGEST, "createdAt": CREATED}},
             {"serviceName": NAME, "label": "web", "digest": DIGEST})
    stub.add("CreateContainerServiceDeployment", {"containerService": service(state="DEPLOYING", nextDeployment=deployment(1, "ACTIVATING"))},
             {"serviceName": NAME, "containers": API_CONTAINERS, "publicEndpoint": API_ENDPOINT})
    stub.add("GetContainerServiceDeployments", {"deployments": [deployment(1, "ACTIVATING", ":shop.web.1")]}, GET)
    stub.add("GetContainerServiceDeployments", {"deployments": [deployment(1, "ACTIVE", ":shop.web.1")]}, GET)
    stub.add("GetContainerServices", {"containerServices": [service(currentDeployment=deployment(1, "ACTIVE", ":shop.web.1"))]}, GET)
    params = dict(BASE, images=[{"image": "shop-web:1.4", "label": "web"}],
                  deployment=dict(DEPLOY, containers=[dict(DEPLOY["containers"][0], image=":shop.web.latest")]))
    result = run_module(lightsail_container_service.main, params, stub)
    assert result["changed"] is True, result
    assert result["pushed_images"] == {"web": ":shop.web.1"}
    assert result["deployment"]["state"] == "ACTIVE"
    assert result["container_service"]["current_deployment"]["containers"]["web"]["environment"] == {"APP_ENV": "prod"}
    repository, tag, auth = engine.pushed[0]
    assert repository == REGISTRY + "/sr" and engine.tagged == [(REGISTRY + "/sr", tag)]
    assert auth == {"username": "AWS", "password": "tmp-pass"}
    assert "tmp-pass" not in str(result)


def test_unchanged_is_one_read():
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    result = run_module(lightsail_container_service.main, BASE, stub)
    assert result["changed"] is False and stub.calls == ["GetContainerServices"]


def test_image_already_pushed_is_not_pushed_again():
    fake = FakeEngine(repo_digests=[REGISTRY + "/sr@" + DIGEST])
    library = mock.Mock(available=True)
    library.from_env.return_value = fake
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service(currentDeployment=deployment(2, "ACTIVE", ":shop.web.2"))]}, GET)
    stub.add("GetContainerImages", {"containerImages": [{"image": ":shop.web.1", "digest": OLD_DIGEST}, {"image": ":shop.web.2", "digest": DIGEST},
                                                        {"image": ":shop.api.9", "digest": OLD_DIGEST}]}, GET)
    params = dict(BASE, images=[{"image": "shop-web:1.4", "label": "web"}],
                  deployment=dict(DEPLOY, containers=[dict(DEPLOY["containers"][0], image=":shop.web.latest")]))
    with mock.patch.object(container_mod, "DOCKER", library):
        result = run_module(lightsail_container_service.main, params, stub)
    assert result["changed"] is False and fake.pushed == []


def test_update_scale_and_failed_deployment_reports_reason_and_logs():
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    stub.add("UpdateContainerService", {"containerService": service(state="UPDATING", scale=1)}, {"serviceName": NAME, "scale": 1})
    stub.add("GetContainerServices", {"containerServices": [service(scale=1)]}, GET)
    new = {"web": {"image": "nginx:1.27", "environment": {"APP_ENV": "staging"}, "ports": {"8080": "HTTP"}}}
    stub.add("CreateContainerServiceDeployment", {"containerService": service(nextDeployment=deployment(2, "ACTIVATING"))},
             {"serviceName": NAME, "containers": new, "publicEndpoint": API_ENDPOINT})
    stub.add("GetContainerServiceDeployments", {"deployments": [deployment(2, "FAILED"), deployment(1)]}, GET)
    failing = service(stateDetail={"code": "EVALUATING_HEALTH_CHECK", "message": "health check failed on /healthz"})
    stub.add("GetContainerServices", {"containerServices": [failing]}, GET)
    stub.add("GetContainerLog", {"logEvents": [{"createdAt": CREATED, "message": "listening on 8081"},
                                               {"createdAt": CREATED, "message": "GET /healthz 404"}]},
             {"serviceName": NAME, "containerName": "web"})
    params = dict(BASE, scale=1, deployment=dict(DEPLOY, containers=[dict(DEPLOY["containers"][0], environment={"APP_ENV": "staging"})]))
    result = run_module(lightsail_container_service.main, params, stub)
    assert result["failed"] is True
    assert "FAILED" in result["msg"] and "health check failed on /healthz" in result["msg"] and "GET /healthz 404" in result["msg"]
    assert result["container_logs"]["web"] == ["listening on 8081", "GET /healthz 404"]
    assert result["deployment_version"] == 2


def test_check_mode_with_diff_no_writes(engine):
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    stub.add("GetContainerImages", {"containerImages": []}, GET)
    params = dict(BASE, power="small", images=[{"image": "shop-web:1.5", "label": "web"}],
                  deployment=dict(DEPLOY, containers=[dict(DEPLOY["containers"][0], image=":shop.web.latest")]))
    result = run_module(lightsail_container_service.main, params, stub, check_mode=True, diff=True)
    assert result["changed"] is True and stub.count(writes=True) == 0 and engine.pushed == []
    assert result["diff"]["before"]["power"] == "micro" and result["diff"]["after"]["power"] == "small"
    assert result["container_service"]["next_deployment"]["state"] == "ACTIVATING"
    assert result["actions"] == ["update container service shop (power)", "push shop-web:1.5 to container service shop as label web",
                                 "deploy web to container service shop"]


def test_bad_endpoint_rejected_before_writes():
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    params = dict(BASE, deployment=dict(DEPLOY, public_endpoint={"container_name": "web", "container_port": 9999}))
    result = run_module(lightsail_container_service.main, params, stub)
    assert result["failed"] is True and "container_port 9999" in result["msg"] and stub.count(writes=True) == 0


def test_delete_not_found_throttle():
    stub = Stubbed()
    stub.error("GetContainerServices", "ThrottlingException")
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    stub.add("DeleteContainerService", {}, GET)
    result = run_module(lightsail_container_service.main, {"name": NAME, "state": "absent"}, stub)
    assert result["changed"] is True and result["container_service"] == {}
    stub = Stubbed()
    stub.error("GetContainerServices", params=GET)
    result = run_module(lightsail_container_service.main, {"name": NAME, "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetContainerServices"]


def test_push_error_is_clear():
    fake = FakeEngine(push_messages=[{"status": "Pushing"}, {"error": "denied: not authorized", "errorDetail": {"message": "denied"}}])
    library = mock.Mock(available=True)
    library.from_env.return_value = fake
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    stub.add("GetContainerImages", {"containerImages": []}, GET)
    stub.add("CreateContainerServiceRegistryLogin", {"registryLogin": {"username": "AWS", "password": "p", "registry": REGISTRY}})
    with mock.patch.object(container_mod, "DOCKER", library):
        result = run_module(lightsail_container_service.main, {"name": NAME, "images": [{"image": "shop-web:1.5", "label": "web"}]}, stub)
    assert result["failed"] is True and "denied: not authorized" in result["msg"]


def test_delete_image():
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    stub.add("GetContainerImages", {"containerImages": [{"image": ":shop.web.1", "digest": DIGEST}]}, GET)
    stub.add("DeleteContainerImage", {}, {"serviceName": NAME, "image": ":shop.web.1"})
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    result = run_module(lightsail_container_service.main, {"name": NAME, "delete_images": [":shop.web.1", ":shop.web.7"]}, stub)
    assert result["changed"] is True and result["actions"] == ["delete image :shop.web.1 of container service shop"]


def test_missing_local_image_fails_before_creating(engine):
    stub = Stubbed()
    stub.error("GetContainerServices", params=GET)
    result = run_module(lightsail_container_service.main, dict(BASE, images=[{"image": "missing:1", "label": "web"}]), stub)
    assert result["failed"] is True and "missing:1 not found" in result["msg"] and stub.count(writes=True) == 0


def test_docker_engine_errors_become_clear_failures():
    class Broken(FakeEngine):
        def push(self, repository, tag=None, stream=False, decode=False, auth_config=None):
            raise ConnectionError("connection refused: /var/run/docker.sock")

    library = mock.Mock(available=True)
    library.from_env.return_value = Broken()
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    stub.add("GetContainerImages", {"containerImages": []}, GET)
    stub.add("CreateContainerServiceRegistryLogin", {"registryLogin": {"username": "AWS", "password": "p", "registry": REGISTRY}})
    with mock.patch.object(container_mod, "DOCKER", library):
        result = run_module(lightsail_container_service.main, {"name": NAME, "images": [{"image": "shop-web:1.5", "label": "web"}]}, stub)
    assert result["failed"] is True and "connection refused" in result["msg"] and result["error_code"] == "PushFailed"
    library = mock.Mock(available=True)
    library.from_env.side_effect = RuntimeError("Error while fetching server API version")
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    with mock.patch.object(container_mod, "DOCKER", library):
        result = run_module(lightsail_container_service.main, {"name": NAME, "images": [{"image": "shop-web:1.5", "label": "web"}]}, stub)
    assert result["failed"] is True and result["msg"].startswith("cannot reach the Docker engine") and stub.count(writes=True) == 0
