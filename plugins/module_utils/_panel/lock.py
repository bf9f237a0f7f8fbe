# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""One publish at a time per app and host: a lock file that names its owner and outlives one task.

The file (``/run/lock/opsforge-panel/<app>.lock``) is created with ``O_EXCL`` and holds
``{"owner", "since", "token"}``. Another publish waits up to ``wait`` seconds and then fails
with the owner's name; a lock older than ``stale_after`` seconds (a publish that died) is taken
over. Only the holder of the token removes it.
"""

from __future__ import annotations

import json
import os
import time
import uuid

from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError

LOCK_DIR = "/run/lock/opsforge-panel"


def _when(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class PublishLock:
    def __init__(self, path, app):
        self.path = path
        self.app = app
        self.took_over = None

    def holder(self):
        data = panel_files.read_bytes(self.path)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return dict(owner="unknown (unreadable lock file)", since=os.path.getmtime(self.path), token=None)

    def _create(self, record):
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as handle:
            json.dump(record, handle)
        return True

    def acquire(self, owner, wait=0, stale_after=3600, now=time.time, sleep=time.sleep):
        """Take the lock for ``owner``; returns the token that releases it. Raises PanelError when held by another."""
        os.makedirs(os.path.dirname(self.path), 0o755, exist_ok=True)
        record = dict(owner=owner, since=now(), token=uuid.uuid4().hex)
        deadline = now() + max(0, wait)
        while True:
            record["since"] = now()
            if self._create(record):
                return record["token"]
            held = self.holder()
            if held is None:
                continue
            if now() - float(held.get("since") or 0) > stale_after:
                panel_files.write_atomic(self.path, json.dumps(record).encode(), 0o644)
                if (self.holder() or {}).get("token") == record["token"]:
                    self.took_over = held.get("owner")
                    return record["token"]
                continue
            if now() >= deadline:
                raise PanelError(
                    "app %s is being published on this host by %s since %s (lock %s); waited %ss. Try again when it is done, "
                    "or remove the lock file if that publish is dead (it is taken over by itself after %ss)."
                    % (self.app, held.get("owner"), _when(float(held.get("since") or 0)), self.path, wait, stale_after),
                    details=dict(lock_owner=held.get("owner")))
            sleep(1)

    def release(self, token):
        """Remove the lock when ``token`` holds it. Returns whether it was removed."""
        held = self.holder()
        if not held or held.get("token") != token:
            return False
        return panel_files.remove(self.path)
