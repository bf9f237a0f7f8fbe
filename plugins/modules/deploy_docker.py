#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_docker
short_description: Deploy a container image with a health gate, automatic rollback and optional zero downtime behind nginx
version_added: 0.1.0
description:
  - Pulls O(image) (registry authentication supported) and replaces the app's container, gated by the image's
    Docker C(HEALTHCHECK) and/or the O(health_checks).
  - O(strategy=start_first) starts the new container beside the old one and stops the old one only once the new
    one passed its gate. O(strategy=stop_first) stops the old one first (needed when a fixed host port prevents
    both from running). O(strategy=zero_downtime) starts the new container on a free port of O(port_range),
    gates it, rewrites the app's nginx upstream file, checks and reloads nginx, waits O(drain_seconds), then
    stops the old container. V(auto) picks V(stop_first) for O(network_mode=host) with a fixed O(port) or
    for fixed O(published_ports), else V(start_first).
  - The old container is kept stopped as C(<name>-previous). When the new one fails (exits, restarts, is
    unhealthy, times out, fails a health check), it is removed and the previous one is started again with its
    exact config (or re-created from the recorded spec by image ID), then checked again.
  - Statuses V(pending), V(executing), V(pulling), V(stopping), V(starting), V(health_check), V(rolling_back),
    V(rolled_back), V(rollback_failed), V(success), V(failed), V(timeout) go to the status file; a record is kept.
  - Runs where the Docker engine is reachable (usually C(hosts) with the engine, or C(localhost)).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.deploy
  - opsforge.infra.deploy.health_checks
  - opsforge.infra.deploy.docker
attributes:
  check_mode:
    support: full
    description: Compares with the local image and the running container's config; pulls and starts nothing.
  diff_mode:
    support: full
    description: Before and after image and version.
  idempotent:
    support: full
    description: A running container with the same image ID and config is left alone.
requirements:
  - docker (Python SDK) >= 7.0
options:
  version:
    description: Version label of this deploy. Defaults to the tag of O(image).
    type: str
  image:
    description: Image to deploy, V(registry/repo:tag) or V(registry/repo@sha256:...).
    type: str
    required: true
  name:
    description: Name of the live container. Defaults to O(app).
    type: str
  command:
    description: Command of the container (string or list).
    type: raw
  env:
    description: Environment variables of the container.
    type: dict
    default: {}
  secret_env:
    description: Secret environment variables; never logged, masked as C(********) in records and results.
    type: dict
    default: {}
  labels:
    description: Extra labels. Labels starting with C(opsforge.deploy.) are reserved.
    type: dict
    default: {}
  network_mode:
    description: Network mode of the container.
    type: str
    default: host
  published_ports:
    description: Ports to publish when not on the host network, C(container_port/proto) to host port.
    type: dict
    default: {}
  volumes:
    description: Bind mounts, V(host:container[:mode]).
    type: list
    elements: str
    default: []
  restart_policy:
    description: Restart policy of the container.
    type: str
    choices: ["no", always, unless-stopped, on-failure]
    default: unless-stopped
  port:
    description:
      - Port the app listens on (host network). Passed to the container in O(port_env) and used as the default
        port of O(health_checks). With O(strategy=zero_downtime), the port chosen from O(port_range) is used instead.
    type: int
  port_env:
    description: Environment variable that tells the app its port. Empty to pass none.
    type: str
    default: PORT
  strategy:
    description: How to replace the container (see the description).
    type: str
    choices: [auto, start_first, stop_first, zero_downtime]
    default: auto
  port_range:
    description: V([first, last]) ports to pick a free one from for O(strategy=zero_downtime).
    type: list
    elements: int
  nginx_upstream_file:
    description: The app's upstream file. Default V(/etc/nginx/opsforge/upstreams/<app>.conf) (the nginx_site contract).
    type: path
  nginx_test_command:
    description: Command that validates the nginx config; the old upstream file is restored when it fails.
    type: list
    elements: str
    default: [nginx, -t]
  nginx_reload_command:
    description: Command that reloads nginx.
    type: list
    elements: str
    default: [nginx, -s, reload]
  upstream_host:
    description: Address written into the upstream and used to find a free port.
    type: str
    default: 127.0.0.1
  drain_seconds:
    description: Seconds to wait after the nginx reload before the old container is stopped.
    type: float
    default: 2
  wait_healthcheck:
    description: Wait for the image's Docker C(HEALTHCHECK) to report V(healthy) (fail on V(unhealthy)).
    type: bool
    default: true
  stable_period:
    description:
      - Seconds the new container must stay fit after its gate (running, not restarted and, with a Docker
        C(HEALTHCHECK), not V(unhealthy)); a problem in that time fails the deploy and rolls it back.
      - The health checks' own stability window (O(health_checks[].stable_successes)) watches the container too.
    type: float
    default: 0
  start_timeout:
    description: Seconds the new container may take to be running (stable 2 s) or healthy.
    type: int
    default: 60
  stop_timeout:
    description: Seconds Docker waits for a container to stop before killing it.
    type: int
    default: 10
  pull:
    description: When to pull O(image).
    type: str
    choices: [always, missing, never]
    default: always
  registry_username:
    description: Registry user for the pull.
    type: str
  registry_password:
    description: Registry password for the pull.
    type: str
  timeout:
    description: Timeout of Docker API calls, in seconds.
    type: int
    default: 120
seealso:
  - module: opsforge.infra.deploy_rollback
  - module: opsforge.infra.docker_monitor_info
"""

EXAMPLES = r"""
- name: Deploy testapp 2.0 (stop-then-start on a fixed host port), gated by HEALTHCHECK and HTTP
  opsforge.infra.deploy_docker:
    app: testapp
    image: registry.example.com/opsforge/testapp:2.0
    registry_username: deploy
    registry_password: "{{ vault_registry_password }}"
    port: 8080
    health_checks:
      - path: /
        body_regex: "version=2.0"
        retries: 5
        delay: 2

- name: Zero-downtime deploy behind nginx
  opsforge.infra.deploy_docker:
    app: shop
    image: registry.example.com/shop:1.4.2
    strategy: zero_downtime
    port: 8080
    port_range: [18100, 18199]
    health_checks:
      - path: /health
"""

RETURN = r"""
deploy:
  description:
    - The record of this deploy. In check mode or when nothing changed, a plan with C(app), C(version),
      C(previous_version), C(image), C(image_id), C(strategy) and C(container).
  returned: always
  type: dict
  contains:
    deploy_id:
      description: Identifier of the deploy.
      type: str
    status:
      description: Final status, V(success), V(failed) or V(timeout).
      type: str
    success:
      description: Whether the deploy succeeded.
      type: bool
    version:
      description: Version that was deployed.
      type: str
    effective_version:
      description: Version running after the deploy (the previous one after a successful rollback).
      type: str
    previous_version:
      description: Version that ran before.
      type: str
    history:
      description: Every status change, each with C(status), C(stage), C(progress), C(message) and C(timestamp).
      type: list
      elements: dict
    health:
      description: Health check results, each with C(success), C(check_type), C(target), C(response_time), C(retry_count), C(detail) and C(phase).
      type: list
      elements: dict
    rollback:
      description: What the rollback did (C(performed), C(status), C(target_version), C(method), C(container), C(health), C(error), C(duration)).
      type: dict
    details:
      description: C(strategy), C(image), C(image_id), C(repo_digest), C(port), C(container_id), C(spec) (secrets masked),
        C(previous_container) and, for zero downtime, C(upstream) (C(file), C(old), C(new)).
      type: dict
  sample: {"deploy_id": "testapp-20260101000000-abc123", "status": "success", "version": "2.0",
           "details": {"strategy": "stop_first", "image_id": "sha256:42326f596b47..."}}
deploy_event:
  description: Payload for the P(opsforge.infra.deploy_events#callback) callback; also returned when the deploy fails.
  returned: when a deploy ran
  type: dict
rolled_back:
  description: Whether a failed deploy was rolled back successfully.
  returned: on failure
  type: bool
lock_owner:
  description: Owner of the lock when another deploy of the app runs.
  returned: when the lock is held by another deploy
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker import (  # noqa: E402
    DOCKER, DOCKER_KWARGS, DOCKER_OPTIONS, DockerDeployment)


def main():
    module = OpsforgeModule(argument_spec=DOCKER_OPTIONS, supports_check_mode=True, **DOCKER_KWARGS)
    module.require(DOCKER)
    module.run(lambda: DockerDeployment(module.params, check_mode=module.check_mode).run())


if __name__ == "__main__":
    main()
