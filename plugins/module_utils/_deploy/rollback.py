# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Manual rollback of a deploy (by record id) or of an app to its previous good version.

The target is the newest successful deploy older than the one rolled back, with another version,
that was not itself rolled back. Docker: the kept ``<name>-previous`` container when it runs that
version, else a container re-created by image ID from the target record's spec. Tar: ``current`` is
switched to the target release (bad releases are skipped) and the start command runs. Shell: the
rollback script recorded with the deploy runs with ``DEPLOY_VERSION`` set to the target.
"""

from __future__ import annotations

import json
import os

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.health import CHECK_OPTIONS
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.runner import Deployment
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.safety import check_script, run_script
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import switch_link

ROLLBACK_OPTIONS = dict(
    app=dict(type="str", required=True),
    deploy_id=dict(type="str"),
    force=dict(type="bool", default=False),
    health_checks=dict(type="list", elements="dict", default=[], options=CHECK_OPTIONS),
    start_command=dict(type="str"),
    secret_env=dict(type="dict", default={}, no_log=True),
    env=dict(type="dict", default={}),
    timeout=dict(type="int", default=600),
    start_timeout=dict(type="int", default=60),
    stop_timeout=dict(type="int", default=10),
    docker_host=dict(type="str", default="unix:///var/run/docker.sock"),
    state_dir=dict(type="path", default=st.DEFAULT_STATE_DIR),
    keep_records=dict(type="int", default=st.DEFAULT_KEEP_RECORDS),
    lock_wait=dict(type="int", default=0),
    lock_ttl=dict(type="int", default=3600),
)


def _active(records):
    return [r for r in records if r.get("success") and r.get("effective_version") is not None and not r.get("rolled_back_by")]


class RollbackDeployment(Deployment):
    command_type = "rollback"

    def __init__(self, params, check_mode=False, store=None, client=None):
        params = dict(params, rollback=True)
        super().__init__(params, check_mode, store)
        self._client = client
        self.subject = None  # the record rolled back
        self.target = None  # the record rolled back to
        self.kind = None
        self.docker = None

    def validate(self):
        records = [r for r in self.store.records(self.app) if r.get("command_type") in ("shell", "tar", "docker", "rollback")]
        active = _active(records)
        if self.params.get("deploy_id"):
            subject = [r for r in records if r.get("deploy_id") == self.params["deploy_id"]]
            if not subject:
                raise DeployError("no deploy %s of %s in the records" % (self.params["deploy_id"], self.app))
            self.subject = subject[0]
            current = active[-1] if active else None
            if (not self.subject.get("rolled_back_by") and current is not self.subject and not self.params.get("force")):
                current = current or {}
                raise DeployError(
                    "deploy %s is not the current deploy of %s (the current one is %s, version %s): roll that back first,"
                    " or set force=true" % (self.params["deploy_id"], self.app, current.get("deploy_id"),
                                            current.get("effective_version")),
                    details=dict(current_deploy_id=current.get("deploy_id")))
        elif active:
            self.subject = active[-1]
        else:
            raise DeployError("%s has no successful deploy to roll back" % self.app)
        older = [r for r in active if (r.get("started") or "") < (self.subject.get("started") or "")
                 and r.get("effective_version") != self.subject.get("effective_version")]
        if not older:
            raise DeployError("%s has no good version before %s to roll back to" % (self.app, self.subject.get("version")))
        self.target = older[-1]
        self.kind = self.target.get("details", {}).get("kind") or self.target.get("command_type")
        if self.kind == "rollback":
            self.kind = self.target["details"].get("kind")
        if self.kind not in ("shell", "tar", "docker"):
            raise DeployError("cannot tell how %s was deployed" % self.target.get("deploy_id"))

    def target_version(self):
        return self.target.get("effective_version") if self.target else None

    def new_deploy_id(self):
        return None  # a rollback always gets its own id; O(deploy_id) names the deploy it undoes

    def up_to_date(self):
        if self.subject.get("rolled_back_by"):
            return True
        current = _active(self.store.records(self.app))
        return bool(current and current[-1].get("effective_version") == self.target_version())

    def rollback_version(self):
        return self.subject.get("effective_version") if self.subject else None

    def plan(self):
        out = super().plan()
        out.update(rollback_of=self.subject.get("deploy_id"), target_deploy_id=self.target.get("deploy_id"), kind=self.kind)
        return out

    # the work ------------------------------------------------------------------------------
    def execute(self):
        details = self.tracker.record["details"]
        details.update(kind=self.kind, rollback_of=self.subject.get("deploy_id"), target_deploy_id=self.target.get("deploy_id"))
        self.tracker.record["rollback_of"] = self.subject.get("deploy_id")
        self.update(st.ROLLING_BACK, 20, "rolling %s back from %s to %s" % (self.app, self.rollback_version(), self.target_version()))
        getattr(self, "_exec_" + self.kind)(details)
        self.update(st.ROLLING_BACK, 80, "%s is back on %s" % (self.app, self.target_version()))

    def _exec_tar(self, details):
        tdet = self.target.get("details", {})
        deploy_dir = tdet.get("deploy_dir") or os.path.dirname(os.path.dirname(tdet["release_dir"]))
        release = tdet.get("release") or self.target_version()
        path = os.path.join(deploy_dir, "releases", release)
        if not os.path.isdir(path):
            raise DeployError("release %s is gone from %s" % (release, deploy_dir))
        meta_path = os.path.join(deploy_dir, ".opsforge-releases.json")
        meta = st.read_json(meta_path) or dict(releases={})
        if (meta["releases"].get(release) or {}).get("status") == "bad":
            raise DeployError("release %s is marked bad" % release)
        self.tar_dir = deploy_dir
        self.tar_before = os.path.basename(os.readlink(os.path.join(deploy_dir, "current")))
        if self.tar_before != release:
            switch_link(os.path.join(deploy_dir, "current"), os.path.join("releases", release))
        left = (meta["releases"].get(self.tar_before) or {}) if self.tar_before != release else {}
        if left:
            left["status"] = "bad"
            st.atomic_write(meta_path, json.dumps(meta, sort_keys=True, indent=1) + "\n")
        details.update(release=release, deploy_dir=deploy_dir, previous_release=self.tar_before)
        self._start(tdet.get("start_command"), deploy_dir)

    def script_env(self, version, deploy_dir=None):
        env = dict(self.params.get("env") or {})
        env.update(self.params.get("secret_env") or {})
        env.update(DEPLOY_APP=self.app, DEPLOY_VERSION=version or "", DEPLOY_ID=self.tracker.deploy_id,
                   DEPLOY_FAILED_VERSION=self.rollback_version() or "", DEPLOY_ROLLBACK_OF=self.subject.get("deploy_id"))
        if deploy_dir:
            env["DEPLOY_DIR"] = deploy_dir
        return env

    def _start(self, recorded, cwd, version=None):
        command = self.params.get("start_command") or recorded
        if command:
            check_script(command, what="start_command")
            result = run_script(command, timeout=self.params["start_timeout"], cwd=cwd,
                                env=self.script_env(version or self.target_version(), cwd))
            self.tracker.log(result.stdout + result.stderr)
            if not result.ok:
                raise DeployError("start command exited %s" % result.rc, status=st.TIMEOUT if result.timed_out else st.FAILED)

    def _exec_shell(self, details):
        script = self.subject.get("details", {}).get("rollback_script") or self.target.get("details", {}).get("rollback_script")
        if not script:
            raise DeployError("no rollback_script was recorded for %s" % self.subject.get("deploy_id"))
        check_script(script, what="rollback_script")
        result = run_script(script, timeout=self.params["timeout"], env=self.script_env(self.target_version()),
                            cwd=self.subject.get("details", {}).get("workdir"))
        self.tracker.log(result.stdout + result.stderr)
        if not result.ok:
            raise DeployError("rollback script exited %s" % result.rc, status=st.TIMEOUT if result.timed_out else st.FAILED)

    def _exec_docker(self, details):
        from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker import DockerDeployment  # pylint: disable=import-outside-toplevel
        from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker_engine import (  # pylint: disable=import-outside-toplevel
            LABEL, get_container, normalize_container)

        tdet = self.target.get("details", {})
        name = tdet.get("container_name") or self.app
        params = dict(self.params, name=name, image=tdet.get("image") or "", wait_healthcheck=True, drain_seconds=0)
        self.docker = helper = DockerDeployment(params, store=self.store, client=self._client)
        helper.tracker = self.tracker
        client = helper.client
        live = get_container(client, name)
        kept = get_container(client, name + "-previous")
        target_id = tdet.get("image_id")
        if kept is not None and (kept.attrs["Config"].get("Labels") or {}).get(LABEL + "version") == self.target_version():
            candidate, method = kept, "kept container"
        else:
            spec = dict(tdet.get("spec") or {})
            spec["name"] = name
            candidate, method = None, "re-created from spec by image id"
        if live is not None:
            self.update(st.STOPPING, 40, "stopping %s" % name)
            helper.stop(live)
            helper.remove(name + "-rolledback")
            helper.rename(live, name + "-rolledback")
        self.live_before = live
        self.update(st.STARTING, 50, "starting %s (%s)" % (self.target_version(), method))
        if candidate is None:
            candidate = helper.recreate(dict(spec=spec, image_id=target_id), name + "-new")
        else:
            candidate.start()
        helper.wait_started(candidate, "rollback target")
        if candidate.name != name:
            helper.rename(candidate, name)
        if live is not None:
            helper.remove(name + "-previous")
            helper.rename(live, name + "-previous")
        details.update(method=method, image_id=candidate.attrs.get("Image"), container=normalize_container(candidate),
                       container_name=name, image=tdet.get("image"), spec=tdet.get("spec"))

    def can_roll_back(self):
        return True

    def do_rollback(self):
        """The rollback itself failed: put back what ran before it."""
        if self.kind == "tar" and getattr(self, "tar_before", None):
            switch_link(os.path.join(self.tar_dir, "current"), os.path.join("releases", self.tar_before))
            self._start(self.target.get("details", {}).get("start_command"), self.tar_dir, self.tar_before)
        elif self.kind == "docker" and self.docker is not None and getattr(self, "live_before", None) is not None:
            helper = self.docker
            name = helper.name
            helper.remove(name + "-new")
            current = helper.client.containers.get(self.live_before.id)
            if current.name.lstrip("/") != name:
                helper.remove(name)
                helper.rename(current, name)
            current.start()
        else:
            raise DeployError("nothing to restore")
        return dict(method="restored what ran before the rollback")

    def _run_locked(self):
        result = super()._run_locked()
        subject = dict(self.subject, rolled_back_by=self.tracker.deploy_id)
        self.store.add_record(subject)
        records = self.store.records(self.app)
        # keep the rollback record last (add_record appended the subject after it)
        mine = [r for r in records if r.get("deploy_id") == self.tracker.deploy_id]
        others = [r for r in records if r.get("deploy_id") != self.tracker.deploy_id]
        st.atomic_write(self.store.records_path(self.app), "".join(json.dumps(r, sort_keys=True) + "\n" for r in others + mine))
        return result
