# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Docker deploys with the docker SDK: pull, start-new-then-swap (or stop-then-start, or zero-downtime
behind nginx), health gate (Docker HEALTHCHECK and/or HTTP/TCP/script), old container kept for rollback.

Containers of an app: ``<name>`` (live), ``<name>-new`` (candidate while it is gated),
``<name>-previous`` (the one before, stopped, kept for rollback). All carry ``opsforge.deploy.*`` labels;
``opsforge.deploy.spec`` holds the exact create arguments, so a rollback re-creates the previous
container by image ID (content digest) with the same config when the kept container is gone.
"""

from __future__ import annotations

import hashlib
import json
import time

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
# DOCKER is re-exported: the deploy_docker and docker_monitor_info modules import it from here.
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker_engine import DOCKER  # pylint: disable=unused-import  # noqa: F401
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker_engine import (
    LABEL, docker_client, get_container, normalize_container, not_found, port_free)
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker_gate import ContainerGate
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.health import normalize_check
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.nginx import switch_upstream, upstream_path
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.runner import COMMON_OPTIONS, Deployment

MASK = "********"

DOCKER_OPTIONS = dict(COMMON_OPTIONS)
DOCKER_OPTIONS.update(
    image=dict(type="str", required=True),
    name=dict(type="str"),
    command=dict(type="raw"),
    env=dict(type="dict", default={}),
    secret_env=dict(type="dict", default={}, no_log=True),
    labels=dict(type="dict", default={}),
    network_mode=dict(type="str", default="host"),
    published_ports=dict(type="dict", default={}),
    volumes=dict(type="list", elements="str", default=[]),
    restart_policy=dict(type="str", default="unless-stopped", choices=["no", "always", "unless-stopped", "on-failure"]),
    port=dict(type="int"),
    port_env=dict(type="str", default="PORT"),
    strategy=dict(type="str", default="auto", choices=["auto", "start_first", "stop_first", "zero_downtime"]),
    port_range=dict(type="list", elements="int"),
    nginx_upstream_file=dict(type="path"),
    nginx_test_command=dict(type="list", elements="str", default=["nginx", "-t"]),
    nginx_reload_command=dict(type="list", elements="str", default=["nginx", "-s", "reload"]),
    upstream_host=dict(type="str", default="127.0.0.1"),
    drain_seconds=dict(type="float", default=2),
    wait_healthcheck=dict(type="bool", default=True),
    stable_period=dict(type="float", default=0),
    start_timeout=dict(type="int", default=60),
    stop_timeout=dict(type="int", default=10),
    pull=dict(type="str", default="always", choices=["always", "missing", "never"]),
    registry_username=dict(type="str"),
    registry_password=dict(type="str", no_log=True),
    docker_host=dict(type="str", default="unix:///var/run/docker.sock"),
    timeout=dict(type="int", default=120),
)
DOCKER_KWARGS = dict(required_together=[["registry_username", "registry_password"]],
                     required_if=[["strategy", "zero_downtime", ["port", "port_range"]]])


class DockerDeployment(ContainerGate, Deployment):
    command_type = "docker"

    def __init__(self, params, check_mode=False, store=None, client=None, sleep=time.sleep):
        super().__init__(params, check_mode, store)
        self._client = client
        self.sleep = sleep
        self.name = params.get("name") or self.app
        self.image_id = None
        self.repo_digest = None
        self.new_port = None
        self.live = None
        self.strategy = None
        self.old_servers = None
        self.old_snapshot = None
        self.watched = None  # the container whose own state is watched during health checks

    @property
    def client(self):
        if self._client is None:
            self._client = docker_client(self.params)
        return self._client

    # input -------------------------------------------------------------------------------
    def target_version(self):
        if self.params.get("version"):
            return self.params["version"]
        image = self.params["image"]
        tail = image.rsplit("/", 1)[-1]
        return tail.split(":", 1)[1] if ":" in tail and "@" not in tail else image

    def validate(self):
        params = self.params
        overlap = set(params.get("env") or {}) & set(params.get("secret_env") or {})
        if overlap:
            raise DeployError("variables in both env and secret_env: %s" % ", ".join(sorted(overlap)))
        if params.get("strategy") == "zero_downtime":
            rng = params.get("port_range") or []
            if len(rng) != 2 or rng[0] > rng[1]:
                raise DeployError("port_range must be [first, last] with first <= last")
            if params.get("network_mode") != "host":
                raise DeployError("strategy=zero_downtime needs network_mode=host (the app listens on a port of the host)")
        for key in (params.get("labels") or {}):
            if key.startswith(LABEL):
                raise DeployError("labels starting with %s are reserved" % LABEL)

    def default_health_port(self):
        return self.new_port or self.params.get("port")

    def resolve_strategy(self):
        wanted = self.params.get("strategy") or "auto"
        if wanted != "auto":
            return wanted
        if self.params.get("network_mode") == "host" and self.params.get("port"):
            return "stop_first"
        if any(self.params.get("published_ports") or {}):
            return "stop_first"
        return "start_first"

    # desired config ----------------------------------------------------------------------
    def env_for(self, port):
        env = dict((k, str(v)) for k, v in (self.params.get("env") or {}).items())
        env.update((k, str(v)) for k, v in (self.params.get("secret_env") or {}).items())
        if port and self.params.get("port_env"):
            env[self.params["port_env"]] = str(port)
        return env

    def config_hash(self, image_id):
        port = None if self.resolve_strategy() == "zero_downtime" else self.params.get("port")
        data = dict(image_id=image_id, command=self.params.get("command"), env=self.env_for(port),
                    labels=self.params.get("labels") or {}, network_mode=self.params.get("network_mode"),
                    published_ports=self.params.get("published_ports") or {}, volumes=self.params.get("volumes") or [],
                    restart_policy=self.params.get("restart_policy"), port=port)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def create_spec(self, port, name):
        labels = dict(self.params.get("labels") or {})
        labels.update({LABEL + "app": self.app, LABEL + "version": self.target_version(),
                       LABEL + "deploy_id": self.tracker.deploy_id if self.tracker else "",
                       LABEL + "config_hash": self.config_hash(self.image_id), LABEL + "port": str(port or "")})
        spec = dict(image=self.image_id, name=name, environment=self.env_for(port), labels=labels, detach=True,
                    network_mode=self.params.get("network_mode"))
        if self.params.get("command"):
            spec["command"] = self.params["command"]
        if self.params.get("published_ports"):
            spec["ports"] = dict((str(k), v) for k, v in self.params["published_ports"].items())
        if self.params.get("volumes"):
            spec["volumes"] = list(self.params["volumes"])
        if self.params.get("restart_policy") and self.params["restart_policy"] != "no":
            spec["restart_policy"] = {"Name": self.params["restart_policy"]}
        return spec

    def masked(self, spec):
        out = json.loads(json.dumps(spec))
        for key in (self.params.get("secret_env") or {}):
            if key in out.get("environment", {}):
                out["environment"][key] = MASK
        return out

    # image -------------------------------------------------------------------------------
    def local_image(self):
        try:
            return self.client.images.get(self.params["image"])
        except Exception as exc:  # pylint: disable=broad-except
            if not_found(exc):
                return None
            raise DeployError("cannot inspect image %s: %s" % (self.params["image"], exc), cause=exc)

    def pull(self):
        policy = self.params.get("pull") or "always"
        image = None if policy == "always" else self.local_image()
        if image is None and policy != "never":
            auth = None
            if self.params.get("registry_username"):
                auth = dict(username=self.params["registry_username"], password=self.params["registry_password"])
            repo, tag = self.params["image"], None
            tail = repo.rsplit("/", 1)[-1]
            if ":" in tail and "@" not in repo:
                repo, tag = repo.rsplit(":", 1)
            try:
                image = self.client.images.pull(repo, tag=tag or "latest", auth_config=auth)
            except Exception as exc:  # pylint: disable=broad-except
                raise DeployError("cannot pull %s: %s" % (self.params["image"], exc), cause=exc)
        if image is None:
            raise DeployError("image %s is not on the host and pull=never" % self.params["image"])
        self.image_id = image.id
        digests = image.attrs.get("RepoDigests") or []
        self.repo_digest = digests[0] if digests else None
        return image

    # idempotence -------------------------------------------------------------------------
    def up_to_date(self):
        self.live = get_container(self.client, self.name)
        if self.params.get("force") or self.live is None:
            if self.check_mode:
                return False
            self.pull()
            return False
        if self.check_mode:
            image = self.local_image()
            if image is None:
                return False
            self.image_id = image.id
        else:
            self.pull()
        labels = self.live.attrs.get("Config", {}).get("Labels") or {}
        running = self.live.attrs.get("State", {}).get("Running")
        return bool(running and labels.get(LABEL + "config_hash") == self.config_hash(self.image_id))

    def plan(self):
        out = super().plan()
        out.update(image=self.params["image"], image_id=self.image_id, strategy=self.resolve_strategy(),
                   container=normalize_container(self.live) if self.live else None)
        if self.live is not None and out["previous_version"] is None:
            out["previous_version"] = (self.live.attrs.get("Config", {}).get("Labels") or {}).get(LABEL + "version")
        return out

    def diff(self, changed):
        before = dict(image=self.live.attrs.get("Config", {}).get("Image") if self.live else None,
                      version=(self.live.attrs.get("Config", {}).get("Labels") or {}).get(LABEL + "version") if self.live else None)
        after = dict(image=self.params["image"], version=self.target_version()) if changed else dict(before)
        return dict(before=before, after=after)

    def rollback_version(self):
        if self.live is not None:
            return (self.live.attrs.get("Config", {}).get("Labels") or {}).get(LABEL + "version")
        return super().rollback_version()

    def start_container(self, spec):
        self.remove(spec["name"])
        try:
            container = self.client.containers.create(**spec)
            container.start()
        except Exception as exc:  # pylint: disable=broad-except
            raise DeployError("cannot start container %s: %s" % (spec["name"], exc))
        container.reload()
        return container

    def remove(self, name):
        container = get_container(self.client, name)
        if container is not None:
            try:
                container.remove(force=True)
            except Exception as exc:  # pylint: disable=broad-except
                if not not_found(exc):
                    raise DeployError("cannot remove container %s: %s" % (name, exc), cause=exc)

    def stop(self, container):
        try:
            container.stop(timeout=self.params.get("stop_timeout") or 10)
        except Exception as exc:  # pylint: disable=broad-except
            raise DeployError("cannot stop container %s: %s" % (container.name, exc))

    def rename(self, container, name):
        try:
            container.rename(name)
        except Exception as exc:  # pylint: disable=broad-except
            raise DeployError("cannot rename container %s to %s: %s" % (container.name, name, exc), cause=exc)

    def snapshot(self, container):
        labels = container.attrs.get("Config", {}).get("Labels") or {}
        spec = labels.get(LABEL + "spec")
        return dict(name=container.name, id=container.id, image_id=container.attrs.get("Image"),
                    version=labels.get(LABEL + "version"), port=labels.get(LABEL + "port"),
                    spec=json.loads(spec) if spec else None)

    # the deploy --------------------------------------------------------------------------
    def pick_port(self):
        first, last = self.params["port_range"]
        live_port = normalize_container(self.live)["port"] if self.live else None
        for port in range(first, last + 1):
            if port != live_port and port_free(port, self.params.get("upstream_host") or "127.0.0.1"):
                return port
        raise DeployError("no free port in %d-%d for the new container" % (first, last))

    def execute(self):
        details = self.tracker.record["details"]
        self.strategy = self.resolve_strategy()
        details.update(strategy=self.strategy, image=self.params["image"], container_name=self.name)
        self.update(st.PULLING, 10, "image %s" % self.params["image"])
        if self.image_id is None:
            self.pull()
        details.update(image_id=self.image_id, repo_digest=self.repo_digest)
        if self.live is not None:
            self.old_snapshot = self.snapshot(self.live)
            details["previous_container"] = dict((k, v) for k, v in self.old_snapshot.items() if k != "spec")
        port = self.params.get("port")
        if self.strategy == "zero_downtime":
            port = self.pick_port()
        self.new_port = port
        details["port"] = port
        spec = self.create_spec(port, self.name + "-new")
        spec["labels"][LABEL + "spec"] = json.dumps(dict(self.masked(spec), name=self.name), sort_keys=True)
        details["spec"] = self.masked(spec)
        if self.strategy == "stop_first" and self.live is not None:
            self.update(st.STOPPING, 25, "stopping %s to free its port" % self.name)
            self.stop(self.live)
        self.update(st.STARTING, 40, "starting %s (%s)" % (spec["name"], self.strategy))
        new = self.start_container(spec)
        details["container_id"] = new.id
        gate = self.wait_started(new, "new")
        self.update(st.STARTING, 70, "new container is %s" % gate)
        if self.params.get("stable_period"):
            self.update(st.HEALTH_CHECK, 75, "watching %s for %ss" % (spec["name"], self.params["stable_period"]))
            self.watch_container(new, self.params["stable_period"])
        self.watched = new
        self.prepare_checks()
        ok, results = self.health(80, "deploy")
        if not ok:
            raise DeployError("health check failed: %s" % results[-1]["detail"], status=st.TIMEOUT if results[-1]["timed_out"] else st.FAILED)
        self.checks = []  # already gated; the runner's own health pass has nothing left to do
        self.watched = None
        if self.strategy == "zero_downtime":
            upstream = self.params.get("nginx_upstream_file") or upstream_path(self.app)
            self.update(st.STARTING, 90, "switching nginx upstream %s to port %s" % (upstream, port))
            try:
                self.old_servers = switch_upstream(self.app, ["%s:%d" % (self.params.get("upstream_host"), port)],
                                                   upstream, self.params["nginx_test_command"],
                                                   self.params["nginx_reload_command"])
            except DeployError as exc:
                raise DeployError(exc.msg)
            details["upstream"] = dict(file=upstream, old=self.old_servers, new=["%s:%d" % (self.params.get("upstream_host"), port)])
            if self.live is not None and self.params.get("drain_seconds"):
                self.sleep(self.params["drain_seconds"])
        if self.live is not None:
            if self.strategy != "stop_first":
                self.update(st.STOPPING, 95, "stopping the old container")
                self.stop(self.live)
            self.remove(self.name + "-previous")
            self.rename(self.live, self.name + "-previous")
        self.rename(new, self.name)

    def can_roll_back(self):
        return True

    def do_rollback(self):
        """Remove the failed container; bring the previous one back (it may never have stopped)."""
        self.watched = None
        self.remove(self.name + "-new")
        if self.live is None:
            # Nothing ran before: a failed first deploy leaves nothing running.
            raise DeployError("no previous container of %s to roll back to" % self.app)
        # Post-rollback health checks aim at the previous container's port.
        self.checks = [normalize_check(c, self.old_port() or self.params.get("port")) for c in (self.params.get("health_checks") or [])]
        container = get_container(self.client, self.live.name) or get_container(self.client, self.name)
        method = "kept container"
        if container is None:
            container = self.recreate(self.old_snapshot, self.name)
            method = "re-created from spec by image id"
        container.reload()
        if not container.attrs.get("State", {}).get("Running"):
            container.start()
            method = "restarted " + method
        if container.name != self.name:
            self.rename(container, self.name)
        self.wait_started(container, "previous")
        if self.old_servers is not None:
            switch_upstream(self.app, self.old_servers, self.params.get("nginx_upstream_file") or upstream_path(self.app),
                            self.params["nginx_test_command"], self.params["nginx_reload_command"])
        return dict(method=method, container=normalize_container(container), image_id=container.attrs.get("Image"))

    def old_port(self):
        return int(self.old_snapshot["port"]) if self.old_snapshot and self.old_snapshot.get("port") else None

    def recreate(self, snapshot, name):
        spec = dict(snapshot.get("spec") or {})
        if not spec:
            raise DeployError("the previous container is gone and no spec was recorded")
        env = spec.get("environment") or {}
        secrets = self.params.get("secret_env") or {}
        for key, value in list(env.items()):
            if value == MASK:
                if key not in secrets:
                    raise DeployError("cannot re-create the previous container: secret %s is masked; pass it in secret_env" % key)
                env[key] = str(secrets[key])
        spec.update(name=name, image=snapshot.get("image_id") or spec.get("image"))
        return self.start_container(spec)
