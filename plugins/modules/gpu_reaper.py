#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_reaper
short_description: Stop idle or expired GPU environments after a warning, and sweep leaked objects
version_added: 0.1.0
description:
  - Finds running environments (StatefulSets labelled C(app.kubernetes.io/managed-by=opsforge)) that are
    B(idle) (the highest value of their idle signal over O(idle_minutes), queried from Prometheus, is below
    O(idle_threshold), and they have run O(min_runtime_minutes) and the whole idle window) or
    past their B(maximum lifetime) (annotation C(opsforge.io/max-lifetime), else O(max_lifetime)), counted
    from their last start.
  - The first run that finds one B(warns) (a notification through O(notify), and the annotations
    C(opsforge.io/reaper-warning) and C(opsforge.io/notice) on the StatefulSet). A run at least
    O(grace_minutes) later that still finds it idle, or a run after its lifetime ended, B(stops) it, with
    replicas 0, a C(stopped) lifecycle event (for metering) and C(opsforge.io/stopped-by=reaper:idle)
    or C(reaper:lifetime). Activity after a warning clears it.
  - 'The idle signal depends on how the environment holds its GPU (its pod template''s resource limits): whole and
    time-sliced GPUs use O(metric) (device utilisation; a shared device is idle only when every sharer is), MIG
    instances use O(mig_metric) per GPU instance (C(GPU_I_ID)) times 100, because DCGM reports no utilisation per
    MIG instance. An environment without samples (or with no GPU) is listed in RV(reaper.unknown_utilization) and
    never stopped for idleness.'
  - The annotation C(opsforge.io/idle-policy) (JSON with C(enabled), C(threshold), C(idle_minutes),
    C(grace_minutes), C(min_runtime_minutes)) overrides the idle options per environment.
  - The annotation C(opsforge.io/keep) (any value but V(false), V(no), V(0); write the reason) on a StatefulSet or
    on an object an environment owns exempts it from every rule - idle, lifetime and leaks. A warning already
    given is cleared. Kept objects are listed in RV(reaper.kept).
  - With O(sweep_leaks), Services, Secrets, ConfigMaps and PVCs labelled with an environment that no longer exists
    and older than O(orphan_grace) are marked with C(opsforge.io/orphaned-at) and deleted O(orphan_grace) later
    (PVCs - O(pvc_retention) later), unless their environment exists again. The objects of an environment being
    created right now are never touched.
  - Objects Kubernetes is already deleting (C(deletionTimestamp) set, for example everything in a workspace namespace
    being deleted) are left to Kubernetes.
  - One run makes five list calls and one Prometheus query per distinct idle signal and window, whatever the
    number of environments. Made to run from an AWX schedule (see C(playbooks/gpu_nightly_reaper.yml)).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - opsforge.infra.gpu.prometheus
attributes:
  check_mode:
    support: full
    description: Returns exactly the actions a real run would take at that instant; sends and writes nothing.
  diff_mode:
    support: full
    description: Before and after state of each object acted on (running, warned, stopped, orphaned, absent).
  idempotent:
    support: partial
    description: A second run right after the first changes nothing; later runs act as time passes (that is the point).
options:
  prometheus_url:
    description: Base URL of the Prometheus that scrapes the DCGM exporter. Required when O(idle_detection=true).
    type: str
  idle_detection:
    description: Stop idle environments. V(false) leaves only lifetime stops and leak sweeping.
    type: bool
    default: true
  idle_threshold:
    description: GPU utilisation in percent under which an environment counts as idle.
    type: float
    default: 5.0
  idle_minutes:
    description: How long the utilisation must stay under O(idle_threshold).
    type: int
    default: 60
  grace_minutes:
    description: Time between the warning and the stop.
    type: int
    default: 30
  min_runtime_minutes:
    description: Environments that started less than this ago are never stopped for idleness.
    type: int
    default: 60
  max_lifetime:
    description: Default maximum lifetime (V(8h), V(2d), V(1h30m)) for environments without C(opsforge.io/max-lifetime).
    type: str
  sweep_leaks:
    description: Delete orphaned Services and PVCs, and environments of workspaces being deleted.
    type: bool
    default: true
  pvc_retention:
    description: How long an orphaned PVC (a kept home volume) stays after it was first found orphaned.
    type: str
    default: 7d
  metric:
    description: The utilisation metric of whole and time-sliced GPUs (percent).
    type: str
    default: DCGM_FI_DEV_GPU_UTIL
  mig_metric:
    description: The activity metric of MIG instances (ratio 0-1, series with a C(GPU_I_ID) label; multiplied by 100).
    type: str
    default: DCGM_FI_PROF_GR_ENGINE_ACTIVE
  orphan_grace:
    description:
      - How old an orphaned object must be before it is marked, and how long after the mark it is deleted
        (V(30m), V(1h), V(2h)). PVCs wait the longer of this and O(pvc_retention).
    type: str
    default: 1h
  pod_label:
    description: Label of O(metric) naming the pod (V(exported_pod) when Prometheus renamed it).
    type: str
    default: pod
  namespace_label:
    description: Label of O(metric) naming the namespace (V(exported_namespace) when Prometheus renamed it).
    type: str
    default: namespace
  extra_selector:
    description: More PromQL label matchers for O(metric), for example V(cluster="prod").
    type: str
    default: ""
  cluster_name:
    description: Name shown in the notification title.
    type: str
  notify:
    description:
      - Where warnings and stops are announced (see M(opsforge.infra.notify)).
      - When omitted, owners learn of a warning or stop only from the C(opsforge.io/notice) annotation, and the task
        raises an Ansible warning whenever it warns or stops someone.
    type: dict
    suboptions:
      kind:
        description: Webhook flavour.
        type: str
        required: true
        choices: [feishu, dingtalk, slack, generic]
      url:
        description: Webhook URL (holds a token; never logged).
        type: str
        required: true
      secret:
        description: Signing secret.
        type: str
      retries:
        description: Retries of the notification.
        type: int
        default: 3
notes:
  - The notification is sent before anything is changed; when it cannot be delivered the task fails and nothing is stopped.
  - RBAC needed cluster-wide - list, patch and delete StatefulSets, Services, Secrets, ConfigMaps and
    PersistentVolumeClaims.
"""

EXAMPLES = r"""
- name: Nightly reaper (check mode first to see what it would do)
  opsforge.infra.gpu_reaper:
    prometheus_url: http://prometheus.monitoring:9090
    idle_threshold: 5
    idle_minutes: 120
    grace_minutes: 60
    max_lifetime: 3d
    notify:
      kind: feishu
      url: "{{ vault_feishu_webhook }}"
      secret: "{{ vault_feishu_secret }}"
  check_mode: true

- name: Only lifetimes and leaks, no Prometheus
  opsforge.infra.gpu_reaper:
    idle_detection: false
    max_lifetime: 12h
"""

RETURN = r"""
reaper:
  description: What the run found and did (or would do in check mode).
  returned: always
  type: dict
  contains:
    now:
      description: The instant the decisions were made for.
      type: str
      sample: "2026-11-23T02:00:00Z"
    actions:
      description:
        - Every action, in order. C(action) is V(warn), V(stop), V(clear-warning), V(delete), V(mark) or V(unmark);
          C(kind), C(namespace), C(name) name the object; C(reason) is V(idle), V(lifetime), V(orphaned),
          V(adopted), V(stopped) or V(kept); C(message) explains it.
      type: list
      elements: dict
      sample:
        - {action: stop, kind: StatefulSet, namespace: ws-ml, name: alice-dev, workspace: ml, environment: alice-dev,
           owner: alice, reason: idle, stopped_by: "reaper:idle", gpu_utilization_max: 0.0, idle_minutes: 60, threshold: 5.0,
           message: "GPU utilisation at most 0.0 % over the last 60 minutes (threshold 5.0 %)"}
    warned:
      description: Environments warned (C(namespace/name)).
      type: list
      elements: str
    stopped:
      description: Environments stopped.
      type: list
      elements: str
    deleted:
      description: Objects deleted (C(Kind namespace/name)).
      type: list
      elements: str
    waiting:
      description: Environments already warned whose grace period has not ended.
      type: list
      elements: dict
    unknown_utilization:
      description: Running environments old enough to judge but without utilisation data (never stopped for idleness).
      type: list
      elements: str
    problems:
      description: Unreadable annotations and other things worth a look.
      type: list
      elements: str
    kept:
      description: Objects exempted by C(opsforge.io/keep) (C(Kind namespace/name)).
      type: list
      elements: str
    warnings:
      description: What the task also raised as Ansible warnings (people warned or stopped without a notify target).
      type: list
      elements: str
    environments_checked:
      description: Number of environments read.
      type: int
    prometheus_queries:
      description: Number of Prometheus queries made.
      type: int
    notification:
      description: The message (C(title), C(text)), whether it was C(sent) and in how many C(attempts).
      type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import reaper  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, get_api  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.reaper_module import reap  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._notify import webhooks as notify  # noqa: E402


def argument_spec():
    return ArgumentSpec(
        dict(
            prometheus_url=dict(type="str"),
            prometheus_token=dict(type="str", no_log=True),
            prometheus_validate_certs=dict(type="bool", default=True),
            idle_detection=dict(type="bool", default=True),
            idle_threshold=dict(type="float", default=5.0),
            idle_minutes=dict(type="int", default=60),
            grace_minutes=dict(type="int", default=30),
            min_runtime_minutes=dict(type="int", default=60),
            max_lifetime=dict(type="str"),
            sweep_leaks=dict(type="bool", default=True),
            pvc_retention=dict(type="str", default="7d"),
            metric=dict(type="str", default=reaper.DEFAULT_METRIC),
            mig_metric=dict(type="str", default=reaper.DEFAULT_MIG_METRIC),
            orphan_grace=dict(type="str", default="1h"),
            pod_label=dict(type="str", default="pod"),
            namespace_label=dict(type="str", default="namespace"),
            extra_selector=dict(type="str", default=""),
            cluster_name=dict(type="str"),
            notify=dict(type="dict", options=dict(
                kind=dict(type="str", required=True, choices=list(notify.KINDS)),
                url=dict(type="str", required=True, no_log=True),
                secret=dict(type="str", no_log=True),
                retries=dict(type="int", default=3),
            )),
        ),
        required_if=[("idle_detection", True, ("prometheus_url",))],
    ).merge(AUTH_SPEC)


def main(api_client=None, now=None, prometheus=None):
    module = OpsforgeModule(spec=argument_spec())
    module.run(reap, module.params, lambda: get_api(module, api_client=api_client), check_mode=module.check_mode, now=now,
               prometheus=prometheus)


if __name__ == "__main__":
    main()
