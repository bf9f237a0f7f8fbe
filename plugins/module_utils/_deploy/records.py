# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Reading the deploy state: record queries (deploy_info), the live status with dead owners turned into
``abandoned`` records (deploy_status, and every deploy before it starts)."""

from __future__ import annotations

import datetime
import re
import socket
import time

from ansible_collections.opsforge.infra.plugins.module_utils._common.waiting import WaitTimeout, poll_until
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.state import (
    ABANDONED, DEFAULT_STATE_DIR, LOG_TAIL, STATUSES, Store, check_app_name, isoformat, pid_alive)

_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
                      r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$", re.I)


def parse_timestamp(text, what="timestamp"):
    """An aware UTC datetime from ISO 8601 text: date only, ``T`` or space, seconds optional, fractions of a
    second, ``Z`` or an offset (none means UTC). Raise DeployError on anything else."""
    match = _TIME_RE.match((text or "").strip())
    if not match:
        raise DeployError("%s %r is not an ISO 8601 time (like 2026-01-31T12:00:00Z, 2026-01-31 12:00:00.5+01:00"
                          " or 2026-01-31)" % (what, text))
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    offset = datetime.timedelta(0)
    if zone and zone.upper() != "Z":
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        offset = -offset if zone[0] == "-" else offset
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                                   micro, tzinfo=datetime.timezone(offset))
    except ValueError as exc:
        raise DeployError("%s %r is not a valid time: %s" % (what, text, exc))
    return moment.astimezone(datetime.timezone.utc)


def select_records(store, query):
    """Records matching ``query`` (``app``, ``deploy_id``, ``command_type``, ``status``, ``version``, ``since``,
    ``limit``), newest first. Unknown statuses and unparsable times are refused."""
    unknown = [s for s in (query.get("status") or []) if s not in STATUSES]
    if unknown:
        raise DeployError("unknown status(es) %s: use %s" % (", ".join(unknown), ", ".join(STATUSES)))
    since = parse_timestamp(query["since"], "since") if query.get("since") else None
    apps = [check_app_name(query["app"])] if query.get("app") else store.apps()
    out = []
    for app in apps:
        for record in store.records(app):
            if any(query.get(key) and record.get(key) != query[key] for key in ("deploy_id", "command_type", "version")):
                continue
            if query.get("status") and record.get("status") not in query["status"]:
                continue
            started = _record_time(record)
            if since and (started is None or started < since):
                continue
            out.append((started or datetime.datetime.min.replace(tzinfo=datetime.timezone.utc), record))
    out.sort(key=lambda pair: pair[0], reverse=True)
    records = [record for _started, record in out]
    return records[:query["limit"]] if query.get("limit") else records


def _record_time(record):
    try:
        return parse_timestamp(record.get("started"))
    except DeployError:
        return None


def owner_gone(status):
    """True when ``status`` is unfinished and its module process, on this host, no longer exists."""
    if not status or status.get("finished") or not status.get("pid"):
        return False
    if status.get("host") and status["host"] != socket.gethostname():
        return False  # another host's deploy (shared state dir): cannot tell from here
    return not pid_alive(status["pid"])


def reap_abandoned(store, app):
    """When the app's status belongs to a dead owner: record the deploy as ``abandoned`` (status file and
    record) and return that record; else None."""
    status = store.read_status(app)
    if not owner_gone(status):
        return None
    message = ("the deploy process (pid %s on %s) died without finishing; last stage %s at %s%% (%s)"
               % (status.get("pid"), status.get("host") or socket.gethostname(), status.get("stage"),
                  status.get("progress"), status.get("timestamp")))
    now = isoformat()
    history = list(status.get("history") or [])
    history.append(dict(status=ABANDONED, stage=ABANDONED, progress=status.get("progress"), message=message, timestamp=now))
    record = dict(
        deploy_id=status.get("deploy_id"), app=app, command_type=status.get("command_type"), version=status.get("version"),
        effective_version=None, user=status.get("user"), host=status.get("host"), started=status.get("started"),
        finished=now, duration=None, status=ABANDONED, success=False, progress=status.get("progress") or 0,
        history=history, health=[], rollback=None, error=message, logs=status.get("logs_tail") or "",
        details=dict(last_stage=status.get("stage"), owner_pid=status.get("pid")))
    store.add_record(record)
    status.update(status=ABANDONED, stage=ABANDONED, message=message, finished=True, timestamp=now, history=history)
    store.write_status(app, status)
    return record


def read_deploy_status(store, app, deploy_id=None):
    """The live status of ``app`` (or of ``deploy_id``, from its record when it is not the latest). A status
    whose owner died reads ``abandoned`` and becomes a record on the way."""
    reap_abandoned(store, app)
    status = store.read_status(app)
    if deploy_id and (not status or status.get("deploy_id") != deploy_id):
        record = store.find_record(deploy_id, app)
        if not record:
            raise DeployError("no deploy %s of %s on this host" % (deploy_id, app))
        status = dict(deploy_id=deploy_id, app=app, command_type=record.get("command_type"), status=record.get("status"),
                      progress=record.get("progress"), stage=record.get("status"), message=record.get("error") or "",
                      logs_tail=(record.get("logs") or "")[-LOG_TAIL:], timestamp=record.get("finished"), finished=True,
                      history=record.get("history") or [])
    if status:
        status["running"] = bool(not status.get("finished") and pid_alive(status.get("pid")))
    return status


def wait_deploy_status(store, app, deploy_id=None, timeout=600, poll=1.0, sleep=time.sleep, clock=time.time):
    """Poll until the deploy finished (a dead owner ends as ``abandoned``, never as an early return) or
    ``timeout`` seconds passed; then return the last status read (``None`` when there is none)."""
    last = [None]

    def final():  # a one-item tuple, so that "no deploy at all" (None) ends the wait too
        last[0] = read_deploy_status(store, app, deploy_id)
        return (last[0],) if not last[0] or last[0].get("finished") else None

    try:
        return poll_until(final, timeout, poll, clock=clock, sleep=sleep, what="deploy %s" % app)[0]
    except WaitTimeout:
        return last[0]


# ---- the deploy_info and deploy_status modules ----------------------------------------------------------
INFO_OPTIONS = dict(
    app=dict(type="str"), deploy_id=dict(type="str"),
    command_type=dict(type="str", choices=["shell", "tar", "docker", "rollback"]),
    status=dict(type="list", elements="str"), version=dict(type="str"), since=dict(type="str"),
    limit=dict(type="int", default=20), include_logs=dict(type="bool", default=False),
    state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
)

STATUS_OPTIONS = dict(
    app=dict(type="str", required=True), deploy_id=dict(type="str"), wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=600), state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
)


def deploy_info(params):
    """The deploy_info module: the records that match ``params``, logs left out unless asked for."""
    store = Store(params["state_dir"])
    records = select_records(store, params)
    result = dict(changed=False, apps=store.apps())
    if params["deploy_id"] and records:
        result["deploy"] = records[0]
    if not params["include_logs"]:
        records = [dict((k, v) for k, v in r.items() if k != "logs") for r in records]
    result["deploys"] = records
    return result


def deploy_status(params):
    """The deploy_status module: the live status of an app's deploy, waited for with ``wait=true``."""
    store = Store(params["state_dir"])
    app = check_app_name(params["app"])
    if params["wait"]:
        status = wait_deploy_status(store, app, params["deploy_id"], timeout=params["wait_timeout"])
    else:
        status = read_deploy_status(store, app, params["deploy_id"])
    return dict(changed=False, deploy_status=status)
