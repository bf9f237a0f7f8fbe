# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_reaper``'s one call: its options read and checked, then one :func:`.reaper.run`.

Durations and the notify target are checked before the API client is built, so a typo
fails the task without a single request. The result is the module's: ``changed``, ``reaper``,
``diff`` (one line per object touched) and ``warnings`` (the reaper's, raised as Ansible warnings).
"""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C, reaper
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._notify import webhooks as notify

# action -> (state before, state after) of the object it touches; "%s" is the action's stop_after
STATES = {
    "stop": ("running", "stopped"),
    "warn": ("running", "running, stop after %s"),
    "clear-warning": ("running, warned", "running"),
    "delete": ("present", "absent"),
    "mark": ("present", "present, orphaned"),
    "unmark": ("present, orphaned", "present"),
}


def idle_defaults(params):
    """The idle policy of environments without an ``opsforge.io/idle-policy`` annotation."""
    return {"enabled": params["idle_detection"], "threshold": params["idle_threshold"],
            "idle_minutes": params["idle_minutes"], "grace_minutes": params["grace_minutes"],
            "min_runtime_minutes": params["min_runtime_minutes"]}


def durations(params):
    """``(max_lifetime, pvc_retention, orphan_grace)`` in seconds (``None`` when unset)."""
    try:
        return tuple(C.parse_duration(params[key]) for key in ("max_lifetime", "pvc_retention", "orphan_grace"))
    except ValueError as exc:
        raise K8sError(str(exc)) from exc


def diff(actions):
    """``{"before": {...}, "after": {...}}``: each object an action touches (``Kind namespace/name``) and its state."""
    before, after = {}, {}
    for action in actions:
        key = "%s %s/%s" % (action["kind"], action["namespace"], action["name"])
        old, new = STATES[action["action"]]
        before[key] = old
        after[key] = new % action["stop_after"] if "%s" in new else new
    return {"before": before, "after": after}


def reap(params, connect, check_mode=False, now=None, prometheus=None):
    """One reaper run for the ``gpu_reaper`` options ``params``; the module's result.

    ``connect()`` returns the API client (called once the options are checked). ``prometheus`` is
    injected by tests; otherwise a :class:`.reaper.Prometheus` is built when idle detection is on.
    """
    max_lifetime, retention, orphan_grace = durations(params)
    hook = params["notify"]
    if hook:
        notify.validate(hook["kind"], hook["url"], hook["secret"])
    if not params["idle_detection"]:
        prometheus = None
    elif prometheus is None:
        prometheus = reaper.Prometheus(params["prometheus_url"], token=params["prometheus_token"],
                                       validate_certs=params["prometheus_validate_certs"])
    changed, result = reaper.run(
        connect(), prometheus, idle_defaults(params), now=now, max_lifetime=max_lifetime,
        pvc_retention=retention if retention is not None else 0, sweep=params["sweep_leaks"], check_mode=check_mode,
        notify_config=hook, metric=params["metric"], pod_label=params["pod_label"],
        namespace_label=params["namespace_label"], extra_selector=params["extra_selector"],
        cluster_name=params["cluster_name"], mig_metric=params["mig_metric"], orphan_grace=orphan_grace or 0)
    return {"changed": changed, "reaper": result, "diff": diff(result["actions"]), "warnings": list(result["warnings"])}
