# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_common.lockfile: O_EXCL creation, waiting on a fake clock, takeover only of the record judged stale."""

from __future__ import annotations

import json
import os
import threading

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._common.lockfile import LockBusy, LockFile


class Lock(LockFile):
    def is_stale(self, owner):
        return owner.get("stale", False)


def write(path, record):
    with open(path, "w") as handle:
        json.dump(record, handle)


def test_create_read_and_release_only_by_the_owner(tmp_path):
    lock = Lock(str(tmp_path / "locks" / "a.lock"))
    assert lock.read_owner() is None
    assert lock.create(dict(id="me")) is True and lock.create(dict(id="you")) is False
    assert lock.read_owner() == dict(id="me")
    assert lock.release_if(lambda owner: owner["id"] == "you") is False and lock.read_owner() == dict(id="me")
    assert lock.release_if(lambda owner: owner["id"] == "me") is True
    assert os.listdir(str(tmp_path / "locks")) == [], "the guard leaves nothing behind"


def test_take_waits_on_the_clock_then_names_the_owner(tmp_path):
    lock = Lock(str(tmp_path / "a.lock"))
    write(lock.path, dict(id="other"))
    now, sleeps = [0.0], []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    with pytest.raises(LockBusy) as err:
        lock.take(lambda: dict(id="me"), wait=2.5, poll=1, clock=lambda: now[0], sleep=sleep)
    assert sleeps == [1, 1, 0.5] and err.value.owner == dict(id="other")
    assert err.value.details == dict(lock_owner=dict(id="other"), lock_path=lock.path)


def test_a_stale_lock_is_taken_over_and_a_fresh_one_is_not(tmp_path):
    lock = Lock(str(tmp_path / "a.lock"))
    write(lock.path, dict(id="dead", stale=True))
    assert lock.take_over(dict(id="dead-but-another-record", stale=True)) is False
    assert lock.take(lambda: dict(id="me")).took_over == dict(id="dead", stale=True)
    assert lock.read_owner() == dict(id="me")
    other = Lock(lock.path)
    assert other.take_over(dict(id="dead", stale=True)) is False, "a late takeover removed the new holder's lock"
    assert lock.read_owner() == dict(id="me") and other.took_over is None


@pytest.mark.parametrize("round_", range(15))
def test_many_runs_on_one_stale_lock_make_one_holder(tmp_path, round_):
    """Six runs find the same stale lock at once (a pause after each read widens the race): exactly one holds it, the
    file names that one, and every other run is refused naming it. The deploy and panel locks are this mechanism;
    their own tests force the two-run interleaving through their own owner reads."""
    path = str(tmp_path / "a.lock")
    write(path, dict(id="dead", stale=True))
    names = ["run-%d" % i for i in range(6)]
    start, outcomes = threading.Barrier(len(names)), {}

    class SlowLock(Lock):
        def read_owner(self):
            owner = super().read_owner()
            threading.Event().wait(0.002)
            return owner

    def run(name):
        start.wait(10)
        try:
            SlowLock(path).take(lambda: dict(id=name))
            outcomes[name] = "held"
        except LockBusy as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    holders = [name for name in names if outcomes.get(name) == "held"]
    assert len(outcomes) == len(names)
    assert holders == [Lock(path).read_owner()["id"]], "round %d: %s all hold the lock" % (round_, holders)
    assert all(outcomes[name].owner["id"] == holders[0] for name in names if name not in holders)
