# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The container gate of a Docker deploy: wait until a new container runs (and is healthy when
its image has a Docker HEALTHCHECK), then keep watching it through the stability window and
the health checks. A mixin of :class:`.docker.DockerDeployment`, which provides ``params``,
``tracker``, ``sleep`` and ``watched``."""

from __future__ import annotations

import time

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError


class ContainerGate:
    """Waiting for and watching one container; raises DeployError at the first problem."""

    def wait_started(self, container, label):
        """Wait until ``container`` runs (and is healthy when its image has a HEALTHCHECK). Raise DeployError."""
        deadline = time.time() + (self.params.get("start_timeout") or 60)
        has_healthcheck = bool((container.attrs.get("Config") or {}).get("Healthcheck", {}).get("Test")) and \
            container.attrs["Config"]["Healthcheck"]["Test"] != ["NONE"]
        use_healthcheck = has_healthcheck and self.params.get("wait_healthcheck", True)
        stable_since = None
        while True:
            container.reload()
            state = container.attrs.get("State", {})
            crashed = state.get("Restarting") or container.attrs.get("RestartCount", 0) > 0
            if crashed or (not state.get("Running") and state.get("Status") in ("exited", "dead")):
                logs = container.logs(tail=20).decode("utf-8", "replace")
                self.tracker.log("--- %s logs ---\n%s" % (container.name, logs))
                restarts = container.attrs.get("RestartCount", 0)
                raise DeployError("container %s (%s) crashed: exited with code %s%s: %s"
                                  % (container.name, label, state.get("ExitCode"),
                                     " and Docker restarted it %d time(s)" % restarts if restarts else "", logs.strip()[-300:]))
            health = (state.get("Health") or {}).get("Status")
            if use_healthcheck:
                if health == "healthy":
                    return "healthy"
                if health == "unhealthy":
                    log = (state.get("Health") or {}).get("Log") or []
                    last = log[-1].get("Output", "").strip() if log else ""
                    raise DeployError("container %s (%s) is unhealthy (Docker HEALTHCHECK): %s" % (container.name, label, last[-300:]))
            elif state.get("Running"):
                stable_since = stable_since or time.time()
                if time.time() - stable_since >= 2:
                    return "running"
            if time.time() >= deadline:
                raise DeployError("container %s (%s) did not become %s within %ss"
                                  % (container.name, label, "healthy" if use_healthcheck else "running",
                                     self.params.get("start_timeout")), status=st.TIMEOUT)
            self.sleep(0.5)

    def container_problem(self, container):
        """Why ``container`` is no longer fit (exited, restarted, Docker HEALTHCHECK unhealthy), or None."""
        container.reload()
        state = container.attrs.get("State", {})
        restarts = container.attrs.get("RestartCount", 0)
        if state.get("Restarting") or restarts > 0 or not state.get("Running"):
            logs = container.logs(tail=20).decode("utf-8", "replace")
            self.tracker.log("--- %s logs ---\n%s" % (container.name, logs))
            return "container %s stopped (exit code %s%s): %s" % (
                container.name, state.get("ExitCode"), ", restarted %d time(s)" % restarts if restarts else "", logs.strip()[-300:])
        if (state.get("Health") or {}).get("Status") == "unhealthy" and self.params.get("wait_healthcheck", True):
            log = (state.get("Health") or {}).get("Log") or []
            return "container %s is unhealthy (Docker HEALTHCHECK): %s" % (
                container.name, (log[-1].get("Output", "") if log else "").strip()[-300:])
        return None

    def watch_container(self, container, seconds):
        """Keep watching ``container`` for ``seconds`` after its gate; raise DeployError at the first problem."""
        end = time.time() + seconds
        while True:
            problem = self.container_problem(container)
            if problem:
                raise DeployError("%s within the %ss stability window" % (problem, seconds))
            if time.time() >= end:
                return
            self.sleep(min(0.5, max(0.0, end - time.time())))

    def health_watch(self):
        if self.watched is None:
            return None
        return lambda: self.container_problem(self.watched)
