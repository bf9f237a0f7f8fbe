#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_image
short_description: Manage an image of the GPU platform's image catalogue
version_added: 0.2.0
description:
  - Keeps one image of the catalogue that M(opsforge.infra.gpu_environment) environments reference with
    O(opsforge.infra.gpu_environment#module:catalogue_image) - a repository, its versions (tags), the default
    version, the GPU models it is built for and a description.
  - The catalogue of a workspace lives in its namespace; the platform catalogue (O(workspace) omitted) lives in
    the namespace C(opsforge-platform), created when missing, and is seen by every workspace. A workspace entry
    of the same name wins.
  - Every version is checked in the registry through the OCI distribution API (C(HEAD /v2/<name>/manifests/<tag>))
    and its manifest digest is pinned, so environments run C(<repository>:<tag>@<digest>). A tag that does not
    exist fails the task before anything is written. A tag moved to another image changes the pinned digest on
    the next run.
  - Each image is a ConfigMap C(opsforge-image-<name>) labelled C(opsforge.io/image-catalogue=<name>).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
attributes:
  check_mode:
    support: full
    description: The registry is still asked (read only); the write is a server-side dry run, or predicted when the
      workspace namespace does not exist yet.
  diff_mode:
    support: full
    description: Before and after are the RV(image) views.
  idempotent:
    support: full
    description: A second run with the same options reports no change while the tags point at the same digests.
options:
  name:
    description: Name of the catalogue image, a DNS label.
    type: str
    required: true
  workspace:
    description: Workspace whose catalogue holds the image. The platform catalogue when omitted.
    type: str
  namespace:
    description: Namespace of the workspace when it is not C(ws-<workspace>), or of the platform catalogue.
    type: str
  state:
    description: V(present) checks the versions and writes the entry; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  repository:
    description: Image repository without tag, for example V(registry.example.com/ml/pytorch). Required with O(state=present).
    type: str
  versions:
    description: Tags of O(repository) the catalogue offers. Each must exist in the registry.
    type: list
    elements: str
  default:
    description: Version used when an environment names no version. The first of O(versions) when omitted.
    type: str
  gpu_models:
    description: GPU models (node label C(nvidia.com/gpu.product)) the image supports; any model when empty.
    type: list
    elements: str
  description:
    description: What the image is for.
    type: str
  registry_username:
    description: User name for the registry (anonymous when omitted).
    type: str
  registry_password:
    description: Password or token for the registry.
    type: str
  registry_insecure:
    description: Talk plain HTTP to the registry (a registry on 127.0.0.1 or a lab).
    type: bool
    default: false
  registry_validate_certs:
    description: Verify the registry's TLS certificate.
    type: bool
    default: true
  registry_timeout:
    description: Seconds to wait for each registry request.
    type: int
    default: 30
seealso:
  - module: opsforge.infra.gpu_image_info
  - module: opsforge.infra.gpu_environment
  - module: opsforge.infra.gpu_workspace
"""

EXAMPLES = r"""
- name: PyTorch images for the vision team, pinned by digest
  opsforge.infra.gpu_image:
    name: pytorch
    workspace: vision
    repository: registry.example.com/ml/pytorch
    versions: ["2.4-cuda12", "2.5-cuda12"]
    default: 2.5-cuda12
    gpu_models: [NVIDIA-A100-SXM4-80GB, NVIDIA-H100-80GB-HBM3]
    description: PyTorch with CUDA 12, Jupyter and sshd

- name: A platform-wide base image
  opsforge.infra.gpu_image:
    name: base
    repository: registry.example.com/platform/base
    versions: ["2026.11"]
    registry_username: robot
    registry_password: "{{ registry_token }}"

- name: An environment from the catalogue
  opsforge.infra.gpu_environment:
    name: alice-dev
    workspace: vision
    owner: alice
    catalogue_image: pytorch
    gpu_model: NVIDIA-A100-SXM4-80GB
"""

RETURN = r"""
image:
  description: The catalogue image after the run (what it would be, in check mode); null when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Catalogue name.
      type: str
      sample: pytorch
    namespace:
      description: Namespace holding the entry.
      type: str
      sample: ws-vision
    workspace:
      description: Workspace of the catalogue, null for the platform catalogue.
      type: str
      sample: vision
    repository:
      description: Image repository.
      type: str
      sample: registry.example.com/ml/pytorch
    description:
      description: What the image is for.
      type: str
      sample: PyTorch with CUDA 12
    default:
      description: Default version.
      type: str
      sample: 2.5-cuda12
    gpu_models:
      description: Supported GPU models, empty for any.
      type: list
      elements: str
      sample: [NVIDIA-A100-SXM4-80GB]
    versions:
      description: Versions with the digest pinned from the registry and the reference environments run.
      type: list
      elements: dict
      sample: [{"tag": "2.5-cuda12", "digest": "sha256:9f53...", "reference": "registry.example.com/ml/pytorch:2.5-cuda12@sha256:9f53..."}]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, get_api  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.images import ImageService, registry_client  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.registry import RegistryClient  # noqa: E402


def argument_spec():
    return ArgumentSpec(dict(
        name=dict(type="str", required=True),
        workspace=dict(type="str"),
        namespace=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        repository=dict(type="str"),
        versions=dict(type="list", elements="str"),
        default=dict(type="str"),
        gpu_models=dict(type="list", elements="str"),
        description=dict(type="str"),
        registry_username=dict(type="str"),
        registry_password=dict(type="str", no_log=True),
        registry_insecure=dict(type="bool", default=False),
        registry_validate_certs=dict(type="bool", default=True),
        registry_timeout=dict(type="int", default=30),
    ), required_if=[("state", "present", ["repository", "versions"])]).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(lambda: ImageService(get_api(module), registry_client(module.params, RegistryClient)).run(module.params))


if __name__ == "__main__":
    main()
