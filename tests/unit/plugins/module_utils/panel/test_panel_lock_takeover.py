# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two publishes that take over the same stale publish lock: only one of them may hold it (issue #12)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.lock import PublishLock


@pytest.fixture
def path(tmp_path):
    path = str(tmp_path / "shop.lock")
    with open(path, "w") as handle:
        json.dump(dict(owner="crashed@ctl", since=time.time() - 7200, token="old"), handle)
    return path


def lock_file_owner(path):
    with open(path) as handle:
        return json.load(handle)["owner"]


def attempt(lock, owner, outcomes):
    try:
        outcomes[owner] = ("held", lock.acquire(owner, wait=0, stale_after=3600))
    except PanelError as exc:
        outcomes[owner] = ("refused", exc)


def test_a_publish_that_read_the_stale_owner_late_does_not_destroy_the_new_holders_lock(path):
    """B reads the stale owner and pauses; A takes over and holds the lock; then B goes on."""
    b_has_read, a_holds = threading.Event(), threading.Event()
    late = PublishLock(path, "shop")
    holder, calls = late.holder, []

    def read_then_pause():
        held = holder()
        calls.append(held)
        if len(calls) == 1:
            assert held["owner"] == "crashed@ctl"
            b_has_read.set()
            a_holds.wait(10)
        return held

    late.holder = read_then_pause
    outcomes = {}
    b = threading.Thread(target=attempt, args=(late, "bob@ctl", outcomes))
    b.start()
    assert b_has_read.wait(10)
    first = PublishLock(path, "shop")
    attempt(first, "alice@ctl", outcomes)
    assert outcomes["alice@ctl"][0] == "held" and first.took_over == "crashed@ctl"
    a_holds.set()
    b.join(10)
    assert not b.is_alive()
    assert outcomes["bob@ctl"][0] == "refused", "both publishes hold the lock"
    error = outcomes["bob@ctl"][1]
    assert "alice@ctl" in str(error) and error.details == dict(lock_owner="alice@ctl")
    assert lock_file_owner(path) == "alice@ctl" and late.took_over is None
    assert PublishLock(path, "shop").release(outcomes["alice@ctl"][1]) is True
