# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The Docker engine as the deploy modules see it: the docker SDK (imported lazily), a client,
containers looked up by name (``None`` when missing), the facts of one container, and whether a
host port is free. The ``opsforge.deploy.*`` labels are read here and written by :mod:`.docker`."""

from __future__ import annotations

import socket

from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError

DOCKER = LazyLibrary("docker", pip_name="docker")

LABEL = "opsforge.deploy."


def docker_client(params):
    try:
        return DOCKER.DockerClient(base_url=params.get("docker_host") or "unix:///var/run/docker.sock",
                                   timeout=params.get("timeout") or 120)
    except Exception as exc:  # docker.errors.DockerException and connection errors
        raise DeployError("cannot reach the Docker engine at %s: %s" % (params.get("docker_host"), exc), cause=exc)


def not_found(exc):
    return type(exc).__name__ in ("NotFound", "ImageNotFound")


def get_container(client, name):
    try:
        return client.containers.get(name)
    except Exception as exc:  # pylint: disable=broad-except
        if not_found(exc):
            return None
        raise DeployError("cannot inspect container %s: %s" % (name, exc), cause=exc)


def port_free(port, host="127.0.0.1"):
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        return False
    finally:
        sock.close()
    return True


def normalize_container(container):
    """The facts of one container a user wants to see."""
    attrs = container.attrs
    state = attrs.get("State", {})
    labels = attrs.get("Config", {}).get("Labels") or {}
    health = state.get("Health") or {}
    return dict(
        id=container.id, name=container.name, image=attrs.get("Config", {}).get("Image"), image_id=attrs.get("Image"),
        status=state.get("Status"), running=bool(state.get("Running")), exit_code=state.get("ExitCode"),
        health=health.get("Status"), restart_count=attrs.get("RestartCount", 0),
        version=labels.get(LABEL + "version"), deploy_id=labels.get(LABEL + "deploy_id"),
        port=int(labels[LABEL + "port"]) if labels.get(LABEL + "port") else None,
    )
