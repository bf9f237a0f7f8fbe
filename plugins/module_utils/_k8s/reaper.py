# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The GPU reaper: stop idle or expired environments (warning first), sweep leaks.

One run reads the whole platform with a constant number of calls, whatever the number of
environments: five list calls (StatefulSets, Services, Secrets, ConfigMaps, PVCs, all with
the ``managed-by`` selector) and one Prometheus query per distinct idle signal and window
(normally one or two). :func:`plan` is pure: it turns those snapshots into a list of
actions. :func:`apply` performs them. Check mode returns the plan and performs nothing, so
the preview is exactly what a real run would do at the same instant.

Every rule honours ``opsforge.io/keep`` (:data:`C.KEEP_ANNOTATION`) on the object it would
act on, and leaves alone objects that Kubernetes is already deleting (``deletionTimestamp``,
e.g. everything in a workspace namespace being deleted).

Per environment (a StatefulSet with replicas > 0):

- **lifetime**: ``opsforge.io/max-lifetime`` (or the module default) counted from the last
  start in the lifecycle. A warning goes out ``grace`` before the end; the stop happens at
  the end (never before the warning is ``grace`` old).
- **idle**: the idle signal of its pod (:mod:`.idle`: device utilisation for whole and
  time-sliced GPUs, graphics-engine activity per MIG instance) over the last
  ``idle_minutes`` is below ``threshold``, and it has run at least ``min_runtime`` and the
  whole idle window. First run: warn; a later run, ``grace`` after the warning and still
  idle: stop. Activity in between clears the warning. Unknown is never idle.
- ``opsforge.io/idle-policy`` (JSON) overrides ``threshold``, ``idle_minutes``,
  ``grace_minutes``, ``min_runtime_minutes`` or turns idle stops off (``"enabled": false``).

Leaks: Services, Secrets, ConfigMaps and PVCs labelled with an environment that no longer
exists, and older than the orphan grace period, are first marked with
``opsforge.io/orphaned-at`` and deleted once that grace period (PVCs: ``pvc_retention``, as
home volumes are kept on purpose) has passed since the mark; the mark is removed when the
environment exists again. So the objects of an environment being created right now, which
appear before its StatefulSet, are never touched.
"""

from __future__ import annotations

import datetime
import json

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C, idle
from ansible_collections.opsforge.infra.plugins.module_utils._notify import webhooks as notify
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError

UTC = datetime.timezone.utc
# the Prometheus side lives in .idle; these names stay here for the module and older callers
Prometheus = idle.Prometheus
utilization_query = idle.utilization_query
DEFAULT_METRIC = idle.DEFAULT_METRIC
DEFAULT_MIG_METRIC = idle.DEFAULT_MIG_METRIC
WARNING_ANNOTATION = "opsforge.io/reaper-warning"
ORPHANED_ANNOTATION = "opsforge.io/orphaned-at"
POLICY_KEYS = ("enabled", "threshold", "idle_minutes", "grace_minutes", "min_runtime_minutes")
ORPHAN_KINDS = (("Service", "services"), ("Secret", "secrets"), ("ConfigMap", "configmaps"),
                ("PersistentVolumeClaim", "pvcs"))
DEFAULT_ORPHAN_GRACE = 3600


# ---------------------------------------------------------------------------------- plan


def _meta(obj):
    return obj.get("metadata") or {}


def _time(value):
    try:
        return C.parse_rfc3339(value) if value else None
    except ValueError:
        return None


def _last_running(lifecycle):
    """The last running event (created/started/restarted), or ``None``."""
    entries = sorted((e for e in lifecycle if _time(e.get("at"))), key=lambda e: _time(e["at"]))
    last = None
    for entry in entries:
        if entry["event"] in C.RUNNING_EVENTS:
            last = entry
        elif entry["event"] in C.STOPPING_EVENTS:
            last = None
    return last


def env_policy(annotations, defaults):
    """The idle policy of an environment: module defaults overridden by its annotation.

    Returns ``(policy, problem)``: a broken annotation falls back to the defaults and is reported.
    """
    policy = dict(defaults)
    raw = (annotations or {}).get(C.IDLE_POLICY_ANNOTATION)
    if not raw:
        return policy, None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        for key in POLICY_KEYS:
            if key in data:
                policy[key] = bool(data[key]) if key == "enabled" else float(data[key])
    except (TypeError, ValueError) as exc:
        return dict(defaults), "%s is not valid (%s); module defaults used" % (C.IDLE_POLICY_ANNOTATION, exc)
    return policy, None


def _being_deleted(obj):
    return bool(_meta(obj).get("deletionTimestamp"))


def _kept(obj):
    return C.is_kept(_meta(obj).get("annotations"))


def _ref(obj):
    meta = _meta(obj)
    return "%s %s/%s" % (obj.get("kind"), meta.get("namespace"), meta.get("name"))


def _fmt_minutes(seconds):
    minutes = int(round(seconds / 60.0))
    return "%dh%02dm" % (minutes // 60, minutes % 60) if minutes >= 60 else "%dm" % minutes


def _action(kind_of_action, obj, reason, **extra):
    meta = _meta(obj)
    labels = meta.get("labels") or {}
    entry = {
        "action": kind_of_action,
        "kind": obj.get("kind"),
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "workspace": labels.get(C.WORKSPACE_LABEL),
        "environment": labels.get(C.ENVIRONMENT_LABEL) or meta.get("name"),
        "owner": labels.get(C.OWNER_LABEL),
        "reason": reason,
    }
    entry.update(extra)
    return entry


def _warning(annotations, now):
    if not annotations.get(WARNING_ANNOTATION):
        return None
    try:
        return json.loads(annotations[WARNING_ANNOTATION])
    except ValueError:
        return {"reason": "unknown", "stop_after": C.rfc3339(now)}


def _lifetime_reason(annotations, since, runtime, grace, max_lifetime, problems, where):
    try:
        lifetime = C.parse_duration(annotations.get(C.MAX_LIFETIME_ANNOTATION)) or max_lifetime
    except ValueError as exc:
        problems.append("%s: %s" % (where, exc))
        lifetime = max_lifetime
    if not lifetime or runtime < lifetime - grace:
        return None
    return ("lifetime", since + datetime.timedelta(seconds=lifetime),
            {"runtime": _fmt_minutes(runtime), "max_lifetime": _fmt_minutes(lifetime),
             "message": "running %s of its %s maximum lifetime" % (_fmt_minutes(runtime), _fmt_minutes(lifetime))})


def _idle_reason(sts, policy, runtime, utilization, unknown):
    """``("idle", None, detail)`` when the environment's idle signal is known and below the threshold."""
    meta = _meta(sts)
    signal = idle.gpu_signal(sts)
    window = int(policy["idle_minutes"])
    if runtime < max(policy["min_runtime_minutes"], policy["idle_minutes"]) * 60:
        return None
    value = idle.known((utilization.get((signal, window)) or {}).get((meta.get("namespace"), meta.get("name") + "-0")))
    if value is None:  # no GPU, no samples or not a number: unknown is never idle
        unknown.append("%s/%s" % (meta.get("namespace"), meta.get("name")))
        return None
    if value >= policy["threshold"]:
        return None
    what = "graphics engine activity of its MIG instance" if signal == "mig" else "GPU utilisation"
    return ("idle", None, {"gpu_utilization_max": value, "idle_minutes": window, "threshold": policy["threshold"],
                           "signal": signal, "message": "%s at most %.1f %% over the last %d minutes (threshold %s %%)" % (
                               what[0].upper() + what[1:], value, window, policy["threshold"])})


def _plan_environment(sts, utilization, now, defaults, max_lifetime, out):
    """Append the action (if any) for one running StatefulSet to ``out``."""
    meta = _meta(sts)
    namespace, name = meta.get("namespace"), meta.get("name")
    annotations = meta.get("annotations") or {}
    warning = _warning(annotations, now)
    if int((sts.get("spec") or {}).get("replicas") or 0) == 0:
        if warning is not None:  # stopped by its user after our warning
            out["actions"].append(_action("clear-warning", sts, "stopped", message="already stopped"))
        return
    if _kept(sts):
        if warning is not None:
            out["actions"].append(_action("clear-warning", sts, "kept", message="kept: %s" % annotations[C.KEEP_ANNOTATION]))
        return
    last = _last_running(C.read_lifecycle(annotations))
    since = _time(last["at"]) if last else _time(meta.get("creationTimestamp"))
    if since is None:
        out["problems"].append("%s/%s: no lifecycle and no creationTimestamp; skipped" % (namespace, name))
        return
    runtime = (now - since).total_seconds()
    policy, problem = env_policy(annotations, defaults)
    if problem:
        out["problems"].append("%s/%s: %s" % (namespace, name, problem))
    grace = policy["grace_minutes"] * 60
    found = _lifetime_reason(annotations, since, runtime, grace, max_lifetime, out["problems"], "%s/%s" % (namespace, name))
    if found is None and policy["enabled"]:
        found = _idle_reason(sts, policy, runtime, utilization, out["unknown"])
    if found is None:
        if warning is not None:
            out["actions"].append(_action("clear-warning", sts, warning.get("reason"),
                                          message="no longer %s" % warning.get("reason")))
        return
    reason, due, detail = found
    stop_after = now + datetime.timedelta(seconds=grace)
    if warning is not None and warning.get("reason") == reason:
        stop_after = _time(warning.get("stop_after")) or now
    if due is not None and due > stop_after:
        stop_after = due
    if stop_after <= now:
        out["actions"].append(_action("stop", sts, reason, stopped_by="reaper:%s" % reason, last=last, **detail))
    elif warning is None or warning.get("reason") != reason:
        out["actions"].append(_action("warn", sts, reason, stop_after=C.rfc3339(stop_after), **detail))
    else:
        out["waiting"].append({"namespace": namespace, "name": name, "reason": reason, "stop_after": C.rfc3339(stop_after)})


def _plan_orphans(snapshot, existing, now, retention, orphan_grace, out):
    """Mark, unmark or delete the owned objects whose environment does not exist."""
    for kind, key in ORPHAN_KINDS:
        wait = max(retention, orphan_grace) if kind == "PersistentVolumeClaim" else orphan_grace
        for obj in sorted(snapshot.get(key) or [], key=lambda o: (_meta(o).get("namespace"), _meta(o).get("name"))):
            meta = _meta(obj)
            annotations = meta.get("annotations") or {}
            env = (meta.get("labels") or {}).get(C.ENVIRONMENT_LABEL)
            if not env or _being_deleted(obj) or _kept(obj):
                continue
            marked = _time(annotations.get(ORPHANED_ANNOTATION))
            if (meta.get("namespace"), env) in existing:
                if annotations.get(ORPHANED_ANNOTATION):
                    out["actions"].append(_action("unmark", obj, "adopted", message="environment %s exists again" % env))
                continue
            created = _time(meta.get("creationTimestamp"))
            if created is not None and (now - created).total_seconds() < orphan_grace:
                continue  # maybe its environment is being created right now
            if marked is None:
                out["actions"].append(_action("mark", obj, "orphaned", message="environment %s no longer exists" % env,
                                              delete_after=C.rfc3339(now + datetime.timedelta(seconds=wait))))
            elif (now - marked).total_seconds() >= wait:
                out["actions"].append(_action("delete", obj, "orphaned", message="orphaned since %s" % C.rfc3339(marked)))


def plan(snapshot, utilization, now, defaults, max_lifetime=None, pvc_retention=7 * 86400, sweep=True,
         orphan_grace=DEFAULT_ORPHAN_GRACE):
    """The actions of one run (pure).

    ``snapshot``: dict with the lists ``statefulsets``, ``services``, ``secrets``, ``configmaps``, ``pvcs``.
    ``utilization``: ``{(signal, idle_minutes): {(namespace, pod): value}}`` from Prometheus.
    ``defaults``: idle policy (``enabled``, ``threshold``, ``idle_minutes``, ``grace_minutes``,
    ``min_runtime_minutes``). ``max_lifetime`` in seconds or ``None``.
    Returns ``(actions, report)`` where ``report`` lists the environments waiting out a
    warning, those without utilisation data, policy problems and the kept objects.
    """
    out = {"actions": [], "waiting": [], "unknown": [], "problems": []}
    existing = set()
    for sts in snapshot["statefulsets"]:
        meta = _meta(sts)
        existing.add((meta.get("namespace"), (meta.get("labels") or {}).get(C.ENVIRONMENT_LABEL) or meta.get("name")))
    kept = sorted(_ref(o) for key in ("statefulsets",) + tuple(k for _kind, k in ORPHAN_KINDS)
                  for o in snapshot.get(key) or [] if _kept(o))
    for sts in sorted(snapshot["statefulsets"], key=lambda s: (_meta(s).get("namespace"), _meta(s).get("name"))):
        if not _being_deleted(sts):
            _plan_environment(sts, utilization, now, defaults, max_lifetime, out)
    if sweep:
        _plan_orphans(snapshot, existing, now, pvc_retention, orphan_grace, out)
    return out["actions"], {"waiting": out["waiting"], "unknown_utilization": sorted(out["unknown"]),
                            "problems": out["problems"], "kept": kept}


# --------------------------------------------------------------------------------- apply


def stop_patch(sts, action, now):
    """The merge patch that stops an environment: replicas 0, a lifecycle event, stopped-by."""
    annotations = _meta(sts).get("annotations") or {}
    last = action.get("last") or {}
    event = C.lifecycle_event("stopped", gpus=last.get("gpus", 0), gpu_model=last.get("gpu_model", ""),
                              resource_key=last.get("resource_key", C.GPU_RESOURCE), cpu=last.get("cpu", ""),
                              memory=last.get("memory", ""), storage=last.get("storage", ""), at=now)
    return {
        "spec": {"replicas": 0},
        "metadata": {"annotations": {
            C.LIFECYCLE_ANNOTATION: C.append_lifecycle(annotations, event),
            C.STOPPED_BY_ANNOTATION: action["stopped_by"],
            C.NOTICE_ANNOTATION: "Stopped by the GPU reaper at %s: %s" % (C.rfc3339(now), action.get("message", action["reason"])),
            WARNING_ANNOTATION: None,
        }},
    }


def warn_patch(action, now):
    return {"metadata": {"annotations": {
        WARNING_ANNOTATION: json.dumps({"reason": action["reason"], "at": C.rfc3339(now), "stop_after": action["stop_after"]},
                                       sort_keys=True, separators=(",", ":")),
        C.NOTICE_ANNOTATION: "The GPU reaper will stop this environment after %s: %s" % (
            action["stop_after"], action.get("message", action["reason"])),
    }}}


def notification(actions, cluster_name=None):
    """The message summarising warnings and stops (``None`` when there is nothing to tell)."""
    warned = [a for a in actions if a["action"] == "warn"]
    stopped = [a for a in actions if a["action"] == "stop"]
    if not warned and not stopped:
        return None
    lines = []
    for a in stopped:
        lines.append("STOPPED %s/%s (owner %s): %s" % (a["workspace"], a["environment"], a["owner"] or "-", a.get("message", a["reason"])))
    for a in warned:
        lines.append("WILL STOP %s/%s (owner %s) after %s: %s" % (
            a["workspace"], a["environment"], a["owner"] or "-", a["stop_after"], a.get("message", a["reason"])))
    return {
        "title": "GPU reaper%s: %d stopped, %d warned" % (" on %s" % cluster_name if cluster_name else "", len(stopped), len(warned)),
        "text": "\n".join(lines),
        "level": "warning",
        "fields": {},
    }


def apply(api, actions, snapshot, now):
    """Perform the actions; returns the list of actions done."""
    by_key = {}
    for key in ("statefulsets",) + tuple(k for _kind, k in ORPHAN_KINDS):
        for obj in snapshot.get(key) or []:
            by_key[(obj.get("kind"), _meta(obj).get("namespace"), _meta(obj).get("name"))] = obj
    done = []
    for action in actions:
        kind, namespace, name = action["kind"], action["namespace"], action["name"]
        obj = by_key.get((kind, namespace, name)) or {}
        if action["action"] == "stop":
            api.patch(kind, name, stop_patch(obj, action, now), namespace)
        elif action["action"] == "warn":
            api.patch(kind, name, warn_patch(action, now), namespace)
        elif action["action"] == "clear-warning":
            api.patch(kind, name, {"metadata": {"annotations": {WARNING_ANNOTATION: None, C.NOTICE_ANNOTATION: None}}}, namespace)
        elif action["action"] == "mark":
            api.patch(kind, name, {"metadata": {"annotations": {ORPHANED_ANNOTATION: C.rfc3339(now)}}}, namespace)
        elif action["action"] == "unmark":
            api.patch(kind, name, {"metadata": {"annotations": {ORPHANED_ANNOTATION: None}}}, namespace)
        elif action["action"] == "delete":
            api.delete(kind, name, namespace)
        done.append(action)
    return done


# ------------------------------------------------------------------------------- service


def snapshot_of(api):
    """The five list calls of a run."""
    managed = C.selector({C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE})
    out = {"statefulsets": api.list("StatefulSet", label_selector=managed)}
    for kind, key in ORPHAN_KINDS:
        out[key] = api.list(kind, label_selector=managed)
    return out


def query_utilization(prometheus, snapshot, defaults, now, metric=DEFAULT_METRIC, pod_label="pod",
                      namespace_label="namespace", extra_selector="", mig_metric=DEFAULT_MIG_METRIC):
    """``{(signal, idle_minutes): {(namespace, pod): value}}``, one query per distinct signal and window in use."""
    wanted = set()
    for sts in snapshot["statefulsets"]:
        if int((sts.get("spec") or {}).get("replicas") or 0) == 0 or _kept(sts) or _being_deleted(sts):
            continue
        policy, _problem = env_policy(_meta(sts).get("annotations"), defaults)
        signal = idle.gpu_signal(sts)
        if policy["enabled"] and signal is not None:
            wanted.add((signal, int(policy["idle_minutes"])))
    return idle.query_signals(prometheus, wanted, now, {"device": metric, "mig": mig_metric}, pod_label, namespace_label,
                              extra_selector)


def check_defaults(defaults):
    if not 0 <= defaults["threshold"] <= 100:
        raise K8sError("idle_threshold must be between 0 and 100 (percent), not %s" % defaults["threshold"])
    for key in ("idle_minutes", "grace_minutes", "min_runtime_minutes"):
        if defaults[key] < 0:
            raise K8sError("%s must be zero or more, not %s" % (key, defaults[key]))
    if defaults["enabled"] and defaults["idle_minutes"] < 1:
        raise K8sError("idle_minutes must be at least 1 when idle detection is on")


def _untold(actions, notify_config):
    """The warning to raise when people are warned or stopped and no notify target is configured."""
    warned = sum(1 for a in actions if a["action"] == "warn")
    stopped = sum(1 for a in actions if a["action"] == "stop")
    if notify_config or not (warned or stopped):
        return []
    return ["no notify target is configured: %d environments were warned and %d stopped, and their owners were told "
            "only through the %s annotation" % (warned, stopped, C.NOTICE_ANNOTATION)]


def run(api, prometheus, defaults, now=None, max_lifetime=None, pvc_retention=7 * 86400, sweep=True, check_mode=False,
        notify_config=None, metric=DEFAULT_METRIC, pod_label="pod", namespace_label="namespace", extra_selector="",
        cluster_name=None, sender=notify.send, mig_metric=DEFAULT_MIG_METRIC, orphan_grace=DEFAULT_ORPHAN_GRACE):
    """One reaper run. Returns ``(changed, result)``. Nothing is written in check mode.

    The notification (warnings and stops) is sent before any write; when it fails, nothing
    is stopped, so nobody is stopped without having been told. Without a notify target,
    ``result["warnings"]`` says who was warned or stopped without being told.
    """
    check_defaults(defaults)
    now = now or datetime.datetime.now(UTC)
    if defaults["enabled"] and prometheus is None:
        raise K8sError("idle detection needs prometheus_url (or set idle_detection: false)")
    snapshot = snapshot_of(api)
    utilization = query_utilization(prometheus, snapshot, defaults, now, metric, pod_label, namespace_label,
                                    extra_selector, mig_metric) if prometheus is not None else {}
    actions, report = plan(snapshot, utilization, now, defaults, max_lifetime=max_lifetime, pvc_retention=pvc_retention,
                           sweep=sweep, orphan_grace=orphan_grace)
    message = notification(actions, cluster_name)
    sent = None
    if not check_mode:
        if message is not None and notify_config:
            sent = sender(notify_config["kind"], notify_config["url"], message, secret=notify_config.get("secret"),
                          retries=notify_config.get("retries", 3))
        apply(api, actions, snapshot, now)
    public = [{k: v for k, v in a.items() if k != "last"} for a in actions]
    result = {
        "now": C.rfc3339(now),
        "actions": public,
        "warned": ["%s/%s" % (a["namespace"], a["name"]) for a in public if a["action"] == "warn"],
        "stopped": ["%s/%s" % (a["namespace"], a["name"]) for a in public if a["action"] == "stop"],
        "deleted": ["%s %s/%s" % (a["kind"], a["namespace"], a["name"]) for a in public if a["action"] == "delete"],
        "waiting": report["waiting"],
        "unknown_utilization": report["unknown_utilization"],
        "problems": report["problems"],
        "kept": report["kept"],
        "warnings": _untold(actions, notify_config),
        "environments_checked": len(snapshot["statefulsets"]),
        "notification": {"message": message, "sent": sent is not None, "attempts": (sent or {}).get("attempts", 0)},
        "prometheus_queries": prometheus.queries if prometheus is not None else 0,
    }
    return bool(actions), result
