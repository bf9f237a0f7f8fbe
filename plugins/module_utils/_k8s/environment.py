# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_environment`` and ``gpu_environment_info``: GPU development environments.

An environment ``<env>`` in workspace ``<ws>`` is, in namespace ``ws-<ws>``:

- StatefulSet ``<env>`` (one replica; 0 when stopped) whose volumeClaimTemplate ``home``
  gives PVC ``home-<env>-0``, kept across stop/start and, unless asked, deletion;
- Service ``<env>`` exposing SSH / Jupyter / RDP;
- Secret ``<env>-ssh`` (``authorized_keys``) and Secret ``<env>-jupyter`` (``token``).

See :mod:`.constants` for labels and the lifecycle annotation.
"""
from __future__ import annotations

import time

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import images
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_capacity import capacity_problems, node_shortfall, quota_shortfalls
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_lifecycle import (
    _restarted_at,
    archive_lifecycle,
    rollback,
    stop,
)
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_spec import EnvSpec, _unb64, all_manifests
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_view import (
    _container,
    _diffable,
    fail_fast_reason,
    gpu_request,
    list_environments,
    normalize_environment,
    pod_problem,
    runtime_seconds,
)
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.nodes import blocking_taints, node_ready, pod_requests
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import ensure, is_subset, parse_quantity

__all__ = ["EnvSpec", "EnvironmentService", "Written", "all_manifests", "archive_lifecycle", "list_environments",
           "normalize_environment", "pod_problem", "runtime_seconds", "spec_from_live", "stop"]

STARTING = ("present", "started", "restarted")


class Written:
    """What one step's writes did: ``changed``, the server's ``answers`` by kind (``None``: deleted; in check
    mode the dry-run answers: validated, defaulted, not stored) and ``restarted_at``, the restart stamp the
    new pod must carry. Each step returns one; :meth:`EnvironmentService.run` composes them (``a | b``)."""

    def __init__(self, changed=False, answers=None, restarted_at=None):
        self.changed = changed
        self.answers = dict(answers or {})
        self.restarted_at = restarted_at

    def __or__(self, other):
        answers = dict(self.answers)
        answers.update(other.answers)
        return Written(self.changed or other.changed, answers, other.restarted_at or self.restarted_at)

    def answer(self, kind, live):
        """``kind``'s object as the server answered this run's write of it; ``live`` when not written."""
        return self.answers[kind] if kind in self.answers else live


class EnvironmentService:
    def __init__(self, api, sleep=time.sleep, clock=time.monotonic):
        self.api = api
        self.sleep = sleep
        self.clock = clock

    def _read(self, namespace, name):
        sts = self.api.get("StatefulSet", name, namespace)
        if sts is None:
            return None, None, None
        pod = self.api.get("Pod", "%s-0" % name, namespace)
        service = self.api.get("Service", name, namespace)
        return sts, pod, service

    def _node(self, pod, service):
        if service is None or (service.get("spec") or {}).get("type") != "NodePort":
            return None
        node_name = ((pod or {}).get("spec") or {}).get("nodeName")
        if node_name:
            return self.api.get("Node", node_name)
        nodes = [n for n in self.api.list("Node") if node_ready(n) and not blocking_taints(n)]
        return nodes[0] if nodes else None

    def view(self, sts, pod, service):
        return normalize_environment(sts, pod, service, self._node(pod, service))

    @staticmethod
    def _check_owned(sts, spec):
        labels = (sts.get("metadata") or {}).get("labels") or {}
        if labels.get(C.MANAGED_BY_LABEL) != C.MANAGED_BY_VALUE or labels.get(C.WORKSPACE_LABEL) != spec.workspace:
            raise K8sError("StatefulSet %s/%s exists but is not environment %s of workspace %s; refusing to change it"
                           % (spec.namespace, spec.name, spec.name, spec.workspace))

    def run(self, params):
        """gpu_environment's result: ``changed``, ``environment`` and ``diff``; in check mode the
        environment is built from the server's answers to the dry-run writes."""
        spec = EnvSpec(params)
        state = params.get("state") or "present"
        ns_obj = self.api.get("Namespace", spec.namespace)
        if ns_obj is None:
            return self._without_namespace(spec, state)
        if state in STARTING and (spec.image or params.get("catalogue_image")):
            spec.image = images.resolve(self.api, spec, images.image_policy(ns_obj))
        live = self._read(spec.namespace, spec.name)
        if live[0] is not None:
            self._check_owned(live[0], spec)
        before = self.view(*live)
        written = self._write(spec, state, live[0])
        if state == "absent":
            after = None
        elif self.api.dry_run:
            after = self._answered(before, written, live)
        else:
            if params.get("wait"):
                self._wait(spec, state, params.get("wait_timeout") or 300, params.get("wait_sleep") or 2,
                           written.restarted_at)
            after = self.view(*self._read(spec.namespace, spec.name))
        return {"changed": written.changed, "environment": after,
                "diff": {"before": _diffable(before), "after": _diffable(after)}}

    def _write(self, spec, state, sts):
        if state == "absent":
            return self._absent(spec, sts)
        if state == "stopped":
            return self._stop(spec, sts)
        return self._start(spec, sts, restart=(state == "restarted"))

    def _answered(self, before, written, live):
        """Check mode: the environment as the server answered this run's dry-run writes. A StatefulSet
        written is shown without its pod (the one running now is replaced or removed); what was not
        written is shown as it is."""
        if not written.changed:
            return before
        sts, pod, service = live
        if "StatefulSet" in written.answers:
            pod = None
        return self.view(written.answer("StatefulSet", sts), pod, written.answer("Service", service))

    def _without_namespace(self, spec, state):
        """The workspace namespace does not exist: nothing to delete, nothing to stop, nothing to
        create into (unless predicting)."""
        if state == "absent":
            return {"changed": False, "environment": None, "diff": {"before": None, "after": None}}
        if self.api.dry_run and state in STARTING:
            return self._predict_without_namespace(spec)
        if state == "stopped":
            raise K8sError("Environment %s does not exist in workspace %s: nothing to stop" % (spec.name, spec.workspace))
        raise K8sError("Workspace namespace %s does not exist: create it with opsforge.infra.gpu_workspace first"
                       % spec.namespace)

    def _predict_without_namespace(self, spec):
        """Check mode before the workspace exists (an earlier task of the same playbook creates
        it): nothing can be dry-run in a namespace that is not there, so predict the creation
        after the checks that do not need the namespace."""
        self._predict_image(spec)
        missing = [o for o in ("owner", "image") if not getattr(spec, o)]
        if missing:
            raise K8sError("Creating environment %s needs %s" % (spec.name, " and ".join(missing)))
        if spec.params.get("capacity_check", True):
            problem = node_shortfall(self.api, spec)
            if problem:
                raise K8sError("Not enough capacity to create environment %s: %s" % (spec.name, problem),
                               details={"shortages": [problem]})
        warnings = ["Namespace %s does not exist yet: the environment is predicted as if the workspace were created "
                    "first; its quota and dataset PVCs are checked when it runs for real" % spec.namespace]
        after = normalize_environment(spec.statefulset(spec.owner, 1), None, spec.service(spec.owner))
        return {"changed": True, "environment": after, "diff": {"before": None, "after": _diffable(after)},
                "warnings": warnings}

    def _predict_image(self, spec):
        """The catalogue image of an environment predicted before its workspace exists: only the
        platform catalogue can be read; a workspace entry is named, not resolved."""
        name = spec.params.get("catalogue_image")
        if not name:
            return
        try:
            spec.image = images.resolve(self.api, spec, "any")
        except K8sError:
            spec.image = "%s:%s (from the workspace image catalogue)" % (name, spec.params.get("catalogue_version") or "default")

    # -- states -------------------------------------------------------------------------
    def _start(self, spec, sts, restart=False):
        creating = sts is None
        owner = spec.owner if spec.owner else ((sts or {}).get("metadata", {}).get("labels", {}).get(C.OWNER_LABEL))
        if creating:
            missing = [o for o in ("owner", "image") if not getattr(spec, o)]
            if missing:
                raise K8sError("Creating environment %s needs %s" % (spec.name, " and ".join(missing)))
        elif not spec.image:
            return self._scale_up(spec_from_live(spec, sts), sts, restart)
        self._preflight(spec, sts)
        made = []  # (kind, name) of the objects this run creates, for the rollback
        try:
            access = self._write_access(spec, owner, made)
            return access | self._write_statefulset(spec, sts, owner, restart)
        except K8sError as err:
            if creating and made and not self.api.dry_run:
                raise rollback(self.api, spec, made, err) from err
            raise

    def _preflight(self, spec, sts):
        """Every check that reads the cluster, before the first write: capacity, datasets."""
        creating = sts is None
        running = not creating and (sts["spec"].get("replicas") or 0) > 0
        old_key, old_gpus = gpu_request(_container(sts)) if not creating else (None, 0)
        if not running and spec.params.get("capacity_check", True):
            new_home = self.api.get("PersistentVolumeClaim", "%s-%s-0" % (C.HOME_VOLUME, spec.name), spec.namespace) is None
            problems = capacity_problems(self.api, spec, new_home)
            if problems:
                raise K8sError("Not enough capacity to %s environment %s: %s" % (
                    "create" if creating else "start", spec.name, "; ".join(problems)), details={"shortages": problems})
        elif running and spec.params.get("capacity_check", True) and spec.gpus and \
                (spec.resource_key != old_key or spec.gpus > old_gpus):
            self._check_growth(spec)
        missing = [d["claim"] for d in spec.datasets
                   if self.api.get("PersistentVolumeClaim", d["claim"], spec.namespace) is None]
        if missing:
            raise K8sError("Dataset PVC(s) %s do not exist in namespace %s" % (", ".join(missing), spec.namespace))

    def _write_access(self, spec, owner, made):
        """Secrets and Service first: the pod mounts / references them. The Service's answer is returned."""
        changed, answers = False, {}
        for obj in (spec.ssh_secret(owner), self._jupyter_secret(spec, owner)):
            if obj is not None:
                obj_changed, before, dummy = ensure(self.api, "Secret", obj, spec.namespace, replace_paths=(("data",),))
                changed |= obj_changed
                if before is None:
                    made.append(("Secret", obj["metadata"]["name"]))
        for suffix, enabled in ((C.SSH_SECRET_SUFFIX, spec.ssh.get("enabled")), (C.JUPYTER_SECRET_SUFFIX, spec.jupyter.get("enabled"))):
            if not enabled and self.api.get("Secret", spec.name + suffix, spec.namespace) is not None:
                self.api.delete("Secret", spec.name + suffix, spec.namespace)
                changed = True
        service = spec.service(owner)
        if service is not None:
            svc_changed, before, answers["Service"] = ensure(self.api, "Service", service, spec.namespace)
            changed |= svc_changed
            if before is None:
                made.append(("Service", spec.name))
        elif self.api.get("Service", spec.name, spec.namespace) is not None:
            self.api.delete("Service", spec.name, spec.namespace)
            changed, answers["Service"] = True, None
        return Written(changed, answers)

    def _write_statefulset(self, spec, sts, owner, restart):
        creating = sts is None
        running = not creating and (sts["spec"].get("replicas") or 0) > 0
        old_key, old_gpus = gpu_request(_container(sts)) if not creating else (None, 0)
        restarted_at = C.rfc3339() if restart else _restarted_at(sts)
        desired = spec.statefulset(owner, 1, restarted_at)
        if creating:
            desired["metadata"]["annotations"][C.LIFECYCLE_ANNOTATION] = C.append_lifecycle({}, spec.lifecycle_entry("created"))
            return Written(True, {"StatefulSet": self.api.create("StatefulSet", desired, spec.namespace)})
        self._check_immutable(sts, desired)
        event = None
        if not running:
            event = "started"
        elif restart:
            event = "restarted"
        elif (old_key, old_gpus) != (spec.resource_key if spec.gpus else None, spec.gpus) \
                or not is_subset(desired["spec"]["template"], sts["spec"].get("template")):
            event = "restarted"  # the pod is replaced with the new spec
        patch_body = {"metadata": {"labels": desired["metadata"]["labels"],
                                   "annotations": dict(desired["metadata"]["annotations"])},
                      "spec": {"replicas": 1, "template": desired["spec"]["template"]}}
        current_ann = sts["metadata"].get("annotations") or {}
        for key in (C.MAX_LIFETIME_ANNOTATION, C.IDLE_POLICY_ANNOTATION):
            if key in current_ann and key not in patch_body["metadata"]["annotations"]:
                patch_body["metadata"]["annotations"][key] = None
        if not running:
            for key in (C.STOPPED_BY_ANNOTATION, C.NOTICE_ANNOTATION):
                if key in current_ann:
                    patch_body["metadata"]["annotations"][key] = None
        if event is None and is_subset(_non_null(patch_body), sts) and not any(
                v is None for v in patch_body["metadata"]["annotations"].values()):
            return Written(False)
        if event:
            patch_body["metadata"]["annotations"][C.LIFECYCLE_ANNOTATION] = C.append_lifecycle(
                current_ann, spec.lifecycle_entry(event))
        answer = self.api.patch("StatefulSet", spec.name, patch_body, spec.namespace)
        return Written(True, {"StatefulSet": answer}, restarted_at if restart else None)

    def _check_growth(self, spec):
        """A running environment asks for more GPUs (or another kind): its pod is replaced, so
        only the difference must fit in the quota, and its node gets its old GPUs back."""
        pod = self.api.get("Pod", "%s-0" % spec.name, spec.namespace)
        held = int(pod_requests(pod).get(spec.resource_key, 0)) if pod is not None else 0  # what its pod holds now
        problems = quota_shortfalls(self.api, spec.namespace,
                                    {"requests.%s" % spec.resource_key: parse_quantity(spec.gpus - held)})
        node_name = ((pod or {}).get("spec") or {}).get("nodeName")
        node = node_shortfall(self.api, spec, credit={node_name: held} if node_name and held else None)
        if node:
            problems.append(node)
        if problems:
            raise K8sError("Not enough capacity to give environment %s %d %s: %s" % (
                spec.name, spec.gpus, spec.resource_key, "; ".join(problems)), details={"shortages": problems})

    def _scale_up(self, spec, sts, restart):
        """Start / restart an existing environment as it is (no image given: its spec is kept)."""
        running = (sts["spec"].get("replicas") or 0) > 0
        if running and not restart:
            return Written(False)
        if not running and spec.params.get("capacity_check", True):
            problems = capacity_problems(self.api, spec, new_home=False)
            if problems:
                raise K8sError("Not enough capacity to start environment %s: %s" % (spec.name, "; ".join(problems)),
                               details={"shortages": problems})
        current_ann = sts["metadata"].get("annotations") or {}
        annotations = {C.LIFECYCLE_ANNOTATION: C.append_lifecycle(
            current_ann, spec.lifecycle_entry("restarted" if running else "started"))}
        if not running:
            annotations.update({k: None for k in (C.STOPPED_BY_ANNOTATION, C.NOTICE_ANNOTATION) if k in current_ann})
        patch_body = {"metadata": {"annotations": annotations}, "spec": {"replicas": 1}}
        restarted_at = C.rfc3339() if restart else None
        if restart:
            patch_body["spec"]["template"] = {"metadata": {"annotations": {C.RESTARTED_AT_ANNOTATION: restarted_at}}}
        answer = self.api.patch("StatefulSet", spec.name, patch_body, spec.namespace)
        return Written(True, {"StatefulSet": answer}, restarted_at)

    def _jupyter_secret(self, spec, owner):
        if not spec.jupyter.get("enabled"):
            return None
        existing = None
        if not spec.jupyter.get("token"):
            current = self.api.get("Secret", spec.name + C.JUPYTER_SECRET_SUFFIX, spec.namespace)
            if current is not None and (current.get("data") or {}).get("token"):
                existing = _unb64(current["data"]["token"])
        return spec.jupyter_secret(owner, existing)

    @staticmethod
    def _check_immutable(sts, desired):
        current_claims = sts["spec"].get("volumeClaimTemplates") or []
        want = desired["spec"]["volumeClaimTemplates"][0]
        if current_claims and not is_subset(want["spec"]["resources"], (current_claims[0].get("spec") or {}).get("resources")):
            raise K8sError("home_size of environment %s cannot change from %s to %s: volumeClaimTemplates are immutable;"
                           " resize PVC %s-%s-0 instead" % (
                               sts["metadata"]["name"],
                               ((current_claims[0].get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage"),
                               want["spec"]["resources"]["requests"]["storage"], C.HOME_VOLUME, sts["metadata"]["name"]))

    def _stop(self, spec, sts):
        if sts is None:
            raise K8sError("Environment %s does not exist in workspace %s: nothing to stop" % (spec.name, spec.workspace))
        if not sts["spec"].get("replicas"):
            return Written(False)
        answer = stop(self.api, sts, spec.params.get("stopped_by") or "user", spec.params.get("notice"))
        return Written(True, {"StatefulSet": answer})

    def _absent(self, spec, sts):
        changed = False
        if sts is not None:
            annotations = sts["metadata"].get("annotations") or {}
            events = C.read_lifecycle(annotations)
            last = events[-1] if events else {}
            entry = C.lifecycle_event("deleted", gpus=last.get("gpus", 0), gpu_model=last.get("gpu_model", ""),
                                      resource_key=last.get("resource_key", C.GPU_RESOURCE), cpu=last.get("cpu", ""),
                                      memory=last.get("memory", ""), storage=last.get("storage", ""))
            archive_lifecycle(self.api, spec.namespace, spec.name, events + [entry])
            self.api.delete("StatefulSet", spec.name, spec.namespace)
            changed = True
        selector = C.environment_selector(spec.name, spec.workspace)
        for kind in ("Service", "Secret"):
            for obj in self.api.list(kind, spec.namespace, label_selector=selector):
                self.api.delete(kind, obj["metadata"]["name"], spec.namespace)
                changed = True
        if spec.params.get("delete_home"):
            if self.api.delete("PersistentVolumeClaim", "%s-%s-0" % (C.HOME_VOLUME, spec.name), spec.namespace) is not None:
                changed = True
        return Written(changed)

    # -- waiting ------------------------------------------------------------------------------
    def _wait(self, spec, state, timeout, sleep, restarted_at=None):
        """Until the pod is ready (or gone, when stopping); ``restarted_at``: the stamp of this run's
        restart, which the new pod carries."""
        deadline = self.clock() + timeout
        pod_name = "%s-0" % spec.name
        while True:
            pod = self.api.get("Pod", pod_name, spec.namespace)
            if state == "stopped":
                if pod is None:
                    return
                problem = "pod %s still exists" % pod_name
            else:
                problem = pod_problem(pod, self._events(spec) if pod is None else ())
                replacing = pod is not None and restarted_at and \
                    ((pod.get("metadata") or {}).get("annotations") or {}).get(C.RESTARTED_AT_ANNOTATION) != restarted_at
                if replacing:
                    problem = "the old pod %s is still being replaced" % pod_name
                elif problem is None:
                    return
                reason = None if replacing else fail_fast_reason(pod)
                if reason:
                    raise K8sError("Environment %s will not become ready: %s" % (spec.name, problem),
                                   details={"reason": reason})
            if self.clock() >= deadline:
                if pod is not None and state != "stopped" and not problem.startswith("the old pod"):
                    problem = pod_problem(pod, self._events(spec, pod_name)) or problem
                raise K8sError("Timed out after %ss waiting for environment %s to be %s: %s" % (
                    timeout, spec.name, "stopped" if state == "stopped" else "ready", problem),
                    details={"reason": "Timeout"})
            self.sleep(sleep)

    def _events(self, spec, name=None):
        try:
            events = self.api.list("Event", spec.namespace, field_selector="involvedObject.name=%s" % (name or spec.name))
        except K8sError:
            return []
        return sorted(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")


def spec_from_live(spec, sts):
    """An :class:`EnvSpec` describing the live StatefulSet (for starting it as it is)."""
    view = normalize_environment(sts)
    params = dict(spec.params)
    key = view["resource_key"] or C.GPU_RESOURCE
    sharing, profile = "whole", None
    if key.startswith(C.MIG_RESOURCE_PREFIX):
        sharing, profile = "mig", key[len(C.MIG_RESOURCE_PREFIX):]
    elif key == C.GPU_SHARED_RESOURCE:
        sharing = "time-sliced"
    params.update(image=view["image"], gpus=view["gpus"], gpu_model=view["gpu_model"], sharing=sharing, mig_profile=profile,
                  cpu=view["cpu"] or params.get("cpu"), memory=view["memory"] or params.get("memory"),
                  home_size=view["home_size"] or params.get("home_size"), ssh=None, jupyter=None, rdp=None, datasets=[])
    return EnvSpec(params)


def _non_null(obj):
    if isinstance(obj, dict):
        return {k: _non_null(v) for k, v in obj.items() if v is not None}
    return obj
