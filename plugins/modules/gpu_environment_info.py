#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_environment_info
short_description: List GPU development environments
version_added: 0.1.0
description:
  - Lists the environments made by M(opsforge.infra.gpu_environment), in one workspace or in all of them,
    with their state, GPUs, image, runtime, lifecycle and access information.
  - Uses three list calls (StatefulSets, Pods, Services) whatever the number of environments, plus one for
    Nodes when a NodePort Service needs a node address.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - opsforge.infra.gpu.info_attributes
options:
  workspace:
    description: Only environments of this workspace. All workspaces when omitted.
    type: str
  namespace:
    description: Namespace to look in (defaults to C(ws-<workspace>) with O(workspace), else all namespaces).
    type: str
  name:
    description: Only the environment of this name.
    type: str
  owner:
    description: Only environments of this owner.
    type: str
  state:
    description: Only environments in these states.
    type: list
    elements: str
    choices: [running, starting, pending, failed, stopping, stopped]
seealso:
  - module: opsforge.infra.gpu_environment
"""

EXAMPLES = r"""
- name: Everything running in the vision workspace
  opsforge.infra.gpu_environment_info:
    workspace: vision
    state: [running]
  register: envs

- name: GPUs in use per owner
  ansible.builtin.debug:
    msg: "{{ item.owner }} uses {{ item.gpus }} x {{ item.gpu_model | default('any', true) }}"
  loop: "{{ envs.environments }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
environments:
  description:
    - The environments, sorted by namespace and name. Each item has the keys of RV(opsforge.infra.gpu_environment#module:environment).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "alice-dev", "namespace": "ws-vision", "workspace": "vision", "owner": "alice", "state": "running",
            "gpus": 2, "resource_key": "nvidia.com/gpu", "gpu_model": "NVIDIA-A100-SXM4-80GB", "image": "pytorch:2.4",
            "runtime_seconds": 5400, "access": {"service_type": "ClusterIP", "host": "alice-dev.ws-vision.svc"}}]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, get_api  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.info import environment_info  # noqa: E402


def argument_spec():
    return ArgumentSpec(dict(
        workspace=dict(type="str"),
        namespace=dict(type="str"),
        name=dict(type="str"),
        owner=dict(type="str"),
        state=dict(type="list", elements="str",
                   choices=["running", "starting", "pending", "failed", "stopping", "stopped"]),
    )).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(lambda: environment_info(get_api(module), module.params))


if __name__ == "__main__":
    main()
