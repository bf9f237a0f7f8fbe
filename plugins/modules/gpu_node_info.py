#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_node_info
short_description: GPU inventory of the Kubernetes nodes
version_added: 0.1.0
description:
  - Lists the nodes that offer GPUs (C(nvidia.com/gpu), C(nvidia.com/gpu.shared) or C(nvidia.com/mig-*)
    resources) with capacity, allocatable and allocated (summed from the requests of the active pods bound
    to them) per resource key, the GPU model / memory / MIG labels of NVIDIA GPU feature discovery,
    taints and schedulability, and totals per GPU model.
  - Two list calls (Nodes, Pods) whatever the size of the cluster.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - opsforge.infra.gpu.info_attributes
options:
  name:
    description: Only this node.
    type: str
  gpu_model:
    description: Only nodes labelled C(nvidia.com/gpu.product) with this model.
    type: str
  label_selector:
    description: Extra label selector for the nodes, for example V(topology.kubernetes.io/zone=a).
    type: str
  all_nodes:
    description: Include nodes without GPU resources too.
    type: bool
    default: false
seealso:
  - module: opsforge.infra.gpu_node
"""

EXAMPLES = r"""
- name: Free A100s
  opsforge.infra.gpu_node_info:
    gpu_model: NVIDIA-A100-SXM4-80GB
  register: gpu

- name: Report
  ansible.builtin.debug:
    msg: "{{ gpu.totals['NVIDIA-A100-SXM4-80GB'].free['nvidia.com/gpu'] | default(0) }} A100s free"
"""

RETURN = r"""
nodes:
  description: GPU nodes sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Node name.
      type: str
      sample: gpu-a1
    gpu_model:
      description: Label C(nvidia.com/gpu.product).
      type: str
      sample: NVIDIA-A100-SXM4-80GB
    gpu_memory_mib:
      description: Label C(nvidia.com/gpu.memory) (MiB).
      type: int
      sample: 81920
    gpu_count_label:
      description: Label C(nvidia.com/gpu.count).
      type: int
      sample: 8
    mig_strategy:
      description: Label C(nvidia.com/mig.strategy).
      type: str
      sample: mixed
    mig_labels:
      description: Every C(nvidia.com/mig*) label.
      type: dict
      sample: {"nvidia.com/mig.strategy": "mixed"}
    resource_keys:
      description: GPU resource keys the node offers.
      type: list
      elements: str
      sample: [nvidia.com/gpu, nvidia.com/mig-1g.10gb]
    capacity:
      description: Capacity per resource key.
      type: dict
      sample: {"nvidia.com/gpu": 8}
    allocatable:
      description: Allocatable per resource key.
      type: dict
      sample: {"nvidia.com/gpu": 8}
    allocated:
      description: Requested by active pods on the node, per resource key.
      type: dict
      sample: {"nvidia.com/gpu": 6}
    free:
      description: Allocatable minus allocated, per resource key.
      type: dict
      sample: {"nvidia.com/gpu": 2}
    cpu:
      description: CPU allocatable and allocated.
      type: dict
      sample: {"allocatable": "96", "allocated": "40"}
    memory:
      description: Memory allocatable and allocated (allocated in bytes).
      type: dict
      sample: {"allocatable": "1056Gi", "allocated": "274877906944"}
    taints:
      description: Node taints.
      type: list
      elements: dict
      sample: [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]
    ready:
      description: Whether the node is Ready.
      type: bool
      sample: true
    cordoned:
      description: Whether the node is cordoned.
      type: bool
      sample: false
    schedulable:
      description: Ready, not cordoned and without taints GPU environments do not tolerate.
      type: bool
      sample: true
    maintenance:
      description: Maintenance reason set by M(opsforge.infra.gpu_node), null when none.
      type: str
      sample: null
    environments:
      description: GPU environments running on the node.
      type: list
      elements: dict
      sample: [{"namespace": "ws-vision", "workspace": "vision", "environment": "alice-dev", "owner": "alice", "pod": "alice-dev-0"}]
totals:
  description: Per GPU model (C(unknown) without the label), node counts and per-key sums; C(free) counts schedulable nodes only.
  returned: always
  type: dict
  sample: {"NVIDIA-A100-SXM4-80GB": {"nodes": 2, "schedulable_nodes": 1, "capacity": {"nvidia.com/gpu": 16},
           "allocatable": {"nvidia.com/gpu": 16}, "allocated": {"nvidia.com/gpu": 6}, "free": {"nvidia.com/gpu": 2}}}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, get_api  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.nodes import node_info  # noqa: E402


def argument_spec():
    return ArgumentSpec(dict(
        name=dict(type="str"),
        gpu_model=dict(type="str"),
        label_selector=dict(type="str"),
        all_nodes=dict(type="bool", default=False),
    )).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(lambda: node_info(get_api(module), module.params))


if __name__ == "__main__":
    main()
