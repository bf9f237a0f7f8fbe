#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_container_service
short_description: Manage Amazon Lightsail container services, their images and deployments
version_added: 0.1.0
description:
  - Create, update and delete a Lightsail container service (power, scale, public domain names, disabled).
  - Push local Docker images to the service's private registry with the Docker SDK, using the temporary
    login from C(CreateContainerServiceRegistryLogin), and register them (like C(aws lightsail push-container-image)).
  - Create deployments (containers with image, command, environment and ports; a public endpoint with a health
    check) and wait until the deployment is C(ACTIVE). A C(FAILED) deployment fails the task with Lightsail's
    reason and the last lines of the containers' logs.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the container service.
    type: str
    required: true
  state:
    description: Whether the service should exist. Deleting does not wait for the service to be gone.
    type: str
    choices: [present, absent]
    default: present
  power:
    description: Size of each node. Required to create.
    type: str
    choices: [nano, micro, small, medium, large, xlarge]
  scale:
    description: Number of nodes (1-20). Required to create.
    type: int
  is_disabled:
    description: Disable (V(true)) or enable (V(false)) the service.
    type: bool
  public_domain_names:
    description:
      - Custom domains, as Lightsail certificate name to list of domain names. The certificate must be issued,
        in the service's region (M(opsforge.infra.lightsail_certificate) with O(opsforge.infra.lightsail_certificate#module:usage=container_service)).
      - V({}) removes all custom domains.
    type: dict
  images:
    description:
      - Local Docker images to push to the service's registry. An image is pushed when the newest registered version
        of its label is not the local image (compared by manifest digest), so re-runs push nothing.
      - Refer to the pushed image in O(deployment.containers[].image) as V(:<service>.<label>.latest).
    type: list
    elements: dict
    suboptions:
      image:
        description: Local image name or ID, for example V(myapp:1.4).
        type: str
        required: true
      label:
        description: Label under which Lightsail registers it (letters, digits, hyphens).
        type: str
        required: true
  docker_host:
    description: Docker engine to push from, for example V(unix:///var/run/docker.sock). Default from the environment (C(DOCKER_HOST)).
    type: str
  delete_images:
    description: Registered images to delete, for example V(:myservice.web.3). Unknown ones are ignored.
    type: list
    elements: str
  deployment:
    description:
      - The deployment the service should run. A new deployment is created when it differs from the current
        (or activating) one; health check values not given are not compared.
    type: dict
    suboptions:
      containers:
        description: Containers of the deployment.
        type: list
        elements: dict
        required: true
        suboptions:
          name:
            description: Container name.
            type: str
            required: true
          image:
            description:
              - Public image (V(nginx:1.27)) or registered image (V(:myservice.web.3)).
              - V(:<service>.<label>.latest) means the newest registered version of that label.
            type: str
            required: true
          command:
            description: Command to run instead of the image's.
            type: list
            elements: str
          environment:
            description: Environment variables.
            type: dict
          ports:
            description: Open ports, port number to protocol (V(HTTP), V(HTTPS), V(TCP), V(UDP)).
            type: dict
      public_endpoint:
        description: Container and port that receive the public traffic.
        type: dict
        suboptions:
          container_name:
            description: One of the containers.
            type: str
            required: true
          container_port:
            description: One of its ports.
            type: int
            required: true
          health_check:
            description: Health check of the endpoint.
            type: dict
            suboptions:
              path:
                description: Path probed, for example V(/healthz).
                type: str
              success_codes:
                description: HTTP codes counted as healthy, for example V(200-499).
                type: str
              interval_seconds:
                description: Seconds between probes (5-300).
                type: int
              timeout_seconds:
                description: Seconds before a probe fails (2-60).
                type: int
              healthy_threshold:
                description: Successes before healthy (2-10).
                type: int
              unhealthy_threshold:
                description: Failures before unhealthy (2-10).
                type: int
  wait_timeout:
    default: 1200
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - opsforge.infra.lightsail.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
requirements:
  - docker (Python SDK) and a Docker engine, only when O(images) is used
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and the predicted result without changing anything.
    support: full
    details: Check mode reads the registered images and the local Docker images but pushes nothing.
"""

EXAMPLES = r"""
- name: Service with a pushed image behind a health-checked endpoint
  opsforge.infra.lightsail_container_service:
    name: shop
    power: micro
    scale: 2
    public_domain_names:
      shop-cert: [shop.example.com]
    images:
      - image: shop-web:1.4
        label: web
    deployment:
      containers:
        - name: web
          image: ":shop.web.latest"
          environment:
            APP_ENV: prod
          ports:
            "8080": HTTP
        - name: cache
          image: redis:7
          command: [redis-server, --save, ""]
          ports:
            "6379": TCP
      public_endpoint:
        container_name: web
        container_port: 8080
        health_check:
          path: /healthz
          success_codes: "200"
    region: eu-west-1
  register: shop

- name: Scale down
  opsforge.infra.lightsail_container_service:
    name: shop
    scale: 1
    region: eu-west-1

- name: Delete
  opsforge.infra.lightsail_container_service:
    name: shop
    state: absent
    region: eu-west-1
"""

RETURN = r"""
container_service:
  description: The service after the run (empty after O(state=absent)). Container names and environment keep their case.
  returned: always
  type: dict
  sample:
    container_service_name: shop
    power: micro
    scale: 2
    state: RUNNING
    url: https://shop.abc123.eu-west-1.cs.amazonlightsail.com/
    public_domain_names: {shop-cert: [shop.example.com]}
    current_deployment:
      version: 3
      state: ACTIVE
      containers: {web: {image: ":shop.web.3", environment: {APP_ENV: prod}, ports: {"8080": HTTP}}}
      public_endpoint: {container_name: web, container_port: 8080, health_check: {path: /healthz, success_codes: "200"}}
pushed_images:
  description: Label to registered image name, for the images pushed by this run.
  returned: when images were pushed
  type: dict
  sample: {web: ":shop.web.3"}
deployment:
  description: The deployment created and awaited by this run.
  returned: when a deployment was created with O(wait=true)
  type: dict
  sample: {version: 3, state: ACTIVE}
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
diff:
  description: The container service before and after (same shape as RV(container_service)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.container import ContainerService
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def argument_spec():
    health = dict(
        path=dict(type="str"),
        success_codes=dict(type="str"),
        interval_seconds=dict(type="int"),
        timeout_seconds=dict(type="int"),
        healthy_threshold=dict(type="int"),
        unhealthy_threshold=dict(type="int"),
    )
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        power=dict(type="str", choices=["nano", "micro", "small", "medium", "large", "xlarge"]),
        scale=dict(type="int"),
        is_disabled=dict(type="bool"),
        public_domain_names=dict(type="dict"),
        images=dict(type="list", elements="dict", options=dict(
            image=dict(type="str", required=True),
            label=dict(type="str", required=True),
        )),
        docker_host=dict(type="str"),
        delete_images=dict(type="list", elements="str"),
        deployment=dict(type="dict", options=dict(
            containers=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                image=dict(type="str", required=True),
                command=dict(type="list", elements="str"),
                environment=dict(type="dict"),
                ports=dict(type="dict"),
            )),
            public_endpoint=dict(type="dict", options=dict(
                container_name=dict(type="str", required=True),
                container_port=dict(type="int", required=True),
                health_check=dict(type="dict", options=health),
            )),
        )),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1200),
    ))
    return spec.merge(state_spec("present", "absent")).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: ContainerService(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
