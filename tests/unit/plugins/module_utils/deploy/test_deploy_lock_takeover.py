# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two deploys that take over the same stale lock: only one of them may hold it (issue #12)."""

from __future__ import annotations

import json
import os
import threading

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError

STALE = dict(deploy_id="web-old", pid=1, host="elsewhere", expires_epoch=1)  # its TTL passed long ago


@pytest.fixture
def store(tmp_path):
    store = st.Store(str(tmp_path / "state"))
    os.makedirs(os.path.dirname(store.lock_path("web")))
    with open(store.lock_path("web"), "w") as handle:
        json.dump(STALE, handle)
    return store


def lock_file_owner(store):
    with open(store.lock_path("web")) as handle:
        return json.load(handle)["deploy_id"]


def attempt(lock, outcomes):
    try:
        lock.acquire()
        outcomes[lock.deploy_id] = "held"
    except DeployError as exc:
        outcomes[lock.deploy_id] = exc


def test_a_run_that_read_the_stale_owner_late_does_not_destroy_the_new_holders_lock(store):
    """B reads the stale owner and pauses; A takes over and holds the lock; then B goes on."""
    b_has_read, a_holds = threading.Event(), threading.Event()
    late = st.DeployLock(store, "web", "web-b", wait=0)
    read_owner, calls = late.read_owner, []

    def read_then_pause():
        owner = read_owner()
        calls.append(owner)
        if len(calls) == 1:
            assert owner == STALE
            b_has_read.set()
            a_holds.wait(10)
        return owner

    late.read_owner = read_then_pause
    outcomes = {}
    b = threading.Thread(target=attempt, args=(late, outcomes))
    b.start()
    assert b_has_read.wait(10)
    attempt(st.DeployLock(store, "web", "web-a", wait=0), outcomes)
    assert outcomes["web-a"] == "held" and lock_file_owner(store) == "web-a"
    a_holds.set()
    b.join(10)
    assert not b.is_alive()
    assert isinstance(outcomes["web-b"], DeployError), "both runs hold the lock"
    assert "web-a" in outcomes["web-b"].msg
    assert outcomes["web-b"].details["lock_owner"]["deploy_id"] == "web-a"
    assert lock_file_owner(store) == "web-a"
