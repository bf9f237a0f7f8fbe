# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Pushing a local Docker image to a Lightsail container service's registry (the docker SDK
side, as lightsailctl does it): the image is tagged, pushed with the registry login Lightsail
hands out, and registered by its digest."""

from __future__ import annotations

import os
import time

from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError

DOCKER = LazyLibrary("docker", pip_name="docker")


class DockerImages:
    """The docker SDK side of pushing an image to the Lightsail service registry (like lightsailctl)."""

    def __init__(self, docker_host=None, factory=None):
        self.docker_host = docker_host
        self.factory = factory
        self._client = None

    @property
    def client(self):
        if self._client is None:
            if self.factory is not None:
                self._client = self.factory()
            else:
                if not DOCKER.available:
                    raise LightsailError("the docker Python SDK is required to push images: pip install docker", code="MissingLibrary")
                try:
                    self._client = DOCKER.DockerClient(base_url=self.docker_host) if self.docker_host else DOCKER.from_env()
                except Exception as exc:  # pylint: disable=broad-except
                    raise LightsailError("cannot reach the Docker engine%s: %s" % (" at %s" % self.docker_host if self.docker_host else "", exc),
                                         code="DockerError", cause=exc)
        return self._client

    def repo_digests(self, image):
        """Manifest digests (``sha256:...``) under which the local ``image`` was pushed anywhere."""
        engine = self.client
        try:
            attrs = engine.images.get(image).attrs
        except Exception as exc:  # pylint: disable=broad-except
            raise LightsailError("local image %s not found in the Docker engine: %s" % (image, exc), code="Invalid", cause=exc)
        return {ref.split("@", 1)[1] for ref in attrs.get("RepoDigests") or [] if "@" in ref}

    def push(self, image, registry, username, password):
        """Tag ``image`` as ``<registry>/sr:<unique>``, push it, return the manifest digest."""
        try:
            return self._push(image, registry, username, password)
        except LightsailError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            # docker.errors.*, requests' connection errors: one error type for the module to report
            raise LightsailError("pushing %s to the Lightsail registry failed: %s" % (image, exc), code="PushFailed", cause=exc)

    def _push(self, image, registry, username, password):
        host = registry.split("://", 1)[-1].rstrip("/")
        repository = "%s/sr" % host
        tag = "%d-%s" % (int(time.time() * 1000), os.urandom(4).hex())
        local = self.client.images.get(image)
        local.tag(repository, tag=tag)
        digest = None
        errors = []
        for message in self.client.images.push(repository, tag=tag, stream=True, decode=True,
                                               auth_config={"username": username, "password": password}):
            if message.get("error"):
                errors.append(message.get("error"))
            aux = message.get("aux") or {}
            if aux.get("Digest"):
                digest = aux["Digest"]
        if errors:
            raise LightsailError("pushing %s to the Lightsail registry failed: %s" % (image, "; ".join(errors)), code="PushFailed")
        if not digest:
            raise LightsailError("pushing %s returned no image digest" % image, code="PushFailed")
        return digest
