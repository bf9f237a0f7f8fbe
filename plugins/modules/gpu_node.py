#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_node
short_description: Register a GPU host with the platform, or take it out for maintenance and back
version_added: 0.1.0
description:
  - Labels (C(opsforge.io/gpu-node=true), optionally the GPU model label) and taints a node that has joined
    the cluster, so GPU environments can be scheduled on it.
  - O(state=maintenance) cordons the node and records the reason in the annotation C(opsforge.io/maintenance).
    With O(drain=true) the GPU environments running on it are stopped (or their pods evicted) after a notice
    is recorded on each (annotation C(opsforge.io/notice)), so users and M(opsforge.infra.notify) can tell them.
  - O(state=present) uncordons the node and clears the maintenance annotation.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
attributes:
  check_mode:
    support: full
    description: Every write is a server-side dry run.
  diff_mode:
    support: full
    description: Labels, taints, cordon and maintenance, before and after.
  idempotent:
    support: full
    description: A second run reports no change.
options:
  name:
    description: Node name.
    type: str
    required: true
  state:
    description: V(present) (schedulable) or V(maintenance) (cordoned).
    type: str
    choices: [present, maintenance]
    default: present
  gpu_model:
    description: Set the label C(nvidia.com/gpu.product) (normally set by GPU feature discovery).
    type: str
  labels:
    description: Extra labels to set.
    type: dict
  taints:
    description: Taints to add (or remove with O(taints[].state=absent)); other taints are kept.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: Taint key.
        type: str
        required: true
      value:
        description: Taint value.
        type: str
      effect:
        description: Taint effect.
        type: str
        choices: [NoSchedule, PreferNoSchedule, NoExecute]
        default: NoSchedule
      state:
        description: Whether the taint should exist.
        type: str
        choices: [present, absent]
        default: present
  cordon:
    description: With O(state=present), keep the node cordoned anyway.
    type: bool
    default: false
  reason:
    description: Maintenance reason.
    type: str
    default: maintenance
  drain:
    description: With O(state=maintenance), take the GPU environments off the node.
    type: bool
    default: false
  drain_action:
    description:
      - V(stop) scales each environment to zero (its owner starts it again later, elsewhere);
        V(evict) evicts the pod so the StatefulSet starts it again on another node.
    type: str
    choices: [stop, evict]
    default: stop
  notice:
    description: Notice recorded on each drained environment. A default names the node and reason.
    type: str
seealso:
  - module: opsforge.infra.gpu_node_info
"""

EXAMPLES = r"""
- name: Register a new A100 host
  opsforge.infra.gpu_node:
    name: gpu-a7
    gpu_model: NVIDIA-A100-SXM4-80GB
    labels:
      opsforge.io/pool: training
    taints:
      - key: nvidia.com/gpu
        effect: NoSchedule

- name: Driver upgrade on gpu-a7, stopping the environments on it
  opsforge.infra.gpu_node:
    name: gpu-a7
    state: maintenance
    reason: driver upgrade to 560
    drain: true
    notice: gpu-a7 goes down at 22:00 UTC for a driver upgrade; start your environment again afterwards.
  register: drained

- name: Back in service
  opsforge.infra.gpu_node:
    name: gpu-a7
    state: present
"""

RETURN = r"""
node:
  description: The node after the run, in the form of the items of RV(opsforge.infra.gpu_node_info#module:nodes).
  returned: always
  type: dict
  sample: {"name": "gpu-a7", "gpu_model": "NVIDIA-A100-SXM4-80GB", "cordoned": true, "maintenance": "driver upgrade to 560"}
drained:
  description: Environments taken off the node (empty unless O(drain=true)).
  returned: always
  type: list
  elements: dict
  sample: [{"namespace": "ws-vision", "environment": "alice-dev", "pod": "alice-dev-0", "owner": "alice",
            "action": "stop", "notice": "gpu-a7 goes down at 22:00 UTC"}]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, get_api  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.nodes import NodeService  # noqa: E402


def argument_spec():
    return ArgumentSpec(dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "maintenance"]),
        gpu_model=dict(type="str"),
        labels=dict(type="dict"),
        taints=dict(type="list", elements="dict", default=[], options=dict(
            key=dict(type="str", required=True, no_log=False),
            value=dict(type="str"),
            effect=dict(type="str", default="NoSchedule", choices=["NoSchedule", "PreferNoSchedule", "NoExecute"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        )),
        cordon=dict(type="bool", default=False),
        reason=dict(type="str", default="maintenance"),
        drain=dict(type="bool", default=False),
        drain_action=dict(type="str", default="stop", choices=["stop", "evict"]),
        notice=dict(type="str"),
    )).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(lambda: NodeService(get_api(module)).run(module.params))


if __name__ == "__main__":
    main()
