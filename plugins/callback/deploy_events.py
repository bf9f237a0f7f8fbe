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
    default: 10
    env:
      - name: OPSFORGE_DEPLOY_EVENTS_WEBHOOK_TIMEOUT
    ini:
      - section: callback_deploy_events
        key: webhook_timeout
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

import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError  # noqa: E402
from ansible.module_utils.urls import open_url  # noqa: E402
from ansible.plugins.callback import CallbackBase  # noqa: E402

from ansible_collections.opsforge.infra.plugins.module_utils._common.retries import backoff_delays  # noqa: E402

SIGNATURE_HEADER = "X-Opsforge-Signature"


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def events_from(deploy_event, host=None, task=None, playbook=None, status_events=True):
    """The events for one deploy: one per status change, then the final payload."""
    base = dict(callback_id=deploy_event.get("callback_id"), app=deploy_event.get("app"),
                command_type=deploy_event.get("command_type"), deploy_type=deploy_event.get("deploy_type"),
                host=host, task=task, playbook=playbook)
    out = []
    if status_events:
        for change in deploy_event.get("history") or []:
            out.append(dict(base, event="status", status=change.get("status"), stage=change.get("stage"),
                            progress=change.get("progress"), message=change.get("message"), timestamp=change.get("timestamp")))
    final = dict(base, event="final")
    for key in ("status", "success", "version", "result", "error", "duration", "timestamp"):
        final[key] = deploy_event.get(key)
    out.append(final)
    return out


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "opsforge.infra.deploy_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None, sleep=time.sleep):
        super().__init__(display=display)
        self.sleep = sleep
        self.playbook = None
        self.sent = 0
        self.failures = []

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self.log_file = self.get_option("log_file")
        self.webhook_url = self.get_option("webhook_url")
        self.webhook_secret = self.get_option("webhook_secret")
        self.webhook_retries = int(self.get_option("webhook_retries") or 0)
        self.webhook_timeout = float(self.get_option("webhook_timeout") or 10)
        self.status_events = self.get_option("status_events")

    # delivery ------------------------------------------------------------------------------
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
        if not self.webhook_url:
            return True
        body = json.dumps(event, sort_keys=True, default=str).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": "opsforge-deploy-events"}
        if self.webhook_secret:
            headers[SIGNATURE_HEADER] = sign(self.webhook_secret, body)
        delays = backoff_delays(self.webhook_retries, delay=0.5, max_delay=10)
        last = None
        while True:
            try:
                with open_url(self.webhook_url, data=body, headers=headers, method="POST", timeout=self.webhook_timeout,
                              follow_redirects="none") as resp:
                    if resp.getcode() < 300:
                        self.sent += 1
                        return True
                    last = "HTTP %s" % resp.getcode()
            except HTTPError as exc:
                last = "HTTP %s" % exc.code
                if exc.code < 500 and exc.code != 429:
                    break
            except (URLError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            pause = next(delays, None)
            if pause is None:
                break
            self.sleep(pause)
        self.failures.append(last)
        self._display.warning("deploy_events: webhook %s failed: %s" % (self.webhook_url, last))
        return False

    def forward(self, result):
        deploy_event = (result._result or {}).get("deploy_event")
        if not isinstance(deploy_event, dict):
            return
        host = result._host.get_name() if getattr(result, "_host", None) else None
        task = result._task.get_name() if getattr(result, "_task", None) else None
        for event in events_from(deploy_event, host, task, self.playbook, self.status_events):
            self.write(event)
            self.post(event)

    # hooks ---------------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        self.playbook = os.path.basename(getattr(playbook, "_file_name", "") or "") or None

    def v2_runner_on_ok(self, result):
        self.forward(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.forward(result)
