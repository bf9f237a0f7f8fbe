# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""One publish at a time per app and host: a lock file that names its owner and outlives one task.

The file (``/run/lock/opsforge-panel/<app>.lock``) is created with ``O_EXCL`` and holds
``{"owner", "since", "token"}``. Another publish waits up to ``wait`` seconds and then fails
with the owner's name; a lock older than ``stale_after`` seconds (a publish that died) is taken
over. Only the holder of the token removes it. The file, its waiting and its race-free takeover are
``_common/lockfile.py``; this module keeps the panel's record, staleness rule and messages.
"""

from __future__ import annotations

import json
import os
import time
import uuid

from ansible_collections.opsforge.infra.plugins.module_utils._common.lockfile import LockBusy, LockFile
from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError

LOCK_DIR = "/run/lock/opsforge-panel"


def _when(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class PublishLock(LockFile):
    """The publish lock of ``app`` at ``path`` (``_common/lockfile.py`` with the panel's record and rules)."""

    dir_mode = 0o755

    def __init__(self, path, app):
        super().__init__(path)
        self.app = app
        self.stale_after = 3600
        self.now = time.time

    def holder(self):
        data = panel_files.read_bytes(self.path)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return dict(owner="unknown (unreadable lock file)", since=os.path.getmtime(self.path), token=None)

    def read_owner(self):
        return self.holder()

    def is_stale(self, owner):
        return self.now() - float(owner.get("since") or 0) > self.stale_after

    def acquire(self, owner, wait=0, stale_after=3600, now=time.time, sleep=time.sleep):
        """Take the lock for ``owner``; returns the token that releases it. Raises PanelError when held by another."""
        self.stale_after, self.now = stale_after, now
        token = uuid.uuid4().hex
        try:
            self.take(lambda: dict(owner=owner, since=now(), token=token), wait=max(0, wait), poll=1, clock=now,
                      sleep=sleep)
        except LockBusy as exc:
            held = exc.owner or {}
            raise PanelError(
                "app %s is being published on this host by %s since %s (lock %s); waited %ss. Try again when it is done, "
                "or remove the lock file if that publish is dead (it is taken over by itself after %ss)."
                % (self.app, held.get("owner"), _when(float(held.get("since") or 0)), self.path, wait, stale_after),
                details=dict(lock_owner=held.get("owner"))) from None
        except OSError as exc:
            raise PanelError("cannot create lock %s: %s" % (self.path, exc), cause=exc)
        if self.took_over is not None:
            self.took_over = self.took_over.get("owner")
        return token

    def release(self, token):
        """Remove the lock when ``token`` holds it. Returns whether it was removed."""
        try:
            return self.release_if(lambda held: held.get("token") == token)
        except OSError as exc:
            raise PanelError("cannot remove %s: %s" % (self.path, exc), cause=exc)
