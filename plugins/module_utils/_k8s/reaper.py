# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The GPU reaper: stop idle or expired environments (warning first), sweep leaks.

One run reads the whole platform with a constant number of calls, whatever the number of
environments: four list calls (workspace namespaces, StatefulSets, Services, PVCs, all
with the ``managed-by`` selector) and one Prometheus query per distinct idle window
(normally one). :func:`plan` is pure: it turns those snapshots into a list of actions.
:func:`apply` performs them. Check mode returns the plan and performs nothing, so the
preview is exactly what a real run would do at the same instant.

Per environment (a StatefulSet with replicas > 0):

- **lifetime**: ``opsforge.io/max-lifetime`` (or the module default) counted from the last
  start in the lifecycle. A warning goes out ``grace`` before the end; the stop happens at
  the end (never before the warning is ``grace`` old).
- **idle**: the highest GPU utilisation of its pod over the last ``idle_minutes``
  (``max_over_time`` of ``DCGM_FI_DEV_GPU_UTIL``, all its GPUs) is below ``threshold``, and it
  has run at least ``min_runtime`` and the whole idle window. First run: warn; a later run,
  ``grace`` after the warning and still idle: stop. Activity in between clears the warning.
- ``opsforge.io/idle-policy`` (JSON) overrides ``threshold``, ``idle_minutes``,
  ``grace_minutes``, ``min_runtime_minutes`` or turns idle stops off (``"enabled": false``).

Leaks: Services labelled with an environment that no longer exists are deleted; such PVCs
(home volumes are kept on purpose when an environment is removed) are first marked with
``opsforge.io/orphaned-at`` and deleted once ``pvc_retention`` has passed; environments in a
workspace namespace that is being deleted are deleted.
"""

from __future__ import annotations

import datetime
import json
import time
from urllib.error import HTTPError
from urllib.parse import urlencode

from ansible.module_utils.urls import open_url

from ansible_collections.opsforge.infra.plugins.module_utils._common.retries import call_with_retries
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import notify
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError

UTC = datetime.timezone.utc
WARNING_ANNOTATION = "opsforge.io/reaper-warning"
ORPHANED_ANNOTATION = "opsforge.io/orphaned-at"
DEFAULT_METRIC = "DCGM_FI_DEV_GPU_UTIL"
POLICY_KEYS = ("enabled", "threshold", "idle_minutes", "grace_minutes", "min_runtime_minutes")


# ----------------------------------------------------------------------------- Prometheus


class Prometheus:
    """Instant queries against the Prometheus HTTP API (``/api/v1/query``)."""

    def __init__(self, url, token=None, timeout=30, validate_certs=True, retries=2, opener=open_url, sleep=time.sleep):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.retries = retries
        self.opener = opener
        self.sleep = sleep
        self.queries = 0

    def query(self, promql, at):
        """``[(labels, value)]`` of an instant vector at ``at`` (aware datetime)."""
        self.queries += 1
        target = "%s/api/v1/query?%s" % (self.url, urlencode({"query": promql, "time": "%.3f" % at.timestamp()}))
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer %s" % self.token

        def once():
            response = self.opener(target, headers=headers, method="GET", timeout=self.timeout,
                                   validate_certs=self.validate_certs)
            return json.loads(response.read())

        def retryable(exc):
            if isinstance(exc, HTTPError):
                return exc.code in (429, 502, 503, 504)
            return isinstance(exc, OSError)

        try:
            data = call_with_retries(once, retryable, retries=self.retries, delay=0.5, max_delay=5.0, sleep=self.sleep)
        except HTTPError as exc:
            body = exc.read().decode("utf-8", "replace") if hasattr(exc, "read") else ""
            raise K8sError("Prometheus refused the query (HTTP %s): %s" % (exc.code, body[:300]), cause=exc)
        except (OSError, ValueError) as exc:
            raise K8sError("cannot query Prometheus at %s: %s" % (self.url, getattr(exc, "reason", exc)), cause=exc)
        if data.get("status") != "success":
            raise K8sError("Prometheus query failed: %s: %s" % (data.get("errorType"), data.get("error")))
        result = (data.get("data") or {}).get("result") or []
        out = []
        for series in result:
            try:
                out.append((series.get("metric") or {}, float(series["value"][1])))
            except (KeyError, IndexError, TypeError, ValueError):
                continue
        return out


def utilization_query(metric, minutes, pod_label="pod", namespace_label="namespace", extra_selector=""):
    """PromQL: per pod, the highest utilisation of any of its GPUs over the last ``minutes``."""
    selector = '%s=~".+", %s=~".+"' % (namespace_label, pod_label)
    if extra_selector:
        selector += ", " + extra_selector
    return "max by (%s, %s) (max_over_time(%s{%s}[%dm]))" % (namespace_label, pod_label, metric, selector, int(minutes))


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


def _is_deleting(namespace):
    meta = _meta(namespace)
    return bool(meta.get("deletionTimestamp")) or (namespace.get("status") or {}).get("phase") == "Terminating"


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


def plan(snapshot, utilization, now, defaults, max_lifetime=None, pvc_retention=7 * 86400, sweep=True):
    """The actions of one run (pure).

    ``snapshot``: dict with the lists ``namespaces``, ``statefulsets``, ``services``, ``pvcs``.
    ``utilization``: ``{idle_minutes: {(namespace, pod): max_util}}`` from Prometheus.
    ``defaults``: idle policy (``enabled``, ``threshold``, ``idle_minutes``, ``grace_minutes``,
    ``min_runtime_minutes``). ``max_lifetime`` in seconds or ``None``.
    Returns ``(actions, report)`` where ``report`` lists the environments waiting out a
    warning, those without utilisation data and policy problems.
    """
    actions, waiting, unknown, problems = [], [], [], []
    deleting = {_meta(ns).get("name") for ns in snapshot["namespaces"] if _is_deleting(ns)}
    existing = set()
    for sts in snapshot["statefulsets"]:
        meta = _meta(sts)
        labels = meta.get("labels") or {}
        existing.add((meta.get("namespace"), labels.get(C.ENVIRONMENT_LABEL) or meta.get("name")))

    for sts in sorted(snapshot["statefulsets"], key=lambda s: (_meta(s).get("namespace"), _meta(s).get("name"))):
        meta = _meta(sts)
        namespace, name = meta.get("namespace"), meta.get("name")
        annotations = meta.get("annotations") or {}
        if namespace in deleting:
            if sweep:
                actions.append(_action("delete", sts, "workspace-deleting",
                                       message="workspace namespace %s is being deleted" % namespace))
            continue
        if int((sts.get("spec") or {}).get("replicas") or 0) == 0:
            if annotations.get(WARNING_ANNOTATION):  # stopped by its user after our warning
                actions.append(_action("clear-warning", sts, "stopped", message="already stopped"))
            continue
        lifecycle = C.read_lifecycle(annotations)
        last = _last_running(lifecycle)
        since = _time(last["at"]) if last else _time(meta.get("creationTimestamp"))
        if since is None:
            problems.append("%s/%s: no lifecycle and no creationTimestamp; skipped" % (namespace, name))
            continue
        runtime = (now - since).total_seconds()
        policy, problem = env_policy(annotations, defaults)
        if problem:
            problems.append("%s/%s: %s" % (namespace, name, problem))
        grace = policy["grace_minutes"] * 60
        try:
            lifetime = C.parse_duration(annotations.get(C.MAX_LIFETIME_ANNOTATION)) or max_lifetime
        except ValueError as exc:
            problems.append("%s/%s: %s" % (namespace, name, exc))
            lifetime = max_lifetime
        warning = None
        if annotations.get(WARNING_ANNOTATION):
            try:
                warning = json.loads(annotations[WARNING_ANNOTATION])
            except ValueError:
                warning = {"reason": "unknown", "stop_after": C.rfc3339(now)}

        reason, detail, due = None, {}, None
        if lifetime and runtime >= lifetime - grace:
            reason, due = "lifetime", since + datetime.timedelta(seconds=lifetime)
            detail = {"runtime": _fmt_minutes(runtime), "max_lifetime": _fmt_minutes(lifetime),
                      "message": "running %s of its %s maximum lifetime" % (_fmt_minutes(runtime), _fmt_minutes(lifetime))}
        elif policy["enabled"]:
            window = int(policy["idle_minutes"])
            util = (utilization.get(window) or {}).get((namespace, name + "-0"))
            old_enough = runtime >= max(policy["min_runtime_minutes"], policy["idle_minutes"]) * 60
            if util is None:
                if old_enough:
                    unknown.append("%s/%s" % (namespace, name))
            elif old_enough and util < policy["threshold"]:
                reason = "idle"
                detail = {"gpu_utilization_max": util, "idle_minutes": window, "threshold": policy["threshold"],
                          "message": "GPU utilisation at most %.1f %% over the last %d minutes (threshold %s %%)" % (
                              util, window, policy["threshold"])}

        if reason is None:
            if warning is not None:
                actions.append(_action("clear-warning", sts, warning.get("reason"), message="no longer %s" % warning.get("reason")))
            continue
        stop_after = now + datetime.timedelta(seconds=grace)
        if due is not None and due > stop_after:
            stop_after = due
        if warning is not None and warning.get("reason") == reason:
            stop_after = _time(warning.get("stop_after")) or now
            if due is not None and due > stop_after:
                stop_after = due
        if stop_after <= now:
            actions.append(_action("stop", sts, reason, stopped_by="reaper:%s" % reason, last=last, **detail))
        elif warning is None or warning.get("reason") != reason:
            actions.append(_action("warn", sts, reason, stop_after=C.rfc3339(stop_after), **detail))
        else:
            waiting.append({"namespace": namespace, "name": name, "reason": reason, "stop_after": C.rfc3339(stop_after)})

    if sweep:
        for svc in snapshot["services"]:
            meta = _meta(svc)
            env = (meta.get("labels") or {}).get(C.ENVIRONMENT_LABEL)
            if env and (meta.get("namespace"), env) not in existing and meta.get("namespace") not in deleting:
                actions.append(_action("delete", svc, "orphaned", message="environment %s no longer exists" % env))
        for pvc in snapshot["pvcs"]:
            meta = _meta(pvc)
            env = (meta.get("labels") or {}).get(C.ENVIRONMENT_LABEL)
            if not env or meta.get("namespace") in deleting:
                continue
            marked = _time((meta.get("annotations") or {}).get(ORPHANED_ANNOTATION))
            if (meta.get("namespace"), env) in existing:
                if (meta.get("annotations") or {}).get(ORPHANED_ANNOTATION):
                    actions.append(_action("unmark", pvc, "adopted", message="environment %s exists again" % env))
                continue
            if marked is None:
                actions.append(_action("mark", pvc, "orphaned", delete_after=C.rfc3339(now + datetime.timedelta(seconds=pvc_retention)),
                                       message="environment %s no longer exists" % env))
            elif (now - marked).total_seconds() >= pvc_retention:
                actions.append(_action("delete", pvc, "orphaned", message="orphaned since %s" % C.rfc3339(marked)))
    return actions, {"waiting": waiting, "unknown_utilization": unknown, "problems": problems}


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
    for kind, items in (("StatefulSet", snapshot["statefulsets"]), ("Service", snapshot["services"]),
                        ("PersistentVolumeClaim", snapshot["pvcs"])):
        for obj in items:
            by_key[(kind, _meta(obj).get("namespace"), _meta(obj).get("name"))] = obj
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
    """The four list calls of a run."""
    managed = C.selector({C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE})
    return {
        "namespaces": api.list("Namespace", label_selector=C.WORKSPACE_NAMESPACE_SELECTOR),
        "statefulsets": api.list("StatefulSet", label_selector=managed),
        "services": api.list("Service", label_selector=managed),
        "pvcs": api.list("PersistentVolumeClaim", label_selector=managed),
    }


def query_utilization(prometheus, snapshot, defaults, now, metric=DEFAULT_METRIC, pod_label="pod",
                      namespace_label="namespace", extra_selector=""):
    """``{idle_minutes: {(namespace, pod): value}}``, one query per distinct window in use."""
    windows = set()
    for sts in snapshot["statefulsets"]:
        if int((sts.get("spec") or {}).get("replicas") or 0) == 0:
            continue
        policy, _problem = env_policy(_meta(sts).get("annotations"), defaults)
        if policy["enabled"]:
            windows.add(int(policy["idle_minutes"]))
    out = {}
    for window in sorted(windows):
        series = prometheus.query(utilization_query(metric, window, pod_label, namespace_label, extra_selector), now)
        out[window] = {(labels.get(namespace_label), labels.get(pod_label)): value for labels, value in series}
    return out


def check_defaults(defaults):
    if not 0 <= defaults["threshold"] <= 100:
        raise K8sError("idle_threshold must be between 0 and 100 (percent), not %s" % defaults["threshold"])
    for key in ("idle_minutes", "grace_minutes", "min_runtime_minutes"):
        if defaults[key] < 0:
            raise K8sError("%s must be zero or more, not %s" % (key, defaults[key]))
    if defaults["enabled"] and defaults["idle_minutes"] < 1:
        raise K8sError("idle_minutes must be at least 1 when idle detection is on")


def run(api, prometheus, defaults, now=None, max_lifetime=None, pvc_retention=7 * 86400, sweep=True, check_mode=False,
        notify_config=None, metric=DEFAULT_METRIC, pod_label="pod", namespace_label="namespace", extra_selector="",
        cluster_name=None, sender=notify.send):
    """One reaper run. Returns ``(changed, result)``. Nothing is written in check mode.

    The notification (warnings and stops) is sent before any write; when it fails, nothing
    is stopped, so nobody is stopped without having been told.
    """
    check_defaults(defaults)
    now = now or datetime.datetime.now(UTC)
    if defaults["enabled"] and prometheus is None:
        raise K8sError("idle detection needs prometheus_url (or set idle_detection: false)")
    snapshot = snapshot_of(api)
    utilization = query_utilization(prometheus, snapshot, defaults, now, metric, pod_label, namespace_label,
                                    extra_selector) if prometheus is not None else {}
    actions, report = plan(snapshot, utilization, now, defaults, max_lifetime=max_lifetime, pvc_retention=pvc_retention, sweep=sweep)
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
        "environments_checked": len(snapshot["statefulsets"]),
        "notification": {"message": message, "sent": sent is not None, "attempts": (sent or {}).get("attempts", 0)},
        "prometheus_queries": prometheus.queries if prometheus is not None else 0,
    }
    return bool(actions), result
