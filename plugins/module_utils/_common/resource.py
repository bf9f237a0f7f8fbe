# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one resource loop of the collection: describe -> validate -> plan -> predict or apply -> wait -> read again.

A family subclasses :class:`Resource` (Lightsail, Aliyun, Kubernetes); a resource subclasses the
family's class and says:

- ``describe()``: the raw resource (one read) or ``None`` when it does not exist;
- ``normalize(raw)``: the user-facing dict (default: the raw value itself);
- ``validate(current)``: raise the family error for input that cannot be applied (nothing written yet);
- ``plan_create()``, ``plan_update(current)``, ``plan_delete(current)``: lists of :class:`Action`;
- ``predict(current)``: the normalized result expected after the plan (check mode, nothing called);
- ``ready(raw)`` / ``failed(raw)``: readiness and failure predicates; when ``ready`` is set and
  ``wait`` is on, the resource is read again until ``ready`` is true, ``failed`` returns a message
  (the wait ends at once with that message) or ``wait_timeout`` passes;
- ``extra_result(current, after_raw)``: more top-level result keys;
- rarely: ``predict_plan(current, actions)`` (a family whose server can answer a dry run sends
  the plan there instead of predicting it, see ``_k8s/resource.py``) and
  ``unchanged_view(current)`` (the result when nothing is to be done; default: as read).

:meth:`Resource.run` returns ``changed``, ``diff`` (before/after), ``<result_key>`` and, when
``report_actions``, ``actions`` (the descriptions of what was, or would be, done).
"""

from __future__ import annotations

import time

from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError
from ansible_collections.opsforge.infra.plugins.module_utils._common.waiting import WaitTimeout, poll_until


class Action:
    """One change: ``description`` (shown to users), ``apply()`` (does the write and returns the
    API's answer) and optionally ``then()`` (run after the write, e.g. wait before the next action)."""

    def __init__(self, description, apply, then=None):
        self.description = description
        self.apply = apply
        self.then = then

    def __repr__(self):
        return "Action(%r)" % self.description


class Resource:
    """Base of every resource manager (see the module docstring for the hooks)."""

    result_key = "resource"
    state_param = "state"
    absent_states = ("absent",)
    report_actions = True  # return the ``actions`` key
    missing_as_none = False  # a resource that does not exist is shown as ``{}``, or ``None`` (Kubernetes)
    error_type = OpsforgeError  # the family's error type, for wait failures and timeouts
    ready = None  # ready(raw) -> bool; None: nothing to wait for after a write
    poll_interval = 5

    def __init__(self, params, check_mode=False, clock=time.monotonic, sleep=time.sleep):
        self.params = params
        self._check_mode = check_mode
        self.wait = params.get("wait", True)
        self.wait_timeout = params.get("wait_timeout") or 300
        self.clock = clock
        self.sleep = sleep
        self.warnings = []

    @property
    def check_mode(self):
        return self._check_mode

    @property
    def state(self):
        return self.params.get(self.state_param) or "present"

    @property
    def absent(self):
        return self.state in self.absent_states

    def what(self):
        """The resource in messages (``bucket logs``)."""
        return "%s %s" % (self.result_key, self.params.get("name"))

    # -- hooks ----------------------------------------------------------------------------
    def describe(self):
        raise NotImplementedError

    def normalize(self, raw):
        return raw

    def validate(self, current):
        """Raise the family error when the request cannot be applied; nothing written yet."""

    def plan_create(self):
        raise NotImplementedError

    def plan_update(self, current):
        return []

    def plan_delete(self, current):
        raise NotImplementedError

    def plan(self, current):
        if self.absent:
            return [] if current is None else self.plan_delete(current)
        if current is None:
            return self.plan_create()
        return self.plan_update(current)

    def predict(self, current):
        """Normalized result expected after the plan, without calling anything."""
        if self.absent:
            return self.missing()
        return self.view(current)

    def predict_plan(self, current, actions):
        """Check mode's ``after``: :meth:`predict` (a family may ask its server instead)."""
        return self.predict(current)

    def unchanged_view(self, current):
        """The result when nothing is to be done: the resource as read."""
        return self.view(current)

    def failed(self, raw):
        """A message when ``raw`` shows the resource failed (the wait stops); ``None`` otherwise."""
        return None

    def extra_result(self, current, after):
        return {}

    # -- waiting --------------------------------------------------------------------------
    def wait_until(self, ready, failed=None, what=None):
        """Read the resource until ``ready(raw)``; return that raw value.

        ``failed(raw)`` may return a message to stop at once. The resource vanishing is an error.
        """
        what = what or self.what()

        def check():
            raw = self.describe()
            if raw is None:
                raise self.error_type("%s disappeared while waiting for it" % what)
            failure = failed(raw) if failed is not None else None
            if failure:
                raise self.error_type("%s failed: %s" % (what, failure))
            return raw if ready(raw) else None

        try:
            return poll_until(check, self.wait_timeout, self.poll_interval, clock=self.clock, sleep=self.sleep, what=what)
        except WaitTimeout:
            raise self.error_type("timed out after %ss waiting for %s" % (self.wait_timeout, what),
                                  details={"error_code": "Timeout"}) from None

    def refresh(self, current):
        """Read again after acting; wait for :attr:`ready` when ``wait`` is on."""
        if self.absent:
            return None
        if self.wait and self.ready is not None:
            return self.wait_until(self.ready, self.failed)
        return self.describe()

    # -- the run --------------------------------------------------------------------------
    def after_action(self, answer, last):
        """Called with each action's answer (a family waits for its operations here)."""

    def apply(self, actions):
        for index, action in enumerate(actions):
            self.after_action(action.apply(), index == len(actions) - 1)
            if action.then is not None:
                action.then()

    def missing(self):
        return None if self.missing_as_none else {}

    def view(self, raw):
        return self.normalize(raw) if raw is not None else self.missing()

    def run(self):
        """Return the module result: ``changed``, ``diff``, ``<result_key>`` (and ``actions``)."""
        current = self.describe()
        self.validate(current)
        actions = self.plan(current)
        before = self.view(current)
        after_raw = current
        if not actions:
            after = self.unchanged_view(current)
        elif self.check_mode:
            after_raw = None
            after = self.predict_plan(current, actions)
        else:
            self.apply(actions)
            after_raw = self.refresh(current)
            after = self.view(after_raw)
        result = {"changed": bool(actions), "diff": {"before": before, "after": after}, self.result_key: after}
        if self.report_actions:
            result["actions"] = [action.description for action in actions]
        result.update(self.extra_result(current, after_raw))
        if self.warnings:
            result["warnings"] = list(self.warnings)
        return result
