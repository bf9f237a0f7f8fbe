# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Shell deploys: a script, then health checks; on failure the rollback script, then health again."""

from __future__ import annotations

import os

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.runner import COMMON_OPTIONS, Deployment
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.safety import (
    MAX_SCRIPT_BYTES, check_script, run_script, scrub, user_ids)

SHELL_OPTIONS = dict(COMMON_OPTIONS)
SHELL_OPTIONS.update(
    version=dict(type="str", required=True),
    script=dict(type="str"),
    script_file=dict(type="path"),
    rollback_script=dict(type="str"),
    workdir=dict(type="path"),
    env=dict(type="dict", default={}),
    secret_env=dict(type="dict", default={}, no_log=True),
    timeout=dict(type="int", default=600),
    rollback_timeout=dict(type="int", default=600),
    run_as=dict(type="str"),
    allow_dangerous=dict(type="bool", default=False),
    shell=dict(type="str", default="/bin/sh"),
)
SHELL_KWARGS = dict(mutually_exclusive=[["script", "script_file"]], required_one_of=[["script", "script_file"]])


class ShellDeployment(Deployment):
    command_type = "shell"

    def validate(self):
        params = self.params
        if params.get("script_file"):
            path = params["script_file"]
            try:
                if os.path.getsize(path) > MAX_SCRIPT_BYTES:
                    raise DeployError("script_file %s is %d bytes, more than the %d bytes allowed"
                                      % (path, os.path.getsize(path), MAX_SCRIPT_BYTES))
                with open(path) as handle:
                    params["script"] = handle.read()
            except OSError as exc:
                raise DeployError("cannot read script_file %s: %s" % (path, exc))
        check_script(params["script"], params.get("allow_dangerous"), "script")
        check_script(params.get("rollback_script"), params.get("allow_dangerous"), "rollback_script")
        if params.get("run_as"):
            user_ids(params["run_as"])
        if params.get("workdir") and not os.path.isdir(params["workdir"]):
            raise DeployError("workdir %s does not exist" % params["workdir"])
        if params.get("timeout", 1) <= 0:
            raise DeployError("timeout must be > 0")
        overlap = set(params.get("env") or {}) & set(params.get("secret_env") or {})
        if overlap:
            raise DeployError("variables in both env and secret_env: %s" % ", ".join(sorted(overlap)))

    def secrets(self):
        return self.secret_values()

    def script_env(self, version, extra=None):
        env = dict(self.params.get("env") or {})
        env.update(self.params.get("secret_env") or {})
        env.update(DEPLOY_APP=self.app, DEPLOY_VERSION=version, DEPLOY_ID=self.tracker.deploy_id if self.tracker else "",
                   DEPLOY_PREVIOUS_VERSION=self.rollback_version() or "")
        env.update(extra or {})
        return env

    def _run(self, script, timeout, env, label):
        result = run_script(script, timeout=timeout, env=env, cwd=self.params.get("workdir"),
                            run_as=self.params.get("run_as"), shell=self.params.get("shell") or "/bin/sh")
        out = scrub(result.stdout, self.secrets())
        err = scrub(result.stderr, self.secrets())
        self.tracker.log("--- %s stdout ---\n%s--- %s stderr ---\n%s" % (label, out, label, err))
        self.tracker.record["details"].setdefault("steps", []).append(dict(
            step=label, rc=result.rc, timed_out=result.timed_out, duration=round(result.duration, 3),
            stdout=st.cap_text(out, 8192), stderr=st.cap_text(err, 8192)))
        return result

    def execute(self):
        self.tracker.record["details"]["rollback_script"] = self.params.get("rollback_script")
        self.tracker.record["details"]["workdir"] = self.params.get("workdir")
        self.update(st.SCRIPT_RUNNING, 10, "running the deploy script (timeout %ss)" % self.params["timeout"])
        result = self._run(self.params["script"], self.params["timeout"], self.script_env(self.target_version()), "script")
        if result.timed_out:
            raise DeployError("deploy script timed out after %ss" % self.params["timeout"], status=st.TIMEOUT)
        if result.rc != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise DeployError("deploy script exited %s: %s" % (result.rc, scrub(" | ".join(tail), self.secrets())))
        self.update(st.SCRIPT_RUNNING, 70, "deploy script finished")

    def can_roll_back(self):
        return bool(self.params.get("rollback_script"))

    def do_rollback(self):
        target = self.rollback_version() or ""
        env = self.script_env(target, dict(DEPLOY_FAILED_VERSION=self.target_version()))
        result = self._run(self.params["rollback_script"], self.params["rollback_timeout"], env, "rollback_script")
        if result.timed_out:
            raise DeployError("rollback script timed out after %ss" % self.params["rollback_timeout"], status=st.TIMEOUT)
        if result.rc != 0:
            raise DeployError("rollback script exited %s" % result.rc)
        return dict(method="rollback_script")
