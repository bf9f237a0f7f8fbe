# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: deploy_events
type: notification
short_description: Forward deploy status changes and results to a JSON-lines file and a signed webhook
version_added: 0.1.0
description:
  - For every task result that carries a C(deploy_event) (returned by M(opsforge.infra.deploy_shell),
    M(opsforge.infra.deploy_tar), M(opsforge.infra.deploy_docker) and M(opsforge.infra.deploy_rollback), also when they
    fail), writes one C(status) event per status change and one C(final) event to O(log_file), and POSTs the same
    events to O(webhook_url) when set.
  - The final event has C(callback_id) (the deploy id), C(command_type), C(deploy_type), C(status), C(success),
    C(result), C(error), C(duration) and C(timestamp), plus C(host), C(task) and C(playbook).
  - Webhook requests carry C(X-Opsforge-Signature) (V(sha256=<hex HMAC-SHA256 of the body>) keyed with
    O(webhook_secret)) and are retried with backoff on connection errors and 5xx answers.
  - Events are sent by a background thread from a bounded queue, each POST with O(webhook_timeout), so a slow or dead
    webhook never delays the play (the end of the playbook waits at most O(webhook_flush_timeout)).
  - Live progress. While M(opsforge.infra.deploy_shell), M(opsforge.infra.deploy_docker) or
    M(opsforge.infra.deploy_rollback) runs (also with C(async) and C(poll) > 0), their action plugin prints each
    stage change with its progress (terminal and AWX job output) and, when this callback is enabled with a
    webhook, sends its C(status) event as it happens (within a second), from the controller. The callback then
    sends only the final event of that deploy. M(opsforge.infra.deploy_status) does the same for a deploy started
    with C(poll) set to 0.
requirements:
  - enable in configuration (C(callbacks_enabled = opsforge.infra.deploy_events))
options:
  log_file:
    description: JSON-lines file the events are appended to. Empty to write none.
    type: path
    default: ~/.ansible/opsforge-deploy-events.jsonl
    env:
      - name: OPSFORGE_DEPLOY_EVENTS_FILE
    ini:
      - section: callback_deploy_events
        key: log_file
  webhook_url:
    description: URL that receives each event as a JSON POST.
    type: str
    env:
      - name: OPSFORGE_DEPLOY_EVENTS_WEBHOOK_URL
    ini:
      - section: callback_deploy_events
        key: webhook_url
  webhook_secret:
    description: Key of the HMAC-SHA256 signature header. Without it no signature is sent.
    type: str
    env:
      - name: OPSFORGE_DEPLOY_EVENTS_WEBHOOK_SECRET
    ini:
      - section: callback_deploy_events
        key: webhook_secret
  webhook_retries:
    description: Retries after a failed POST.
    type: int
    default: 3
    env:
      - name: OPSFORGE_DEPLOY_EVENTS_WEBHOOK_RETRIES
    ini:
      - section: callback_deploy_events
        key: webhook_retries
  webhook_timeout:
    description: Seconds one POST may take.
    type: float
    default: 5
    env:
      - name: OPSFORGE_DEPLOY_EVENTS_WEBHOOK_TIMEOUT
    ini:
      - section: callback_deploy_events
        key: webhook_timeout
  webhook_flush_timeout:
    description:
      - Seconds the end of the playbook waits for events still queued for the webhook. What is not sent by then is
        given up, recorded in O(log_file) (an event V(webhook_give_up) with the counts) and warned about.
    type: float
    default: 2
    env:
      - name: OPSFORGE_DEPLOY_EVENTS_WEBHOOK_FLUSH_TIMEOUT
    ini:
      - section: callback_deploy_events
        key: webhook_flush_timeout
  status_events:
    description: Also send one event per status change (not only the final one).
    type: bool
    default: true
    env:
      - name: OPSFORGE_DEPLOY_EVENTS_STATUS
    ini:
      - section: callback_deploy_events
        key: status_events
"""

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from ansible.plugins.callback import CallbackBase  # noqa: E402

from ansible_collections.opsforge.infra.plugins.plugin_utils._deploy_progress import (  # noqa: E402
    SIGNATURE_HEADER, WebhookSender, events_from, final_sent, mark_final, sign, streamed_count)

__all__ = ["CallbackModule", "SIGNATURE_HEADER", "events_from", "sign"]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "opsforge.infra.deploy_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None, sleep=time.sleep):
        super().__init__(display=display)
        self.sleep = sleep
        self.playbook = None
        self.sender = None
        self.last_sender = None  # kept after the flush for its counts

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self.log_file = self.get_option("log_file")
        self.webhook_url = self.get_option("webhook_url")
        self.webhook_secret = self.get_option("webhook_secret")
        self.webhook_retries = int(self.get_option("webhook_retries") or 0)
        self.webhook_timeout = float(self.get_option("webhook_timeout") or 10)
        self.webhook_flush_timeout = float(self.get_option("webhook_flush_timeout") or 0)
        self.status_events = self.get_option("status_events")

    # delivery ------------------------------------------------------------------------------
    @property
    def sent(self):
        sender = self.sender or self.last_sender
        return sender.sent if sender else 0

    @property
    def failures(self):
        sender = self.sender or self.last_sender
        return list(sender.errors) if sender else []

    def write(self, event):
        if not self.log_file:
            return
        path = os.path.expanduser(self.log_file)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with open(path, "a") as handle:
            handle.write(json.dumps(event, sort_keys=True, default=str) + "\n")

    def post(self, event):
        """Queue ``event`` for the background sender (never blocks the play)."""
        if not self.webhook_url:
            return
        if self.sender is None:
            self.sender = WebhookSender(self.webhook_url, self.webhook_secret, timeout=self.webhook_timeout,
                                        retries=self.webhook_retries, sleep=self.sleep)
        self.sender.put(event)

    def forward(self, result):
        deploy_event = (result._result or {}).get("deploy_event")
        if not isinstance(deploy_event, dict):
            return
        host = result._host.get_name() if getattr(result, "_host", None) else None
        task = result._task.get_name() if getattr(result, "_task", None) else None
        live = streamed_count(deploy_event.get("callback_id")) or 0  # status changes the action already sent live
        events = events_from(deploy_event, host, task, self.playbook, self.status_events)
        for index, event in enumerate(events):
            self.write(event)
            if event["event"] == "final":
                if not final_sent(event.get("callback_id")):
                    mark_final(event.get("callback_id"))
                    self.post(event)
            elif index >= live:
                self.post(event)

    def flush(self):
        """Wait at most ``webhook_flush_timeout`` for queued events; record and warn about what was not sent."""
        if self.sender is None:
            return None
        summary = self.sender.close(self.webhook_flush_timeout)
        self.sender, self.last_sender = None, self.sender
        if summary["give_up"]:
            self.write(dict(summary, event="webhook_give_up", playbook=self.playbook, timestamp=time.time()))
            self._display.warning("deploy_events: webhook %s: gave up on %d event(s) (%s)" % (
                summary["url"], summary["failed"] + summary["dropped"] + summary["abandoned"],
                ", ".join(summary.get("errors") or ["no answer within webhook_flush_timeout"])))
        return summary

    # hooks ---------------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        self.playbook = os.path.basename(getattr(playbook, "_file_name", "") or "") or None

    def v2_runner_on_ok(self, result):
        self.forward(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.forward(result)

    def v2_playbook_on_stats(self, stats):
        self.flush()
