# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Statuses, the live status file, the deploy records and the per host+app lock.

Layout under ``state_dir`` (default ``/var/lib/opsforge/deploy``)::

    status/<app>.json      the live status of the app's latest deploy (atomic rewrites)
    records/<app>.jsonl    one JSON line per finished deploy, newest last, rotated by count
    locks/<app>.lock       the lock of the deploy in progress (owner details inside)
"""

from __future__ import annotations

import datetime
import getpass
import json
import os
import random
import re
import socket
import string
import time

from ansible_collections.opsforge.infra.plugins.module_utils._common.files import atomic_write  # noqa: F401 - also used as st.atomic_write
from ansible_collections.opsforge.infra.plugins.module_utils._common.lockfile import LockBusy, LockFile
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError

DEFAULT_STATE_DIR = "/var/lib/opsforge/deploy"
DEFAULT_KEEP_RECORDS = 100
LOG_CAP = 64 * 1024
LOG_TAIL = 4 * 1024
MASK = "********"

# Statuses (issue #4). Common, then per deploy type, then rollback.
PENDING = "pending"
EXECUTING = "executing"
SUCCESS = "success"
FAILED = "failed"
TIMEOUT = "timeout"
SCRIPT_RUNNING = "script_running"
HEALTH_CHECK = "health_check"
UPLOADING = "uploading"
EXTRACTING = "extracting"
INSTALLING = "installing"
PULLING = "pulling"
STOPPING = "stopping"
STARTING = "starting"
ROLLING_BACK = "rolling_back"
ROLLED_BACK = "rolled_back"
ROLLBACK_FAILED = "rollback_failed"
ABANDONED = "abandoned"  # its module process died before it finished

STATUSES = (PENDING, EXECUTING, SUCCESS, FAILED, TIMEOUT, SCRIPT_RUNNING, HEALTH_CHECK, UPLOADING, EXTRACTING,
            INSTALLING, PULLING, STOPPING, STARTING, ROLLING_BACK, ROLLED_BACK, ROLLBACK_FAILED, ABANDONED)
FINAL_STATUSES = (SUCCESS, FAILED, TIMEOUT, ABANDONED)

_APP_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def isoformat(moment=None):
    return (moment or utcnow()).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_app_name(app):
    if not app or not _APP_RE.match(app):
        raise DeployError("app %r is not a valid name: use letters, digits, '.', '_' and '-' (at most 63)" % (app,))
    return app


def new_deploy_id(app):
    suffix = "".join(random.choice(string.ascii_lowercase + string.digits) for _i in range(6))
    return "%s-%s-%s" % (app, utcnow().strftime("%Y%m%d%H%M%S"), suffix)


def current_user():
    try:
        return getpass.getuser()
    except Exception:  # pylint: disable=broad-except
        return str(os.getuid())


def cap_text(text, cap=LOG_CAP):
    """Keep the end of ``text`` when it is longer than ``cap`` characters."""
    text = text or ""
    if len(text) <= cap:
        return text
    return "[... %d characters cut ...]\n" % (len(text) - cap) + text[-cap:]


def read_json(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except OSError:
        return None
    except ValueError as exc:
        raise DeployError("%s is not valid JSON: %s" % (path, exc))


class Store:
    """Paths and accessors of one host's deploy state."""

    def __init__(self, state_dir=None, keep_records=DEFAULT_KEEP_RECORDS):
        self.state_dir = state_dir or DEFAULT_STATE_DIR
        self.keep_records = keep_records

    def path(self, *parts):
        return os.path.join(self.state_dir, *parts)

    def status_path(self, app):
        return self.path("status", "%s.json" % app)

    def records_path(self, app):
        return self.path("records", "%s.jsonl" % app)

    def lock_path(self, app):
        return self.path("locks", "%s.lock" % app)

    # status file -------------------------------------------------------------------------
    def write_status(self, app, status):
        atomic_write(self.status_path(app), json.dumps(status, sort_keys=True) + "\n")

    def read_status(self, app):
        return read_json(self.status_path(app))

    # records -----------------------------------------------------------------------------
    def apps(self):
        try:
            names = os.listdir(self.path("records"))
        except OSError:
            return []
        return sorted(n[:-len(".jsonl")] for n in names if n.endswith(".jsonl"))

    def records(self, app):
        """Every record of ``app``, oldest first."""
        out = []
        try:
            with open(self.records_path(app)) as handle:
                for line in handle:
                    line = line.strip()
                    if line:
                        try:
                            out.append(json.loads(line))
                        except ValueError:
                            continue
        except OSError:
            pass
        return out

    def add_record(self, record):
        """Append ``record`` and keep only the newest ``keep_records`` (atomic rewrite)."""
        app = record["app"]
        records = [r for r in self.records(app) if r.get("deploy_id") != record.get("deploy_id")]
        records.append(record)
        if self.keep_records and len(records) > self.keep_records:
            records = records[-self.keep_records:]
        atomic_write(self.records_path(app), "".join(json.dumps(r, sort_keys=True) + "\n" for r in records))

    def find_record(self, deploy_id, app=None):
        for name in ([app] if app else self.apps()):
            for record in self.records(name):
                if record.get("deploy_id") == deploy_id:
                    return record
        return None

    def last_success(self, app, exclude=None):
        """The newest successful record of ``app`` (rollbacks to a version count), or None."""
        for record in reversed(self.records(app)):
            if record.get("deploy_id") == exclude:
                continue
            if record.get("success") and record.get("effective_version") is not None and not record.get("rolled_back_by"):
                return record
        return None


def pid_alive(pid):
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError) as exc:
        return getattr(exc, "errno", None) == 1  # EPERM: it exists, owned by someone else
    return True


class DeployLock(LockFile):
    """One deploy at a time per host and app: a lock file with owner details (``_common/lockfile.py``).

    The owner is stale when it runs on this host and its pid is gone, or when its TTL passed;
    a stale lock is taken over (the takeover is reported in ``took_over``).
    """

    def __init__(self, store, app, deploy_id, ttl=3600, wait=0, poll=1.0, sleep=time.sleep, clock=time.time):
        super().__init__(store.lock_path(app))
        self.store = store
        self.app = app
        self.deploy_id = deploy_id
        self.ttl = ttl
        self.wait = wait
        self.poll = poll
        self.sleep = sleep
        self.clock = clock
        self.held = False
        self.waited = 0.0

    def owner_info(self):
        now = self.clock()
        return dict(deploy_id=self.deploy_id, app=self.app, user=current_user(), pid=os.getpid(),
                    host=socket.gethostname(), started=isoformat(), started_epoch=now, ttl=self.ttl,
                    expires_epoch=now + self.ttl)

    def read_owner(self):
        try:
            return read_json(self.path)
        except DeployError:
            return {}

    def is_stale(self, owner):
        if not owner:
            return True
        if owner.get("expires_epoch") and float(owner["expires_epoch"]) < self.clock():
            return True
        if owner.get("host") == socket.gethostname() and owner.get("pid") and not pid_alive(owner["pid"]):
            return True
        return False

    def busy_error(self, owner):
        owner = owner or {}
        return DeployError(
            "another deploy of %s is running on this host: %s by %s (pid %s on %s) since %s"
            % (self.app, owner.get("deploy_id"), owner.get("user"), owner.get("pid"), owner.get("host"),
               owner.get("started")),
            details=dict(lock_owner=owner, lock_path=self.path))

    def acquire(self):
        start = self.clock()
        try:
            self.take(self.owner_info, wait=self.wait, poll=self.poll, clock=self.clock, sleep=self.sleep)
        except LockBusy as exc:
            raise self.busy_error(exc.owner) from None
        except OSError as exc:
            raise DeployError("cannot create lock %s: %s" % (self.path, exc), cause=exc)
        self.held = True
        self.waited = self.clock() - start
        return self

    def release(self):
        if not self.held:
            return
        try:
            self.release_if(lambda owner: owner.get("deploy_id") == self.deploy_id)
        except OSError:
            pass
        self.held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False


def mask(text, secrets):
    """``text`` with every secret value (3 characters or more) replaced by ``********``."""
    if not text or not secrets:
        return text
    for value in sorted((str(v) for v in secrets if v is not None), key=len, reverse=True):
        if len(value) >= 3:
            text = text.replace(value, MASK)
    return text


def mask_data(data, secrets):
    """A copy of a JSON-like structure with every string masked."""
    if not secrets:
        return data
    if isinstance(data, dict):
        return dict((k, mask_data(v, secrets)) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return [mask_data(v, secrets) for v in data]
    if isinstance(data, str):
        return mask(data, secrets)
    return data


class Tracker:
    """Moves one deploy through its stages: every change goes to the status file and the history.

    Everything that reaches the status file, the record, the events and the result passes through
    :meth:`mask` (the one masking path): logs, messages, errors and details.
    """

    def __init__(self, store, app, command_type, deploy_id=None, version=None, clock=time.time, secrets=()):
        self.secrets = [str(v) for v in (secrets or ()) if v is not None]
        self.store = store
        self.app = app
        self.command_type = command_type
        self.deploy_id = deploy_id or new_deploy_id(app)
        self.clock = clock
        self.started_epoch = clock()
        self.record = dict(
            deploy_id=self.deploy_id, app=app, command_type=command_type, version=version,
            effective_version=None, user=current_user(), host=socket.gethostname(), started=isoformat(),
            finished=None, duration=None, status=PENDING, success=False, progress=0, history=[], health=[],
            rollback=None, error=None, logs="", details={},
        )
        self.logs = []

    def mask(self, text):
        return mask(text, self.secrets)

    def log(self, text):
        text = self.mask(text)
        if text:
            self.logs.append(text if text.endswith("\n") else text + "\n")

    def logs_text(self):
        return cap_text("".join(self.logs))

    def update(self, status, progress=None, stage=None, message=""):
        if status not in STATUSES:
            raise ValueError("unknown status %s" % status)
        if progress is not None:
            self.record["progress"] = int(progress)
        self.record["status"] = status
        message = self.mask(message)
        entry = dict(status=status, stage=stage or status, progress=self.record["progress"], message=message,
                     timestamp=isoformat())
        self.record["history"].append(entry)
        self.write_status(stage or status, message)
        return entry

    def write_status(self, stage, message, finished=False):
        self.store.write_status(self.app, dict(
            deploy_id=self.deploy_id, app=self.app, command_type=self.command_type, status=self.record["status"],
            progress=self.record["progress"], stage=stage, message=self.mask(message), logs_tail=self.logs_text()[-LOG_TAIL:],
            timestamp=isoformat(), version=self.record["version"], finished=finished, pid=os.getpid(),
            host=self.record["host"], started=self.record["started"], user=self.record["user"],
            history=self.record["history"]))

    def finish(self, status, effective_version=None, error=None, message=""):
        self.record["finished"] = isoformat()
        self.record["duration"] = round(self.clock() - self.started_epoch, 3)
        self.record["success"] = status == SUCCESS
        self.record["effective_version"] = effective_version
        error, message = self.mask(error), self.mask(message)
        self.record["error"] = error
        self.record["logs"] = self.logs_text()
        if status == SUCCESS:
            self.record["progress"] = 100
        self.record["status"] = status
        self.record["history"].append(dict(status=status, stage=status, progress=self.record["progress"],
                                           message=message or (error or ""), timestamp=isoformat()))
        self.record = mask_data(self.record, self.secrets)
        self.write_status(status, message or (error or ""), finished=True)
        self.store.add_record(self.record)
        return self.record


def deploy_event(record, deploy_type=None):
    """The payload the ``opsforge.infra.deploy_events`` callback forwards (key ``deploy_event``)."""
    return dict(
        callback_id=record.get("deploy_id"), app=record.get("app"), command_type=record.get("command_type"),
        deploy_type=deploy_type or record.get("command_type"), status=record.get("status"),
        success=bool(record.get("success")), version=record.get("version"),
        result=dict(effective_version=record.get("effective_version"), rollback=record.get("rollback"),
                    health=record.get("health")),
        error=record.get("error"), duration=record.get("duration"), rollback_of=record.get("rollback_of"), timestamp=record.get("finished") or isoformat(),
        history=record.get("history", []),
    )
