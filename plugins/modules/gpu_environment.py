#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_environment
short_description: Manage a GPU development environment on Kubernetes
version_added: 0.1.0
description:
  - Creates, starts, stops, restarts or deletes a GPU development environment in a workspace made
    with M(opsforge.infra.gpu_workspace).
  - An environment is a StatefulSet of one replica (an image, command, environment, CPU, memory and
    N GPUs) with a home volume from a volumeClaimTemplate (PVC C(home-<name>-0)) that survives
    stop/start, dataset PVCs mounted read-only, and a Service exposing SSH, Jupyter and RDP.
  - The GPU model is chosen by node affinity on the C(nvidia.com/gpu.product) node label; the sharing
    mode chooses the resource key (C(nvidia.com/gpu), C(nvidia.com/mig-<profile>) or C(nvidia.com/gpu.shared)).
  - Before creating or starting, and before a running environment grows, a capacity check makes sure
    the workspace quota has room and that a node the scheduler could use (ready, not cordoned, matching
    O(node_selector) and the GPU model, every C(NoSchedule)/C(NoExecute) taint tolerated) has enough free GPUs,
    MIG slices or time-sliced shares once the pods on it are counted. It fails with a message naming what is short,
    the model, the count and the best candidate node instead of leaving a pod Pending.
  - Every option is checked before the first write. If creating the environment fails half way (the API server
    refuses the StatefulSet), the Secrets and the Service this run created are deleted again; if that fails too,
    the error names what is left and O(state=absent) removes it.
  - Each state change appends an event to the C(opsforge.io/lifecycle) annotation, which metering reads.
    On deletion the lifecycle is archived in the ConfigMap C(opsforge-lifecycle-archive).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
attributes:
  check_mode:
    support: full
    description:
      - Every write is a server-side dry run (C(dryRun=All)); nothing is created, started or stopped.
      - When the workspace namespace does not exist yet (a playbook that creates the workspace in an earlier task,
        run with C(--check)), the creation is predicted after the checks that need no namespace (options, image
        catalogue, node capacity), with a warning.
  diff_mode:
    support: full
    description: Before and after are the RV(environment) views without volatile pod details.
  idempotent:
    support: partial
    description: V(present), V(started), V(stopped) and V(absent) are idempotent; V(restarted) always restarts.
options:
  name:
    description: Environment name, a DNS label of at most 52 characters.
    type: str
    required: true
  workspace:
    description: Workspace the environment belongs to.
    type: str
    required: true
  namespace:
    description: Namespace of the workspace when it is not C(ws-<workspace>).
    type: str
  owner:
    description:
      - User the environment belongs to (label C(opsforge.io/owner)), so a valid label value
        (letters, digits, C(-), C(_), C(.); at most 63 characters). Required to create it.
    type: str
  state:
    description:
      - V(present) and V(started) create the environment or update it and make sure it runs.
      - V(stopped) scales it to zero replicas; volumes, Service and Secrets are kept.
      - V(restarted) replaces the pod (starts it when stopped).
      - V(absent) deletes it; the home PVC is kept unless O(delete_home=true).
    type: str
    choices: [present, started, stopped, restarted, absent]
    default: present
  image:
    description:
      - Container image. Required to create the environment, unless O(catalogue_image) is given.
      - In a workspace whose O(opsforge.infra.gpu_workspace#module:image_policy) is V(catalogue), it must be a
        catalogue image spelled C(<repository>:<tag>), C(<repository>@<digest>) or both; the pinned digest is used.
      - When omitted for an existing environment with O(state=started) or O(state=restarted), the environment is
        started or restarted as it is, and the other spec options are ignored.
    type: str
  catalogue_image:
    description:
      - Name of an image of the catalogue (M(opsforge.infra.gpu_image)) of the workspace, or of the platform catalogue.
        The environment runs C(<repository>:<version>@<digest>), the digest pinned in the catalogue.
      - Mutually exclusive with O(image). When the catalogue entry lists GPU models, O(gpu_model) must be one of them.
    type: str
  catalogue_version:
    description: Version (tag) of O(catalogue_image); its default version when omitted.
    type: str
  image_pull_policy:
    description: Image pull policy of the container.
    type: str
    choices: [Always, IfNotPresent, Never]
  command:
    description: Entrypoint of the container.
    type: list
    elements: str
  args:
    description: Arguments of the container.
    type: list
    elements: str
  env:
    description: Environment variables of the container.
    type: dict
  cpu:
    description: CPU request and limit.
    type: str
    default: "4"
  memory:
    description: Memory request and limit.
    type: str
    default: 16Gi
  gpus:
    description: Number of GPUs (or MIG slices, or time-sliced shares); V(0) for a CPU-only environment.
    type: int
    default: 1
  gpu_model:
    description: GPU model, matched against the node label C(nvidia.com/gpu.product), for example V(NVIDIA-A100-SXM4-80GB).
    type: str
  sharing:
    description:
      - V(whole) requests C(nvidia.com/gpu); V(mig) requests C(nvidia.com/mig-<mig_profile>);
        V(time-sliced) requests C(nvidia.com/gpu.shared).
    type: str
    choices: [whole, mig, time-sliced]
    default: whole
  mig_profile:
    description: MIG profile with O(sharing=mig), for example V(1g.10gb).
    type: str
  node_selector:
    description: Extra node selector of the pod. The capacity check only counts nodes that match it.
    type: dict
  tolerations:
    description:
      - Extra tolerations of the pod, for nodes with taints of their own (the C(nvidia.com/gpu) taint is always
        tolerated when O(gpus) is more than 0). The capacity check counts a tainted node only when a toleration
        matches each of its C(NoSchedule) and C(NoExecute) taints, as the scheduler does.
    type: list
    elements: dict
    suboptions:
      key:
        description: Taint key (omit with O(tolerations[].operator=Exists) to tolerate every taint).
        type: str
      operator:
        description: V(Equal) matches the key and value, V(Exists) the key alone.
        type: str
        choices: [Equal, Exists]
        default: Equal
      value:
        description: Taint value with O(tolerations[].operator=Equal).
        type: str
      effect:
        description: Taint effect to tolerate; every effect when omitted.
        type: str
        choices: [NoSchedule, PreferNoSchedule, NoExecute]
  home_size:
    description: Size of the home volume. It cannot change once the environment exists.
    type: str
    default: 50Gi
  home_mount_path:
    description:
      - Where the home volume is mounted, an absolute path. It is normalised (V(/home/user/) is V(/home/user)); C(..),
        V(/) and system directories (C(/etc), C(/usr), C(/proc), ...) are refused.
    type: str
    default: /home/user
  storage_class:
    description: Storage class of the home volume (the cluster default when omitted).
    type: str
  datasets:
    description: Existing PVCs mounted read-only.
    type: list
    elements: dict
    default: []
    suboptions:
      claim:
        description: PVC name in the workspace namespace. It must exist (checked before any write).
        type: str
        required: true
      mount_path:
        description:
          - Mount path, default C(/data/<claim>). An absolute path, normalised; C(..), V(/), system directories,
            the home directory (or a directory above it) and a path used twice are refused before anything is written.
        type: str
      sub_path:
        description:
          - Sub-path of the volume to mount, relative to the volume and normalised; a leading C(/) or a C(..) segment is
            refused before anything is written.
        type: str
  ssh:
    description: SSH access. The keys go into the Secret C(<name>-ssh), mounted at C(/etc/opsforge/ssh/authorized_keys).
    type: dict
    suboptions:
      enabled:
        description: Expose SSH.
        type: bool
        default: false
      authorized_keys:
        description: OpenSSH public key lines.
        type: list
        elements: str
        default: []
      port:
        description: Port of the SSH server in the container and on the Service.
        type: int
        default: 22
  jupyter:
    description: Jupyter access. The token is kept in the Secret C(<name>-jupyter) and given to the container as C(JUPYTER_TOKEN).
    type: dict
    suboptions:
      enabled:
        description: Expose Jupyter.
        type: bool
        default: false
      token:
        description: Token; a random one is generated (and kept) when omitted.
        type: str
      port:
        description: Port of Jupyter.
        type: int
        default: 8888
  rdp:
    description: RDP access.
    type: dict
    suboptions:
      enabled:
        description: Expose RDP.
        type: bool
        default: false
      port:
        description: Port of the RDP server.
        type: int
        default: 3389
  service_type:
    description: Type of the Service exposing the ports.
    type: str
    choices: [ClusterIP, NodePort, LoadBalancer]
    default: ClusterIP
  max_lifetime:
    description:
      - Maximum running time before the reaper stops the environment, for example V(8h) or V(1h30m)
        (annotation C(opsforge.io/max-lifetime)). It must be longer than 0.
    type: str
  idle_policy:
    description:
      - Idle policy for the reaper, stored as JSON in the annotation C(opsforge.io/idle-policy).
      - "Keys: C(enabled) (bool), C(threshold) (GPU utilisation percent, 0 to 100), C(idle_minutes) (at least 1),
        C(grace_minutes) and C(min_runtime_minutes) (whole minutes). Other keys and mistyped values are refused."
    type: dict
  capacity_check:
    description: Check quota and node capacity before creating, starting or growing the environment.
    type: bool
    default: true
  stopped_by:
    description: Who stops the environment, recorded in the annotation C(opsforge.io/stopped-by) with O(state=stopped).
    type: str
    default: user
  notice:
    description: Message for the user recorded in the annotation C(opsforge.io/notice) with O(state=stopped).
    type: str
  delete_home:
    description: With O(state=absent), also delete the home PVC.
    type: bool
    default: false
  wait:
    description: Wait until the pod is ready (or gone, when stopping).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait. On timeout the error says why the pod is not ready.
    type: int
    default: 300
  wait_sleep:
    description: Seconds between checks while waiting.
    type: int
    default: 2
notes:
  - The image is expected to run an SSH server reading C($OPSFORGE_SSH_AUTHORIZED_KEYS) and Jupyter with
    C($JUPYTER_TOKEN) when those are enabled.
seealso:
  - module: opsforge.infra.gpu_workspace
  - module: opsforge.infra.gpu_environment_info
"""

EXAMPLES = r"""
- name: Two A100s for Alice, with SSH and Jupyter
  opsforge.infra.gpu_environment:
    name: alice-dev
    workspace: vision
    owner: alice
    image: registry.example.com/ml/pytorch:2.4-cuda12
    gpus: 2
    gpu_model: NVIDIA-A100-SXM4-80GB
    cpu: "16"
    memory: 128Gi
    home_size: 200Gi
    datasets:
      - claim: imagenet
    ssh:
      enabled: true
      authorized_keys:
        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH9H2x1ss7cWmBuY3+0b8tX6lM1Q8r0J3N8bD5z8v1cQ alice@laptop
    jupyter:
      enabled: true
    service_type: NodePort
    max_lifetime: 12h
  register: env

- name: Show how to connect
  ansible.builtin.debug:
    msg: "{{ env.environment.access.ssh.command }}"

- name: A MIG slice for a notebook
  opsforge.infra.gpu_environment:
    name: bob-nb
    workspace: vision
    owner: bob
    image: jupyter/base-notebook:latest
    sharing: mig
    mig_profile: 1g.10gb
    jupyter:
      enabled: true

- name: An image of the workspace catalogue (see opsforge.infra.gpu_image), pinned by digest
  opsforge.infra.gpu_environment:
    name: carol-dev
    workspace: vision
    owner: carol
    catalogue_image: pytorch
    catalogue_version: 2.5-cuda12
    gpu_model: NVIDIA-A100-SXM4-80GB
    node_selector:
      pool: research
    tolerations:
      - key: dedicated
        value: research
        effect: NoSchedule

- name: Stop it for the night (home volume kept)
  opsforge.infra.gpu_environment:
    name: alice-dev
    workspace: vision
    state: stopped

- name: Delete it and its home volume
  opsforge.infra.gpu_environment:
    name: alice-dev
    workspace: vision
    state: absent
    delete_home: true
"""

RETURN = r"""
environment:
  description: The environment after the run (what it would be, in check mode); null when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Environment name.
      type: str
      sample: alice-dev
    namespace:
      description: Namespace.
      type: str
      sample: ws-vision
    workspace:
      description: Workspace.
      type: str
      sample: vision
    owner:
      description: Owner.
      type: str
      sample: alice
    state:
      description: One of C(running), C(starting), C(pending), C(failed), C(stopping), C(stopped).
      type: str
      sample: running
    replicas:
      description: Replicas of the StatefulSet (1 or 0).
      type: int
      sample: 1
    image:
      description: Container image.
      type: str
      sample: registry.example.com/ml/pytorch:2.4-cuda12
    gpus:
      description: GPUs requested.
      type: int
      sample: 2
    resource_key:
      description: Resource key of the GPUs.
      type: str
      sample: nvidia.com/gpu
    gpu_model:
      description: GPU model asked for, null when any.
      type: str
      sample: NVIDIA-A100-SXM4-80GB
    cpu:
      description: CPU request.
      type: str
      sample: "16"
    memory:
      description: Memory request.
      type: str
      sample: 128Gi
    home_size:
      description: Size of the home volume.
      type: str
      sample: 200Gi
    home_claim:
      description: Name of the home PVC.
      type: str
      sample: home-alice-dev-0
    max_lifetime:
      description: Maximum lifetime, null when none.
      type: str
      sample: 12h
    stopped_by:
      description: Who stopped it last, null when running.
      type: str
      sample: reaper:idle
    notice:
      description: Last notice for the user, null when none.
      type: str
      sample: null
    created:
      description: Creation time of the StatefulSet.
      type: str
      sample: "2026-11-23T01:00:00Z"
    lifecycle:
      description: Lifecycle events, oldest first.
      type: list
      elements: dict
      sample: [{"event": "created", "at": "2026-11-23T01:00:00Z", "gpus": 2, "gpu_model": "NVIDIA-A100-SXM4-80GB",
                "resource_key": "nvidia.com/gpu", "cpu": "16", "memory": "128Gi", "storage": "200Gi"}]
    runtime_seconds:
      description: Seconds it has been running in total.
      type: int
      sample: 3600
    pod:
      description: The pod, null when there is none.
      type: dict
      sample: {"name": "alice-dev-0", "phase": "Running", "node": "gpu-a1", "ready": true, "reason": null}
    access:
      description:
        - How to connect. C(host) is the Service DNS name for ClusterIP, a node address for NodePort,
          the load balancer address for LoadBalancer.
        - The Jupyter token is not returned; read it from the Secret named in C(jupyter.token_secret).
      type: dict
      sample: {"service_type": "NodePort", "host": "10.0.0.5", "cluster_ip": "10.96.4.20", "ssh": {"host": "10.0.0.5", "port": 30022,
               "command": "ssh -p 30022 user@10.0.0.5"}, "jupyter": {"url": "http://10.0.0.5:30888/lab",
               "token_secret": "alice-dev-jupyter"}}
"""

# AnsibleModule is OpsforgeModule's base; the unit tests patch its warn() through this module
from ansible.module_utils.basic import AnsibleModule  # noqa: E402,F401  # pylint: disable=unused-import

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, get_api  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment import EnvironmentService  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_input import access_options  # noqa: E402


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        workspace=dict(type="str", required=True),
        namespace=dict(type="str"),
        owner=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "started", "stopped", "restarted", "absent"]),
        image=dict(type="str"),
        catalogue_image=dict(type="str"),
        catalogue_version=dict(type="str"),
        image_pull_policy=dict(type="str", choices=["Always", "IfNotPresent", "Never"]),
        command=dict(type="list", elements="str"),
        args=dict(type="list", elements="str"),
        env=dict(type="dict"),
        cpu=dict(type="str", default="4"),
        memory=dict(type="str", default="16Gi"),
        gpus=dict(type="int", default=1),
        gpu_model=dict(type="str"),
        sharing=dict(type="str", default="whole", choices=["whole", "mig", "time-sliced"]),
        mig_profile=dict(type="str"),
        node_selector=dict(type="dict"),
        tolerations=dict(type="list", elements="dict", options=dict(
            key=dict(type="str", no_log=False),
            operator=dict(type="str", default="Equal", choices=["Equal", "Exists"]),
            value=dict(type="str"),
            effect=dict(type="str", choices=["NoSchedule", "PreferNoSchedule", "NoExecute"]),
        )),
        home_size=dict(type="str", default="50Gi"),
        home_mount_path=dict(type="str", default="/home/user"),
        storage_class=dict(type="str"),
        datasets=dict(type="list", elements="dict", default=[], options=dict(
            claim=dict(type="str", required=True),
            mount_path=dict(type="str"),
            sub_path=dict(type="str"),
        )),
        **access_options(),
        service_type=dict(type="str", default="ClusterIP", choices=["ClusterIP", "NodePort", "LoadBalancer"]),
        max_lifetime=dict(type="str"),
        idle_policy=dict(type="dict"),
        capacity_check=dict(type="bool", default=True),
        stopped_by=dict(type="str", default="user"),
        notice=dict(type="str"),
        delete_home=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        wait_sleep=dict(type="int", default=2),
    ), required_if=[("sharing", "mig", ["mig_profile"])], mutually_exclusive=[("image", "catalogue_image")])
    return spec.merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(lambda: EnvironmentService(get_api(module)).run(module.params))


if __name__ == "__main__":
    main()
