#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_workspace
short_description: Manage a team workspace of the GPU platform on Kubernetes
version_added: 0.1.0
description:
  - Creates, updates or deletes a team's workspace. A workspace is a namespace (C(ws-<name>) unless
    O(namespace) is given) labelled C(opsforge.io/kind=workspace) and C(opsforge.io/workspace=<name>).
  - In it the module keeps a ResourceQuota C(opsforge-quota) (GPUs per resource key, CPU, memory,
    storage, pods), a LimitRange C(opsforge-defaults) with container defaults, one RoleBinding per
    member to the C(admin), C(edit) or C(view) ClusterRole, and a NetworkPolicy C(opsforge-isolation)
    that only admits traffic from the workspace itself (and the namespaces listed).
  - Check mode asks the API server for a dry run where the namespace exists, and predicts the result otherwise.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
attributes:
  check_mode:
    support: full
    description: Server-side dry run (C(dryRun=All)) of every write; objects of a namespace that does not exist yet are predicted.
  diff_mode:
    support: full
    description: Before and after are the RV(workspace) views.
  idempotent:
    support: full
    description: A second run with the same options reports no change.
options:
  name:
    description: Workspace (team) name, a DNS label of at most 60 characters.
    type: str
    required: true
  namespace:
    description: Namespace of the workspace. Defaults to C(ws-<name>).
    type: str
  state:
    description:
      - V(present) creates or updates the workspace.
      - V(absent) deletes the namespace and everything in it. It refuses while GPU environments
        exist in the workspace, unless O(force=true).
    type: str
    choices: [present, absent]
    default: present
  force:
    description: With O(state=absent), delete the workspace even if environments still exist in it.
    type: bool
    default: false
  labels:
    description: Extra labels for the namespace. The C(opsforge.io/*) labels are always set.
    type: dict
  annotations:
    description: Extra annotations for the namespace.
    type: dict
  quota:
    description:
      - Hard limits of the ResourceQuota C(opsforge-quota). Omit to leave the quota as it is.
      - Limits on C(requests.*) apply to the sum of the requests of the pods in the workspace.
    type: dict
    suboptions:
      gpus:
        description:
          - "GPUs per resource key, for example C({\"nvidia.com/gpu\": 8, \"nvidia.com/mig-1g.10gb\": 14})."
          - Keys must be C(nvidia.com/gpu), C(nvidia.com/gpu.shared) or C(nvidia.com/mig-<profile>).
        type: dict
      cpu:
        description: CPU requested by all pods together (C(requests.cpu)), for example V(64) or V(500m).
        type: str
      memory:
        description: Memory requested by all pods together (C(requests.memory)), for example V(512Gi).
        type: str
      storage:
        description: Storage requested by all PVCs together (C(requests.storage)), for example V(2Ti).
        type: str
      pods:
        description: Number of pods.
        type: int
      persistent_volume_claims:
        description: Number of PVCs.
        type: int
  limit_range:
    description: Container defaults of the LimitRange C(opsforge-defaults). Omit to leave it as it is.
    type: dict
    suboptions:
      cpu:
        description: Default CPU limit.
        type: str
      memory:
        description: Default memory limit.
        type: str
      request_cpu:
        description: Default CPU request.
        type: str
      request_memory:
        description: Default memory request.
        type: str
      max_cpu:
        description: Largest CPU limit of one container.
        type: str
      max_memory:
        description: Largest memory limit of one container.
        type: str
  members:
    description:
      - People, groups or service accounts with access, each as a RoleBinding
        C(opsforge-member-<kind>-<slug>-<hash>) to the ClusterRole named by O(members[].role).
      - Members are told apart as Kubernetes tells subjects apart, by kind and exact name (case-sensitive),
        so V(Alice) and V(alice), or V(j.doe@x) and V(j-doe@x), are different members with their own bindings.
        The same kind and name listed twice is an error.
      - When O(members) is omitted the member bindings are left as they are. When it is given, bindings of
        members not listed are removed if O(purge_members=true) (use V([]) to remove every member).
    type: list
    elements: dict
    suboptions:
      name:
        description: User, group or service account name.
        type: str
        required: true
      kind:
        description: Kind of subject.
        type: str
        choices: [user, group, serviceaccount]
        default: user
      role:
        description: ClusterRole to bind.
        type: str
        choices: [admin, edit, view]
        default: edit
      namespace:
        description: Namespace of a service account (defaults to the workspace namespace).
        type: str
  image_policy:
    description:
      - V(catalogue) lets environments of the workspace run only images of the image catalogue
        (M(opsforge.infra.gpu_image), the workspace's and the platform's); V(any) lets them run any image.
      - Stored as the namespace annotation C(opsforge.io/image-policy). Left as it is when omitted.
    type: str
    choices: [any, catalogue]
  purge_members:
    description: Remove the member RoleBindings of members not in O(members). Only used when O(members) is given.
    type: bool
    default: true
  network_isolation:
    description:
      - The NetworkPolicy C(opsforge-isolation) that admits ingress only from the workspace, the namespaces
        listed, and, on the SSH, Jupyter and RDP ports of environments, from O(network_isolation.access_cidrs).
    type: dict
    default: {}
    suboptions:
      enabled:
        description: Keep the policy; V(false) removes it.
        type: bool
        default: true
      allow_from_namespaces:
        description: Namespaces whose pods may also connect (for example an ingress controller's).
        type: list
        elements: str
        default: []
      access_cidrs:
        description:
          - Where the access paths that M(opsforge.infra.gpu_environment) creates are reached from. The policy
            admits the container ports named C(ssh), C(jupyter) and C(rdp) (whatever their numbers) from these
            CIDRs, so SSH, Jupyter and RDP work through a NodePort or LoadBalancer Service.
          - Defaults to anywhere (V(0.0.0.0/0) and V(::/0)); V([]) closes them to everything outside the workspace
            and O(network_isolation.allow_from_namespaces).
        type: list
        elements: str
notes:
  - The user needs RBAC to manage namespaces, resourcequotas, limitranges, rolebindings (and to bind the
    C(admin)/C(edit)/C(view) ClusterRoles) and networkpolicies; see C(docs/gpu-platform.md).
seealso:
  - module: opsforge.infra.gpu_environment
  - module: kubernetes.core.k8s
"""

EXAMPLES = r"""
- name: Onboard the vision team
  opsforge.infra.gpu_workspace:
    name: vision
    quota:
      gpus:
        nvidia.com/gpu: 8
        nvidia.com/mig-1g.10gb: 14
      cpu: "128"
      memory: 1Ti
      storage: 4Ti
      pods: 40
    limit_range:
      cpu: "4"
      memory: 16Gi
      request_cpu: "1"
      request_memory: 4Gi
    members:
      - name: alice@example.com
        role: admin
      - name: vision-researchers
        kind: group
        role: edit
    network_isolation:
      allow_from_namespaces: [ingress-nginx, monitoring]

- name: Every module of the group shares the connection options
  module_defaults:
    group/opsforge.infra.k8s:
      kubeconfig: /etc/opsforge/kubeconfig
      context: gpu-prod
  block:
    - name: Remove a team that has no environments left
      opsforge.infra.gpu_workspace:
        name: old-team
        state: absent
"""

RETURN = r"""
workspace:
  description: The workspace after the run (what the server would hold, in check mode); null when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Workspace name.
      type: str
      sample: vision
    namespace:
      description: Its namespace.
      type: str
      sample: ws-vision
    labels:
      description: Namespace labels.
      type: dict
      sample: {"opsforge.io/kind": "workspace", "opsforge.io/workspace": "vision"}
    phase:
      description: Namespace phase (C(Active) or C(Terminating)).
      type: str
      sample: Active
    quota:
      description: Hard limits of C(opsforge-quota), null when there is none.
      type: dict
      sample: {"requests.nvidia.com/gpu": "8", "requests.cpu": "128", "pods": "40"}
    quota_used:
      description: Usage reported by the quota controller, when it has reported.
      type: dict
      sample: {"requests.nvidia.com/gpu": "2"}
    limit_range:
      description: The container limit of C(opsforge-defaults), null when there is none.
      type: dict
      sample: {"type": "Container", "default": {"cpu": "4", "memory": "16Gi"}}
    members:
      description: Subjects of the member RoleBindings.
      type: list
      elements: dict
      sample: [{"name": "alice@example.com", "kind": "User", "role": "admin"}]
    network_isolation:
      description: Whether the isolating NetworkPolicy exists.
      type: bool
      sample: true
    image_policy:
      description: V(catalogue) when environments may only run catalogue images, else V(any).
      type: str
      sample: catalogue
    environments:
      description: Names of the GPU environments in the workspace.
      type: list
      elements: str
      sample: [alice-dev]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, get_api  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.workspace import WorkspaceService  # noqa: E402


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        namespace=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        force=dict(type="bool", default=False),
        labels=dict(type="dict"),
        annotations=dict(type="dict"),
        quota=dict(type="dict", options=dict(
            gpus=dict(type="dict"),
            cpu=dict(type="str"),
            memory=dict(type="str"),
            storage=dict(type="str"),
            pods=dict(type="int"),
            persistent_volume_claims=dict(type="int"),
        )),
        limit_range=dict(type="dict", options=dict(
            cpu=dict(type="str"), memory=dict(type="str"), request_cpu=dict(type="str"),
            request_memory=dict(type="str"), max_cpu=dict(type="str"), max_memory=dict(type="str"),
        )),
        members=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            kind=dict(type="str", default="user", choices=["user", "group", "serviceaccount"]),
            role=dict(type="str", default="edit", choices=["admin", "edit", "view"]),
            namespace=dict(type="str"),
        )),
        image_policy=dict(type="str", choices=["any", "catalogue"]),
        purge_members=dict(type="bool", default=True),
        network_isolation=dict(type="dict", default={}, options=dict(
            enabled=dict(type="bool", default=True),
            allow_from_namespaces=dict(type="list", elements="str", default=[]),
            access_cidrs=dict(type="list", elements="str"),
        )),
    ))
    return spec.merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(lambda: WorkspaceService(get_api(module)).run(module.params))


if __name__ == "__main__":
    main()
