# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_common.resource: the one describe -> plan -> predict/apply -> wait -> read loop, on a toy resource.

The toy "widget" lives in an in-memory service that counts writes. A new widget is ``creating``
for a few reads, then ``ready``; the service can be told to turn it ``error`` instead.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError
from ansible_collections.opsforge.infra.plugins.module_utils._common.resource import Action, Resource


class WidgetError(OpsforgeError):
    pass


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


class Service:
    """Widgets by name; ``settle`` reads until a new widget is ready; ``fail_on_create`` makes it error."""

    def __init__(self, widgets=None, settle=2, fail_on_create=False):
        self.widgets = copy.deepcopy(widgets or {})
        self.writes = []
        self.reads = 0
        self.settle = settle
        self.fail_on_create = fail_on_create
        self.pending = {}

    def get(self, name):
        self.reads += 1
        widget = self.widgets.get(name)
        if widget is None:
            return None
        if name in self.pending:
            self.pending[name] -= 1
            if self.pending[name] <= 0:
                del self.pending[name]
                widget["status"] = "error" if self.fail_on_create else "ready"
        return copy.deepcopy(widget)

    def create(self, name, size, tags):
        self.writes.append(("create", name))
        self.widgets[name] = {"name": name, "size": size, "tags": dict(tags), "status": "creating"}
        self.pending[name] = self.settle

    def update(self, name, **changes):
        self.writes.append(("update", name, tuple(sorted(changes))))
        self.widgets[name].update(copy.deepcopy(changes))

    def delete(self, name):
        self.writes.append(("delete", name))
        del self.widgets[name]


class Widget(Resource):
    result_key = "widget"
    error_type = WidgetError
    poll_interval = 10

    def __init__(self, service, params, check_mode=False, clock=None):
        clock = clock or FakeClock()
        super().__init__(params, check_mode, clock=clock, sleep=clock.sleep)
        self.service = service

    @staticmethod
    def ready(raw):
        return raw["status"] == "ready"

    def failed(self, raw):
        return "status is %s" % raw["status"] if raw["status"] == "error" else None

    def what(self):
        return "widget %s" % self.params["name"]

    def describe(self):
        return self.service.get(self.params["name"])

    def normalize(self, raw):
        return {"name": raw["name"], "size": raw["size"], "tags": dict(raw["tags"]), "status": raw["status"]}

    def validate(self, current):
        if self.params.get("size") is not None and self.params["size"] < 1:
            raise WidgetError("size must be at least 1")

    def wanted(self, current):
        p = self.params
        tags = dict(current["tags"]) if current else {}
        tags.update(p.get("tags") or {})
        size = p.get("size") or (current["size"] if current else 1)
        return size, tags

    def plan_create(self):
        size, tags = self.wanted(None)
        return [Action("create widget", lambda: self.service.create(self.params["name"], size, tags))]

    def plan_update(self, current):
        size, tags = self.wanted(current)
        changes = {k: v for k, v in (("size", size), ("tags", tags)) if current[k] != v}
        if not changes:
            return []
        return [Action("update %s" % ", ".join(sorted(changes)), lambda: self.service.update(self.params["name"], **changes))]

    def plan_delete(self, current):
        return [Action("delete widget", lambda: self.service.delete(self.params["name"]))]

    def predict(self, current):
        if self.absent:
            return {}
        size, tags = self.wanted(current)
        status = "ready" if self.wait or current else "creating"
        if current is not None:
            status = current["status"]
        return {"name": self.params["name"], "size": size, "tags": tags, "status": status}


existing = st.one_of(st.none(), st.fixed_dictionaries({
    "size": st.integers(1, 4), "tags": st.dictionaries(st.sampled_from("abc"), st.sampled_from("xy"), max_size=3)}))
requests = st.fixed_dictionaries({
    "state": st.sampled_from(["present", "absent"]), "size": st.one_of(st.none(), st.integers(1, 4)),
    "tags": st.one_of(st.none(), st.dictionaries(st.sampled_from("abc"), st.sampled_from("xy"), max_size=3)),
    "wait": st.booleans()})


def seeded(start):
    if start is None:
        return Service()
    return Service({"w": dict(start, name="w", status="ready")})


@settings(max_examples=60, deadline=None)
@given(start=existing, request=requests)
def test_check_mode_predicts_exactly_what_apply_does_and_the_second_run_changes_nothing(start, request):
    params = dict(request, name="w")
    service = seeded(start)
    predicted = Widget(service, params, check_mode=True).run()
    assert service.writes == []  # check mode writes nothing

    applied = Widget(service, params).run()
    assert applied == predicted  # changed, actions, diff and the widget itself
    assert bool(service.writes) is applied["changed"]

    service.writes.clear()
    again = Widget(service, params).run()
    assert again["changed"] is False and again["actions"] == [] and service.writes == []
    if not request["wait"] and applied["changed"]:
        return  # it went on settling after the first run returned
    assert again["widget"] == applied["widget"]
    assert again["diff"] == {"before": applied["widget"], "after": applied["widget"]}


def test_diff_shows_before_and_after():
    service = Service({"w": {"name": "w", "size": 1, "tags": {}, "status": "ready"}})
    result = Widget(service, {"name": "w", "size": 3, "tags": {"team": "x"}}).run()
    assert result["changed"] is True and result["actions"] == ["update size, tags"]
    assert result["diff"]["before"] == {"name": "w", "size": 1, "tags": {}, "status": "ready"}
    assert result["diff"]["after"] == {"name": "w", "size": 3, "tags": {"team": "x"}, "status": "ready"}


def test_absent_twice():
    service = Service({"w": {"name": "w", "size": 1, "tags": {}, "status": "ready"}})
    gone = Widget(service, {"name": "w", "state": "absent"}).run()
    assert gone["changed"] is True and gone["widget"] == {} and gone["diff"]["after"] == {}
    assert Widget(service, {"name": "w", "state": "absent"}).run()["changed"] is False


def test_bad_input_fails_before_any_write():
    service = Service()
    with pytest.raises(WidgetError, match="size must be at least 1"):
        Widget(service, {"name": "w", "size": 0}).run()
    assert service.writes == [] and service.widgets == {}


def test_a_failure_predicate_ends_the_wait_at_once_with_a_clear_error():
    service = Service(settle=2, fail_on_create=True)
    clock = FakeClock()
    with pytest.raises(WidgetError) as err:
        Widget(service, {"name": "w", "wait_timeout": 3600}, clock=clock).run()
    assert str(err.value) == "widget w failed: status is error"
    assert clock.now < 60  # not the hour of wait_timeout


def test_the_wait_times_out_with_the_injected_clock():
    service = Service(settle=10 ** 6)
    clock = FakeClock()
    with pytest.raises(WidgetError) as err:
        Widget(service, {"name": "w", "wait_timeout": 45}, clock=clock).run()
    assert str(err.value) == "timed out after 45s waiting for widget w"
    assert err.value.details["error_code"] == "Timeout"
    assert clock.now == 45 and max(clock.slept) <= 10  # never sleeps past the deadline
    assert service.writes == [("create", "w")]


@settings(max_examples=40, deadline=None)
@given(timeout=st.integers(0, 500), settle=st.integers(1, 80))
def test_the_wait_returns_once_ready_or_fails_at_the_deadline_never_later(timeout, settle):
    service = Service(settle=settle)
    clock = FakeClock()
    widget = Widget(service, {"name": "w", "wait_timeout": timeout}, clock=clock)
    try:
        result = widget.run()
    except WidgetError as err:
        assert "timed out after %ss waiting for widget w" % (timeout or 300) == str(err)
        assert clock.now == (timeout or 300)
    else:
        assert result["widget"]["status"] == "ready"
        assert clock.now <= (timeout or 300)


def test_the_resource_vanishing_during_the_wait_is_an_error():
    service = Service(settle=5)
    widget = Widget(service, {"name": "w"})
    original = service.get

    def vanish(name):
        if service.writes and service.reads > 1:
            service.widgets.pop(name, None)
        return original(name)

    service.get = vanish
    with pytest.raises(WidgetError, match="widget w disappeared while waiting for it"):
        widget.run()


def test_without_wait_the_result_is_read_once_after_the_write():
    service = Service(settle=3)
    result = Widget(service, {"name": "w", "wait": False}).run()
    assert result["widget"]["status"] == "creating" and service.reads == 2
