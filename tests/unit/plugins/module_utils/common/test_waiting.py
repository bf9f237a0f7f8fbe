# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_common.waiting.poll_until with a fake clock: the deadline, the first ready value, a clear timeout."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError
from ansible_collections.opsforge.infra.plugins.module_utils._common.waiting import WaitTimeout, poll_until


class FakeClock:
    def __init__(self, start=1000.0):
        self.now = start
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.slept.append(seconds)
        self.now += seconds


class Readiness:
    """Not ready (None) for ``not_ready`` calls, then ready with the value of that call's number."""

    def __init__(self, clock, not_ready):
        self.clock, self.not_ready, self.calls = clock, not_ready, []

    def __call__(self):
        self.calls.append(self.clock())
        if len(self.calls) > self.not_ready:
            return "ready-%d" % len(self.calls)
        return None


timeouts = st.one_of(st.integers(min_value=0, max_value=600), st.floats(min_value=0, max_value=600, allow_nan=False))
intervals = st.one_of(st.integers(min_value=1, max_value=60), st.floats(min_value=0.01, max_value=60, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(timeout=timeouts, interval=intervals, not_ready=st.integers(min_value=0, max_value=80))
def test_never_sleeps_past_the_deadline_and_returns_the_first_ready_value(timeout, interval, not_ready):
    clock = FakeClock()
    deadline = clock() + timeout
    ready = Readiness(clock, not_ready)
    try:
        value = poll_until(ready, timeout, interval, clock=clock, sleep=clock.sleep, what="the thing")
    except WaitTimeout as error:
        # gave up only after checking at the deadline, never before it
        assert ready.calls[-1] == pytest.approx(deadline) or ready.calls[-1] >= deadline
        assert len(ready.calls) <= not_ready
        assert "the thing" in str(error) and "timed out" in str(error)
    else:
        assert value == "ready-%d" % (not_ready + 1)
        assert len(ready.calls) == not_ready + 1
    assert clock() <= deadline + 1e-9
    assert all(s <= interval for s in clock.slept)
    # one sleep between two checks, none after the last check
    assert len(clock.slept) == len(ready.calls) - 1


@settings(max_examples=100, deadline=None)
@given(timeout=st.integers(min_value=0, max_value=600), interval=st.integers(min_value=1, max_value=60))
def test_a_never_ready_wait_checks_every_interval_then_once_at_the_deadline(timeout, interval):
    clock = FakeClock(start=0.0)
    ready = Readiness(clock, not_ready=10 ** 6)
    with pytest.raises(WaitTimeout) as caught:
        poll_until(ready, timeout, interval, clock=clock, sleep=clock.sleep, what="instance web-1 to be running")
    full, rest = divmod(timeout, interval)
    assert clock.slept == [interval] * full + ([rest] if rest else [])
    assert ready.calls[-1] == timeout
    assert str(caught.value) == "timed out after %ss waiting for instance web-1 to be running" % timeout
    assert caught.value.what == "instance web-1 to be running" and caught.value.timeout == timeout
    assert isinstance(caught.value, OpsforgeError)


def test_ready_at_once_never_sleeps_nor_reads_the_clock_twice():
    clock = FakeClock()
    assert poll_until(lambda: 0, 300, 5, clock=clock, sleep=clock.sleep) == 0
    assert clock.slept == []


def test_errors_of_the_predicate_stop_the_wait_at_once():
    clock = FakeClock()

    def broken():
        raise ValueError("resource failed")

    with pytest.raises(ValueError, match="resource failed"):
        poll_until(broken, 300, 5, clock=clock, sleep=clock.sleep)
    assert clock.slept == []


@pytest.mark.parametrize("interval", [0, -1])
def test_an_interval_that_would_spin_is_refused(interval):
    with pytest.raises(ValueError, match="interval"):
        poll_until(lambda: None, 10, interval, clock=FakeClock(), sleep=FakeClock().sleep)


def test_a_negative_or_missing_timeout_checks_once():
    for timeout in (-5, None):
        clock = FakeClock()
        ready = Readiness(clock, not_ready=3)
        with pytest.raises(WaitTimeout):
            poll_until(ready, timeout, 5, clock=clock, sleep=clock.sleep)
        assert len(ready.calls) == 1 and clock.slept == []
