#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_image_info
short_description: List the GPU platform's image catalogue
version_added: 0.2.0
description:
  - Lists the catalogue images made by M(opsforge.infra.gpu_image) that a workspace sees (its own and the
    platform's; its own win on equal names), or the platform catalogue alone when O(workspace) is omitted.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - opsforge.infra.gpu.info_attributes
options:
  workspace:
    description: Workspace whose catalogue to list (with the platform's). The platform catalogue alone when omitted.
    type: str
  namespace:
    description: Namespace of the workspace when it is not C(ws-<workspace>).
    type: str
  name:
    description: Only the image of this name.
    type: str
seealso:
  - module: opsforge.infra.gpu_image
"""

EXAMPLES = r"""
- name: What the vision team may run
  opsforge.infra.gpu_image_info:
    workspace: vision
  register: catalogue

- name: Show the default references
  ansible.builtin.debug:
    msg: "{{ catalogue.images | map(attribute='name') | list }}"
"""

RETURN = r"""
images:
  description: Catalogue images, sorted by name, each as the RV(opsforge.infra.gpu_image#module:image) value of M(opsforge.infra.gpu_image).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "pytorch", "namespace": "ws-vision", "workspace": "vision", "repository": "registry.example.com/ml/pytorch",
            "description": "PyTorch", "default": "2.5", "gpu_models": [],
            "versions": [{"tag": "2.5", "digest": "sha256:9f53...", "reference": "registry.example.com/ml/pytorch:2.5@sha256:9f53..."}]}]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, get_api  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.images import image_info  # noqa: E402


def argument_spec():
    return ArgumentSpec(dict(
        workspace=dict(type="str"),
        namespace=dict(type="str"),
        name=dict(type="str"),
    )).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(lambda: image_info(get_api(module), module.params))


if __name__ == "__main__":
    main()
