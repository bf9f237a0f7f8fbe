# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The flow every deploy type shares.

validate (no change) → compare with the last good deploy (idempotence) → check mode stops here →
lock → stages (status file + history) → health → success, or rollback → post-rollback health →
record → unlock (always).
"""

from __future__ import annotations

import time

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.health import CHECK_OPTIONS, normalize_check, run_checks
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.records import reap_abandoned

# Options every deploy module has (documented in the opsforge.infra.deploy doc fragment).
COMMON_OPTIONS = dict(
    app=dict(type="str", required=True),
    version=dict(type="str"),
    deploy_id=dict(type="str"),
    force=dict(type="bool", default=False),
    health_checks=dict(type="list", elements="dict", default=[], options=CHECK_OPTIONS),
    rollback=dict(type="bool", default=True),
    state_dir=dict(type="path", default=st.DEFAULT_STATE_DIR),
    keep_records=dict(type="int", default=st.DEFAULT_KEEP_RECORDS),
    lock_wait=dict(type="int", default=0),
    lock_ttl=dict(type="int", default=3600),
)


class Deployment:
    """Base of the shell, tar and docker deploys. Subclasses fill in the hooks."""

    command_type = None

    def __init__(self, params, check_mode=False, store=None):
        self.params = params
        self.check_mode = check_mode
        self.app = st.check_app_name(params["app"])
        self.store = store or st.Store(params.get("state_dir"), params.get("keep_records") or st.DEFAULT_KEEP_RECORDS)
        self.checks = []
        self.tracker = None
        self.previous = None  # last successful record of this app

    # hooks -------------------------------------------------------------------------------
    def validate(self):
        """Raise DeployError on bad input. Runs before anything changes."""

    def new_deploy_id(self):
        return self.params.get("deploy_id")

    def target_version(self):
        return self.params.get("version")

    def up_to_date(self):
        """True when the wanted version is already deployed and healthy enough to skip."""
        return bool(self.previous and self.previous.get("effective_version") == self.target_version()
                    and not self.params.get("force"))

    def execute(self):
        """Do the deploy stages (raise DeployError, with ``status`` ``timeout`` for a timeout, on failure)."""
        raise NotImplementedError

    def can_roll_back(self):
        return False

    def do_rollback(self):
        """Bring the previous version back; return a dict merged into ``record['rollback']``.

        Raise DeployError when it cannot be done.
        """
        raise NotImplementedError

    def rollback_version(self):
        return self.previous.get("effective_version") if self.previous else None

    def health_env(self):
        return None

    def default_health_port(self):
        return None

    def health_watch(self):
        """A callable asked at every success of a health check's stability window (None: nothing to watch)."""
        return None

    # shared ------------------------------------------------------------------------------
    def secret_values(self):
        """Values masked wherever output goes (records, status file, events, results)."""
        values = [v for v in (self.params.get("secret_env") or {}).values() if v is not None]
        if self.params.get("registry_password"):
            values.append(self.params["registry_password"])
        return values

    def prepare_checks(self):
        self.checks = [normalize_check(c, self.default_health_port()) for c in (self.params.get("health_checks") or [])]

    def update(self, status, progress=None, message=""):
        self.tracker.update(status, progress=progress, message=message)

    def health(self, progress_from=90, label="deploy"):
        if not self.checks:
            return True, []
        self.update(st.HEALTH_CHECK, progress_from, "running %d health check(s) after %s" % (len(self.checks), label))
        ok, results = run_checks(self.checks, env=self.health_env(), watch=self.health_watch())
        for result in results:
            result["phase"] = label
        self.tracker.record["health"].extend(results)
        return ok, results

    def diff(self, changed):
        before = dict(version=self.previous.get("effective_version") if self.previous else None)
        after = dict(version=self.target_version() if changed else before["version"])
        return dict(before=before, after=after)

    def plan(self):
        """What would happen, for check mode and for the unchanged case."""
        return dict(app=self.app, command_type=self.command_type, version=self.target_version(),
                    previous_version=self.previous.get("effective_version") if self.previous else None)

    def run(self):
        self.validate()
        self.prepare_checks()
        self.previous = self.store.last_success(self.app)
        if self.up_to_date():
            return dict(changed=False, msg="%s %s is already deployed" % (self.app, self.target_version()),
                        deploy=self.plan(), diff=self.diff(False))
        if self.check_mode:
            return dict(changed=True, msg="would deploy %s %s" % (self.app, self.target_version()),
                        deploy=self.plan(), diff=self.diff(True))
        self.tracker = st.Tracker(self.store, self.app, self.command_type, deploy_id=self.new_deploy_id(),
                                  version=self.target_version(), secrets=self.secret_values())
        lock = st.DeployLock(self.store, self.app, self.tracker.deploy_id, ttl=self.params.get("lock_ttl") or 3600,
                             wait=self.params.get("lock_wait") or 0)
        lock.acquire()
        try:
            abandoned = reap_abandoned(self.store, self.app)
            if abandoned is not None:
                self.tracker.record["details"]["abandoned_before"] = abandoned["deploy_id"]
            self.tracker.record["previous_version"] = self.rollback_version()
            if lock.took_over is not None:
                self.tracker.record["details"]["lock_taken_over_from"] = lock.took_over
            self.update(st.PENDING, 0, "lock acquired (waited %.1fs)" % lock.waited)
            return self._run_locked()
        finally:
            lock.release()

    def _run_locked(self):
        record = self.tracker.record
        self.update(st.EXECUTING, 5, "deploying %s %s" % (self.app, self.target_version()))
        failure = None
        try:
            self.execute()
            ok, results = self.health(90, "deploy")
            if not ok:
                raise DeployError("health check failed: %s" % results[-1]["detail"],
                                  status=st.TIMEOUT if results[-1]["timed_out"] else st.FAILED)
        except DeployError as exc:
            failure = exc
        if failure is None:
            record = self.tracker.finish(st.SUCCESS, effective_version=self.target_version(),
                                         message="%s %s deployed" % (self.app, self.target_version()))
            return dict(changed=True, msg="%s %s deployed" % (self.app, self.target_version()), deploy=record,
                        deploy_event=st.deploy_event(record), diff=self.diff(True))
        self.tracker.log("deploy failed: %s" % failure.message)
        effective = None
        if self.params.get("rollback", True) and self.can_roll_back():
            rollback = self.rollback()
            if rollback["status"] == st.ROLLED_BACK:
                effective = rollback.get("target_version")
        else:
            record["rollback"] = dict(performed=False, status=None,
                                      reason="rollback disabled" if not self.params.get("rollback", True)
                                      else "nothing to roll back to")
        record = self.tracker.finish(failure.status, effective_version=effective, error=failure.message,
                                     message="deploy of %s %s %s" % (self.app, self.target_version(), failure.status))
        rb = record.get("rollback") or {}
        msg = "deploy of %s %s failed (%s): %s" % (self.app, self.target_version(), failure.status, failure.message)
        if rb.get("performed"):
            msg += "; rollback to %s: %s" % (rb.get("target_version"), rb.get("status"))
        raise DeployError(self.tracker.mask(msg), details=dict(
            deploy=record, deploy_event=st.deploy_event(record), changed=True, rolled_back=rb.get("status") == st.ROLLED_BACK))

    def rollback(self):
        started = time.time()
        target = self.rollback_version()
        self.update(st.ROLLING_BACK, None, "rolling back to %s" % target)
        result = dict(performed=True, target_version=target, status=st.ROLLBACK_FAILED, health=[], error=None)
        try:
            result.update(self.do_rollback() or {})
            ok, results = self.health(None, "rollback")
            result["health"] = results
            if ok:
                result["status"] = st.ROLLED_BACK
            else:
                result["error"] = "health check after rollback failed: %s" % results[-1]["detail"]
        except DeployError as exc:
            result["error"] = exc.msg
        result["duration"] = round(time.time() - started, 3)
        self.tracker.record["rollback"] = result
        self.update(result["status"], None, result["error"] or "rolled back to %s" % target)
        return result
