# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The action side of deploy_shell, deploy_docker and deploy_rollback: run the module and, while it runs,
show and send each stage change live (see _deploy_progress). Synchronous tasks run the module in a thread
and poll the host's status file beside it; ``async`` tasks with ``poll`` > 0 are followed until their deploy
finished before the task executor's own polling takes over."""

from __future__ import annotations

import threading
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.state import DEFAULT_STATE_DIR, check_app_name, new_deploy_id
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.plugin_utils._deploy_progress import (
    POLL, ProgressStream, WebhookSender, remote_status_reader, webhook_settings)

display = Display()
FLUSH = 1.0  # the most a task waits at its end for webhook events still queued


class DeployAction(ActionBase):
    _supports_check_mode = True
    _supports_async = True
    MODULE = None
    NAMES_DEPLOY = True  # the module's deploy_id option names this deploy (not so for deploy_rollback)
    SETS_ID = True  # give the deploy its id here, so the stream follows exactly this deploy
    READS_STATUS = False  # deploy_status: show what was not shown yet, no baseline

    def _stream(self, args, host):
        try:
            app = check_app_name(args.get("app"))
        except DeployError:
            return None  # the module will say what is wrong with it
        settings = webhook_settings()
        sender = WebhookSender(settings[0], settings[1], timeout=settings[2], retries=min(settings[3], 1)) if settings else None
        reader = remote_status_reader(self._connection, args.get("state_dir") or DEFAULT_STATE_DIR, app)
        return ProgressStream(reader, host, self._task.get_name(), display,
                              deploy_id=args.get("deploy_id") if self.NAMES_DEPLOY else None, sender=sender,
                              baseline=not self.READS_STATUS)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        host = (task_vars or {}).get("inventory_hostname") or "localhost"
        args = dict(self._task.args)
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        if self.SETS_ID and not args.get("deploy_id") and args.get("app"):
            try:
                args["deploy_id"] = new_deploy_id(check_app_name(args["app"]))
            except DeployError:
                pass
        stream = None if self._task.check_mode else self._stream(args, host)
        if stream is None:
            result.update(self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars,
                                               wrap_async=wrap_async))
            return result
        if wrap_async:
            out = self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars, wrap_async=True)
            if self._task.poll and self._task.poll > 0 and not out.get("failed"):
                stream.follow(lambda: False, time.time() + float(self._task.async_val))
        else:
            out = self._run_beside(stream, args, task_vars)
            if self.READS_STATUS:
                stream.finish_status(out.get("deploy_status"))
            else:
                stream.finish(out)
        self._deliver(stream, out)
        result.update(out)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    @staticmethod
    def _deliver(stream, out):
        """Close the stream (flushing the webhook a little) and report what was not delivered."""
        delivery = stream.close(FLUSH)
        if delivery is not None:
            out["deploy_events_delivery"] = delivery
            if delivery["give_up"]:
                display.warning("deploy_events: webhook %s: %d event(s) not delivered (%s)" % (
                    delivery["url"], delivery["failed"] + delivery["dropped"] + delivery["abandoned"],
                    ", ".join(delivery.get("errors") or ["still queued when the task ended"])))

    def _run_followed(self, args, task_vars):
        """Run the module synchronously, showing and sending each stage as it happens (used by deploy_tar's
        deploy stage, after its transfer)."""
        host = (task_vars or {}).get("inventory_hostname") or "localhost"
        if self.SETS_ID and not args.get("deploy_id") and args.get("app"):
            try:
                args["deploy_id"] = new_deploy_id(check_app_name(args["app"]))
            except DeployError:
                pass
        stream = None if self._task.check_mode else self._stream(args, host)
        if stream is None:
            return self._execute_module(self.MODULE, module_args=args, task_vars=task_vars)
        out = self._run_beside(stream, args, task_vars)
        stream.finish(out)
        self._deliver(stream, out)
        return out

    def _run_beside(self, stream, args, task_vars):
        """Run the module in a thread; poll the status file in this one until it returns."""
        box = {}

        def work():
            try:
                box["result"] = self._execute_module(self.MODULE, module_args=args, task_vars=task_vars)
            except BaseException as exc:  # pylint: disable=broad-except  # re-raised below, in the task's thread
                box["error"] = exc

        thread = threading.Thread(target=work, name="opsforge-deploy-module", daemon=True)
        thread.start()
        while thread.is_alive():
            stream.poll()
            thread.join(POLL)
        if "error" in box:
            raise box["error"]
        return box["result"]
