# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Container facts for docker_monitor_info: state, health log, restart count, CPU percent and memory."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker_engine import docker_client, normalize_container
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError

# The options of the docker_monitor_info module.
MONITOR_OPTIONS = dict(
    names=dict(type="list", elements="str"), labels=dict(type="dict"), all=dict(type="bool", default=True),
    stats=dict(type="bool", default=True), docker_host=dict(type="str", default="unix:///var/run/docker.sock"),
    timeout=dict(type="int", default=60),
)


def monitor_info(params):
    """The docker_monitor_info module: facts of the containers that match ``params``."""
    containers = list_containers(docker_client(params), names=params["names"], labels=params["labels"],
                                 all_states=params["all"], with_stats=params["stats"])
    return dict(changed=False, containers=containers)


def cpu_percent(stats):
    """CPU percent as ``docker stats`` computes it (delta of container vs system usage times online CPUs)."""
    cpu, pre = stats.get("cpu_stats") or {}, stats.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (pre.get("cpu_usage") or {}).get("total_usage", 0)
    system_delta = (cpu.get("system_cpu_usage") or 0) - (pre.get("system_cpu_usage") or 0)
    online = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    if cpu_delta <= 0 or system_delta <= 0:
        return 0.0
    return round(100.0 * cpu_delta / system_delta * online, 2)


def memory(stats):
    mem = stats.get("memory_stats") or {}
    if "usage" not in mem:
        return None  # the engine reports no memory accounting (cgroup controller unavailable)
    usage = mem.get("usage") or 0
    cache = (mem.get("stats") or {}).get("inactive_file") or (mem.get("stats") or {}).get("cache") or 0
    used = max(0, usage - cache)
    limit = mem.get("limit") or 0
    return dict(usage_bytes=used, limit_bytes=limit, percent=round(100.0 * used / limit, 2) if limit else None)


def describe(container, with_stats=True, health_log_lines=5):
    out = normalize_container(container)
    state = container.attrs.get("State", {})
    log = (state.get("Health") or {}).get("Log") or []
    out["health_log"] = [dict(start=e.get("Start"), exit_code=e.get("ExitCode"), output=(e.get("Output") or "").strip()[-500:])
                         for e in log[-health_log_lines:]]
    out["started_at"] = state.get("StartedAt")
    out["labels"] = container.attrs.get("Config", {}).get("Labels") or {}
    out["cpu_percent"] = None
    out["memory"] = None
    if with_stats and out["running"]:
        try:
            stats = container.stats(stream=False)
        except Exception as exc:  # pylint: disable=broad-except
            raise DeployError("cannot read stats of %s: %s" % (container.name, exc), cause=exc)
        out["cpu_percent"] = cpu_percent(stats)
        out["memory"] = memory(stats)
    return out


def list_containers(client, names=None, labels=None, all_states=True, with_stats=True):
    filters = {}
    if labels:
        filters["label"] = ["%s=%s" % (k, v) if v is not None else k for k, v in labels.items()]
    try:
        containers = client.containers.list(all=all_states, filters=filters)
    except Exception as exc:  # pylint: disable=broad-except
        raise DeployError("cannot list containers: %s" % exc, cause=exc)
    if names:
        containers = [c for c in containers if c.name in names or any(c.name.startswith(n.rstrip("*")) for n in names if n.endswith("*"))]
    return [describe(c, with_stats) for c in sorted(containers, key=lambda c: c.name)]
