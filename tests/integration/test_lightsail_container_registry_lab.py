# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Image push of lightsail_container_service through a REAL Docker engine to the lab's REAL registry.

Only Lightsail is stubbed: CreateContainerServiceRegistryLogin answers with the lab registry
(127.0.0.1:5000), so the module tags, pushes with the docker SDK and registers the digest the
registry really returned. Skipped when the lab is not up (``make lab-up``).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

import pytest
from lightsail_utils import ANY, CREATED, Stubbed, arn, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_container_service

NAME = "labsvc"
GET = {"serviceName": NAME}


def _lab():
    tests_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if tests_dir not in sys.path:
        sys.path.insert(0, tests_dir)
    try:
        import lab  # tests/lab.py

        env = lab.lab_env()
    except Exception as exc:  # pylint: disable=broad-except
        pytest.skip("lab not up: %s" % exc)
    registry = env.get("LAB_REGISTRY")
    image = env.get("LAB_IMAGE_TESTAPP_V1")
    try:
        import docker

        engine = docker.from_env()
        engine.images.get(image)
        urllib.request.urlopen("http://%s/v2/" % registry, timeout=3).read()
    except Exception as exc:  # pylint: disable=broad-except
        pytest.skip("lab docker/registry not reachable: %s" % exc)
    return registry, image


def _manifest_digest(registry, tag):
    request = urllib.request.Request("http://%s/v2/sr/manifests/%s" % (registry, tag), method="HEAD", headers={
        "Accept": "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers["Docker-Content-Digest"]


def service():
    return {"containerServiceName": NAME, "arn": arn("ContainerService", NAME), "createdAt": CREATED, "power": "nano", "scale": 1,
            "state": "READY", "isDisabled": False, "tags": [], "location": {"availabilityZone": "all", "regionName": "us-east-1"}}


@pytest.fixture
def lab_image():
    registry, image = _lab()
    import docker

    engine = docker.from_env()
    before = set(engine.images.get(image).tags)
    yield registry, image
    # untag what the module added (<registry>/sr:<unique>), leave the lab image as it was
    for tag in set(engine.images.get(image).tags) - before:
        engine.images.remove(tag)


def test_push_real_image_to_lab_registry_then_nothing_to_do(lab_image):
    registry, image = lab_image
    registered = {}

    def capture(params, **kwargs):
        registered.update(params)

    stub = Stubbed()
    stub.client.meta.events.register("provide-client-params.lightsail.RegisterContainerImage", capture)
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    stub.add("GetContainerImages", {"containerImages": []}, GET)
    stub.add("CreateContainerServiceRegistryLogin", {"registryLogin": {"username": "AWS", "password": "lab", "registry": registry,
                                                                       "expiresAt": CREATED}})
    stub.add("RegisterContainerImage", {"containerImage": {"image": ":labsvc.app.1", "digest": "sha256:" + "0" * 64}},
             {"serviceName": NAME, "label": "app", "digest": ANY})
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    result = run_module(lightsail_container_service.main, {"name": NAME, "images": [{"image": image, "label": "app"}]}, stub)
    assert result["changed"] is True, result
    assert result["pushed_images"] == {"app": ":labsvc.app.1"}
    digest = registered["digest"]
    assert digest.startswith("sha256:") and len(digest) == 71
    with urllib.request.urlopen("http://%s/v2/sr/tags/list" % registry, timeout=5) as response:
        tags = json.load(response)["tags"]
    assert any(_manifest_digest(registry, tag) == digest for tag in tags)

    # the local image now carries that digest: a second run with the digest registered pushes nothing
    stub = Stubbed()
    stub.add("GetContainerServices", {"containerServices": [service()]}, GET)
    stub.add("GetContainerImages", {"containerImages": [{"image": ":labsvc.app.1", "digest": digest}]}, GET)
    result = run_module(lightsail_container_service.main, {"name": NAME, "images": [{"image": image, "label": "app"}]}, stub)
    assert result["changed"] is False, result
