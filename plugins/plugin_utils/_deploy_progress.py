# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Live deploy progress on the controller.

While a deploy module runs on its host, the action plugin reads the host's status file
(``<state_dir>/status/<app>.json``, rewritten at every stage change) every ``POLL`` seconds through the
task's connection, prints each new stage with its progress (terminal, and AWX job output: ansible-runner
turns display lines into events), and hands the event to a :class:`WebhookSender` when the
``opsforge.infra.deploy_events`` callback has a webhook: a bounded queue drained by a background thread,
each POST with a timeout, so a slow or dead webhook never delays the play; what could not be sent is
counted and recorded (``give_up``).

Deploys streamed this way are marked in the run's local temp dir, so the callback does not send their
events a second time after the task.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import shlex
import threading
import time

import ssl
import urllib.request
from urllib.error import HTTPError, URLError

CALLBACK = "opsforge.infra.deploy_events"
SIGNATURE_HEADER = "X-Opsforge-Signature"
POLL = 0.4  # a stage is seen within 0.4 s plus one read (docker exec or ssh), light on the host
QUEUE_SIZE = 256
FINAL = ("success", "failed", "timeout", "abandoned")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a webhook answer that redirects is an answer, not a place to post the event again


def build_opener():
    """One opener for the life of a sender: a POST costs a few milliseconds (no TLS context per request)."""
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=ssl.create_default_context()), _NoRedirect())


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """POST JSON events from a background thread. ``put`` never blocks; ``close`` waits at most ``flush``
    seconds. ``sent``, ``failed`` (POSTs that got no 2xx after the retries), ``dropped`` (queue full) and
    ``abandoned`` (still queued when the flush time ran out) say what happened."""

    def __init__(self, url, secret=None, timeout=5.0, retries=1, size=QUEUE_SIZE, sleep=time.sleep):
        self.url, self.secret, self.timeout, self.retries = url, secret, float(timeout), int(retries)
        self.opener, self.sleep = build_opener(), sleep
        self.queue = queue.Queue(maxsize=size)
        self.sent = self.failed = self.dropped = self.abandoned = 0
        self.errors = []
        self.deliveries = []  # (event, monotonic time it was delivered)
        self._stop = object()
        self.closed = False  # after close() timed out: no more tries, what is left is given up
        self.in_flight = False
        self.thread = threading.Thread(target=self._run, name="opsforge-deploy-webhook", daemon=True)
        self.thread.start()

    def put(self, event):
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def _post(self, event):
        body = json.dumps(event, sort_keys=True, default=str).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": "opsforge-deploy-events"}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        last = None
        for attempt in range(self.retries + 1):
            if attempt and self.closed:
                break
            if attempt:
                self.sleep(min(0.5 * attempt, 2))
            try:
                request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
                with self.opener.open(request, timeout=self.timeout) as resp:
                    resp.read()
                    if resp.getcode() < 300:
                        return None
                    last = "HTTP %s" % resp.getcode()
            except HTTPError as exc:
                last = "HTTP %s" % exc.code
                if exc.code < 500 and exc.code != 429:
                    break
            except (URLError, OSError, ValueError) as exc:
                last = str(getattr(exc, "reason", exc))
        return last or "no answer"

    def _run(self):
        while True:
            event = self.queue.get()
            if event is self._stop or self.closed:
                return
            self.in_flight = True
            error = self._post(event)
            self.in_flight = False
            if self.closed:
                return  # given up at close() (counted there)
            if error is None:
                self.sent += 1
                self.deliveries.append((event, time.time()))
            else:
                self.failed += 1
                self.errors.append(error)

    def close(self, flush=2.0):
        """Wait up to ``flush`` seconds for the queue; return the delivery summary (``give_up`` when some
        events were not delivered)."""
        deadline = time.time() + flush
        stop_queued = True
        try:
            self.queue.put(self._stop, timeout=max(0.0, deadline - time.time()))
        except queue.Full:
            stop_queued = False
        self.thread.join(max(0.0, deadline - time.time()))
        if self.thread.is_alive():
            self.closed = True
            self.abandoned = self.queue.qsize() - (1 if stop_queued else 0) + (1 if self.in_flight else 0)
        return self.summary()

    def summary(self):
        out = dict(url=self.url, sent=self.sent, failed=self.failed, dropped=self.dropped, abandoned=self.abandoned)
        out["give_up"] = bool(self.failed or self.dropped or self.abandoned)
        if self.errors:
            out["errors"] = sorted(set(self.errors))[:5]
        return out


def webhook_settings():
    """``(url, secret, timeout, retries)`` of the deploy_events callback when it is enabled with a webhook, else None."""
    from ansible import constants as C  # pylint: disable=import-outside-toplevel

    enabled = list(C.CALLBACKS_ENABLED or [])
    if CALLBACK not in enabled:
        return None
    try:
        from ansible.plugins.loader import callback_loader  # pylint: disable=import-outside-toplevel

        plugin = callback_loader.get(CALLBACK)  # a fresh instance reads the same env and ini settings
        if plugin is None:
            return None
        plugin.set_options()
        option = plugin.get_option
        url = option("webhook_url")
        if not url:
            return None
        return url, option("webhook_secret"), float(option("webhook_timeout") or 5), int(option("webhook_retries") or 0)
    except Exception:  # pylint: disable=broad-except  # no webhook is better than a broken deploy task
        return None


def streamed_marker(callback_id):
    """The file that holds how many status changes of this deploy were already sent live (in the run's local
    temp dir, shared by the workers and the callback); its presence tells the callback not to send them again."""
    from ansible import constants as C  # pylint: disable=import-outside-toplevel

    safe = "".join(c for c in str(callback_id) if c.isalnum() or c in "-_.")
    return os.path.join(C.DEFAULT_LOCAL_TMP, "opsforge-deploy-streamed", safe)


def streamed_count(callback_id):
    """How many status changes of ``callback_id`` were streamed already, or None when none was."""
    try:
        with open(streamed_marker(callback_id)) as handle:
            return int(handle.read().strip() or 0)
    except (OSError, ValueError):
        return None


def mark_streamed(callback_id, count):
    try:
        path = streamed_marker(callback_id)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(str(count))
    except OSError:
        pass


def final_sent(callback_id):
    try:
        return bool(callback_id) and os.path.exists(streamed_marker(callback_id) + ".final")
    except Exception:  # pylint: disable=broad-except
        return False


def mark_final(callback_id):
    try:
        path = streamed_marker(callback_id) + ".final"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w"):
            pass
    except Exception:  # pylint: disable=broad-except
        pass


def events_from(deploy_event, host=None, task=None, playbook=None, status_events=True):
    """The events of one finished deploy: one per status change, then the final payload."""
    base = dict(callback_id=deploy_event.get("callback_id"), app=deploy_event.get("app"),
                command_type=deploy_event.get("command_type"), deploy_type=deploy_event.get("deploy_type"),
                host=host, task=task, playbook=playbook)
    out = []
    if status_events:
        for change in deploy_event.get("history") or []:
            out.append(dict(base, event="status", status=change.get("status"), stage=change.get("stage"),
                            progress=change.get("progress"), message=change.get("message"), timestamp=change.get("timestamp")))
    final = dict(base, event="final")
    for key in ("status", "success", "version", "result", "error", "duration", "timestamp", "rollback_of"):
        final[key] = deploy_event.get(key)
    out.append(final)
    return out


def status_event(status, entry, host, task, playbook=None):
    """The webhook event of one status change (same shape the callback sends)."""
    return dict(callback_id=status.get("deploy_id"), app=status.get("app"), command_type=status.get("command_type"),
                deploy_type=status.get("command_type"), host=host, task=task, playbook=playbook, event="status",
                status=entry.get("status"), stage=entry.get("stage"), progress=entry.get("progress"),
                message=entry.get("message"), timestamp=entry.get("timestamp"))


def progress_line(host, status, entry):
    message = entry.get("message") or ""
    return "opsforge deploy [%s] %s %s: %s %s%%%s" % (
        host, status.get("app"), status.get("version") or "", entry.get("status"), entry.get("progress"),
        (" - " + message) if message else "")


class ProgressStream:
    """Show and send each new status change of one deploy (or of whichever deploy of the app starts next when
    ``deploy_id`` is not known in advance)."""

    def __init__(self, read_status, host, task, display, deploy_id=None, sender=None, playbook=None, baseline=True):
        self.read_status, self.host, self.task, self.display = read_status, host, task, display
        self.deploy_id, self.sender, self.playbook = deploy_id, sender, playbook
        self.shown = {}  # deploy id -> status changes shown
        if deploy_id is None and baseline:
            baseline = self._read()
            if baseline and baseline.get("deploy_id"):
                self.shown[baseline["deploy_id"]] = len(baseline.get("history") or [])
        self.last = None

    def _read(self):
        try:
            return self.read_status()
        except Exception:  # pylint: disable=broad-except  # progress is best effort, the deploy is not
            return None

    def _emit(self, status, history):
        deploy_id = status.get("deploy_id")
        if not deploy_id or (self.deploy_id and deploy_id != self.deploy_id):
            return
        start = self.shown.get(deploy_id)
        if start is None:
            start = streamed_count(deploy_id) or 0
        for entry in history[start:]:
            self.display.display(progress_line(self.host, status, entry))
            if self.sender is not None:
                self.sender.put(status_event(status, entry, self.host, self.task, self.playbook))
        if len(history) > start:
            self.shown[deploy_id] = len(history)
            mark_streamed(deploy_id, len(history))
        self.last = status

    def poll(self):
        status = self._read()
        if status:
            self._emit(status, status.get("history") or [])
        return status

    def finish(self, result):
        """After the module returned: what its record has that was not shown yet (the callback sends the final event)."""
        record = (result or {}).get("deploy") or {}
        if record.get("deploy_id") and record.get("history"):
            self._emit(record, record["history"])

    def finish_status(self, status):
        """After deploy_status returned: the rest of the history and, once the deploy finished, its final event
        (nobody else sends it for a deploy started with ``poll: 0``)."""
        if not status or not status.get("deploy_id"):
            return
        self._emit(status, status.get("history") or [])
        if status.get("finished") and self.sender is not None and not final_sent(status["deploy_id"]):
            mark_final(status["deploy_id"])
            self.sender.put(dict(callback_id=status["deploy_id"], app=status.get("app"), command_type=status.get("command_type"),
                                 deploy_type=status.get("command_type"), host=self.host, task=self.task, playbook=self.playbook,
                                 event="final", status=status.get("status"), success=status.get("status") == "success",
                                 version=status.get("version"), error=None if status.get("status") == "success" else status.get("message"),
                                 timestamp=status.get("timestamp")))

    def follow(self, done, deadline, poll=POLL, sleep=time.sleep):
        """Poll until ``done()`` or the status of the deploy is final or ``deadline`` (epoch) passed."""
        while time.time() < deadline:
            status = self.poll()
            if done() or (status and status.get("finished") and status.get("deploy_id") in self.shown
                          and (not self.deploy_id or status.get("deploy_id") == self.deploy_id)):
                return status
            sleep(poll)
        return self.last

    def close(self, flush=1.0):
        return self.sender.close(flush) if self.sender is not None else None


def remote_status_reader(connection, state_dir, app):
    """A function reading ``<state_dir>/status/<app>.json`` on the host through ``connection`` (None when absent)."""
    path = "%s/status/%s.json" % (state_dir.rstrip("/"), app)
    command = "cat %s 2>/dev/null || true" % shlex.quote(path)

    def read():
        _rc, out, _err = connection.exec_command(command, sudoable=False)
        text = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
        return json.loads(text) if text.strip() else None

    return read
