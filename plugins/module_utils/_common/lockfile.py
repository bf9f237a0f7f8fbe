# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one lock file of the collection: an ``O_EXCL`` file that holds its owner's JSON record.

A family subclasses :class:`LockFile` and gives its own rules: :meth:`LockFile.read_owner` (how
its record is parsed), :meth:`LockFile.is_stale` (when an owner is dead) and the record it writes.
:meth:`LockFile.take` creates the file or waits for it (``_common/waiting.poll_until``, clock and
sleep injectable) and raises :class:`LockBusy` with the owner when the wait is over; the family
turns that into its own error.

Taking over a stale lock is race-free: every creation and every takeover runs under a short
``flock`` of the lock's directory (nothing is added to the directory), and a takeover removes the
file only when, under that guard, it still holds the very stale record that was judged. So when
two runs take over the same stale lock, the second one finds the first one's fresh record and waits
for it instead of removing it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time

from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError
from ansible_collections.opsforge.infra.plugins.module_utils._common.waiting import WaitTimeout, poll_until

# How often one check may find a stale lock and lose its takeover before it waits a poll.
_TAKEOVER_TRIES = 10


class LockBusy(OpsforgeError):
    """Another owner holds the lock (``owner``: its record) and the wait is over."""

    def __init__(self, path, owner):
        super().__init__("%s is held by %r" % (path, owner), details=dict(lock_owner=owner, lock_path=path))
        self.path = path
        self.owner = owner


class LockFile:
    """A lock file at ``path``: create it with a record, read it, release it when it is ours."""

    mode = 0o644
    dir_mode = 0o777  # before the umask

    def __init__(self, path):
        self.path = path
        self.took_over = None

    # the family's rules ---------------------------------------------------------------------
    def read_owner(self):
        """The owner record, or None when there is no lock; ValueError for a file that is not JSON."""
        try:
            with open(self.path) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None

    def is_stale(self, owner):  # pylint: disable=unused-argument
        """Whether ``owner`` (read by :meth:`read_owner`) is gone, so that its lock may be taken over."""
        return False

    # the file -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def guard(self):
        """Hold an exclusive ``flock`` of the lock's directory (short: one creation or one takeover)."""
        fd = os.open(os.path.dirname(self.path) or ".", os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    def create(self, record):
        """Create the lock holding ``record`` (a dict); False when it exists. OSError on other failures."""
        os.makedirs(os.path.dirname(self.path) or ".", self.dir_mode, exist_ok=True)
        with self.guard():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, self.mode)
            except FileExistsError:
                return False
            with os.fdopen(fd, "w") as handle:
                handle.write(json.dumps(record, sort_keys=True))
                handle.flush()
                os.fsync(handle.fileno())
        return True

    def take_over(self, seen):
        """Remove the lock when it still holds ``seen`` (a stale record); whether it was removed."""
        with self.guard():
            if seen is None or self.read_owner() != seen:
                return False  # gone, or another run took it over first and holds it now
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                return False
        self.took_over = seen
        return True

    def release_if(self, is_mine):
        """Remove the lock when ``is_mine(owner)`` says it is ours; whether it was removed."""
        with self.guard():
            owner = self.read_owner()
            if not owner or not is_mine(owner):
                return False
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                return False
        return True

    def try_take(self, new_record):
        """One attempt: True when the lock is ours now (``new_record()`` written), else the owner's record."""
        for _try in range(_TAKEOVER_TRIES):
            if self.create(new_record()):
                return True
            owner = self.read_owner()
            if owner is None:
                continue  # released between the two steps
            if not self.is_stale(owner):
                return owner
            self.take_over(owner)
        return owner

    def take(self, new_record, wait=0, poll=1.0, clock=time.time, sleep=time.sleep):
        """Create the lock with ``new_record()``, waiting up to ``wait`` seconds for its owner.

        A stale owner is taken over (its record is kept in ``took_over``). Raises :class:`LockBusy`
        with the last owner seen when the wait is over.
        """
        seen = [None]

        def attempt():
            outcome = self.try_take(new_record)
            if outcome is True:
                return True
            seen[0] = outcome
            return None

        try:
            poll_until(attempt, wait, poll, clock=clock, sleep=sleep, what="the lock %s" % self.path)
        except WaitTimeout:
            raise LockBusy(self.path, seen[0]) from None
        return self
