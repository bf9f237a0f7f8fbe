# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one wait loop of the collection: poll a check until it is ready or a deadline passes.

``clock`` and ``sleep`` are injectable so tests drive time without waiting. A family translates
:class:`WaitTimeout` into its own error type where it wants its own message or error code.
"""

from __future__ import annotations

import time

from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError


class WaitTimeout(OpsforgeError):
    """The deadline passed before the awaited thing was ready; ``what`` names it."""

    def __init__(self, what, timeout):
        super().__init__("timed out after %ss waiting for %s" % (timeout or 0, what),
                         details={"error_code": "Timeout"})
        self.what = what
        self.timeout = timeout


def poll_until(predicate, timeout, interval, clock=time.monotonic, sleep=time.sleep, what="the condition"):
    """Call ``predicate()`` until it returns something other than ``None``; return that value.

    It is checked at once, then every ``interval`` seconds, and a last time at the deadline
    (``timeout`` seconds from now; ``None`` or a negative timeout: check once). No sleep goes past
    the deadline. An exception from ``predicate`` stops the wait at once. When the deadline passes
    without a ready value, :class:`WaitTimeout` names ``what`` was awaited.
    """
    if not interval or interval <= 0:
        raise ValueError("poll interval must be positive, got %r" % (interval,))
    deadline = clock() + max(0, timeout or 0)
    while True:
        value = predicate()
        if value is not None:
            return value
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout(what, timeout)
        sleep(min(interval, remaining))
