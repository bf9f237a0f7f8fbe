# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The generic "describe -> compare -> act -> describe again" runner every Lightsail resource module uses.

A resource subclass says how to read the resource (one call), how to normalize it, and which
:class:`Action` objects turn the current state into the desired one. :meth:`LightsailResource.run`
does the rest: no action -> ``changed=False`` after exactly one read; check mode -> the predicted
result, no write; otherwise each action is applied, its operations awaited, and the resource read
again for the result and the diff.
"""

from __future__ import annotations

import datetime

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import snake_dict
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tags_to_dict


def jsonable(value):
    """Datetimes to ISO 8601 strings, recursively (boto3 returns ``datetime`` for timestamps)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def normalize_resource(raw, drop=()):
    """A Lightsail API dict -> snake_case dict with ``tags`` as a plain dict and ISO timestamps.

    ``drop`` lists top-level camelCase keys to leave out (secrets, noise).
    """
    if raw is None:
        return {}
    raw = {k: v for k, v in raw.items() if k not in drop}
    if isinstance(raw.get("tags"), list):
        raw["tags"] = tags_to_dict(raw["tags"])
    return jsonable(snake_dict(raw))


def operations_of(response):
    """The operation dicts in an API response (``operations`` list or single ``operation``)."""
    if response is None:
        return []
    if isinstance(response, list):
        return response
    if "operations" in response:
        return list(response.get("operations") or [])
    if response.get("operation"):
        return [response["operation"]]
    if "id" in response and "status" in response:
        return [response]
    return []


class Action:
    """One change: ``description`` (shown to users in ``actions``), ``apply()`` (does the write and
    returns the API response or its operations) and optionally ``then()`` (run after the
    operations finished, e.g. wait for the instance to run before the next action)."""

    def __init__(self, description, apply, then=None):
        self.description = description
        self.apply = apply
        self.then = then

    def __repr__(self):
        return "Action(%r)" % self.description


class LightsailResource:
    """Base of a resource manager. Subclasses set ``result_key`` and implement:

    - ``describe()``: the raw resource (one read call, ``not_found_ok=True``) or ``None``;
    - ``normalize(raw)``: the user-facing dict (default: :func:`normalize_resource`);
    - ``validate(current)``: raise :class:`LightsailError` for input that cannot be applied
      (immutable field differs, ...) -- called before any write;
    - ``plan_create()``, ``plan_update(current)``, ``plan_delete(current)``: lists of :class:`Action`;
    - ``predict(current)``: the normalized result expected after the plan (check mode);
    - ``refresh(current)``: read again after acting (default ``describe()``; override to wait for a
      state when ``self.wait``);
    - ``extra_result(current, after)``: more top-level result keys (default none).

    Append user-facing warnings to ``self.warnings``; exit with ``module.exit_result(result)``.
    """

    result_key = "resource"
    state_param = "state"

    def __init__(self, client, params):
        self.client = client
        self.params = params
        self.wait = params.get("wait", True)
        self.wait_timeout = params.get("wait_timeout") or 300
        self.warnings = []  # returned as result["warnings"]; LightsailModule.exit_result() turns them into module.warn()

    @property
    def check_mode(self):
        return self.client.check_mode

    @property
    def state(self):
        return self.params.get(self.state_param) or "present"

    # -- hooks ----------------------------------------------------------------------------
    def describe(self):
        raise NotImplementedError

    def normalize(self, raw):
        return normalize_resource(raw)

    def validate(self, current):
        """Raise LightsailError when the request cannot be applied; nothing written yet."""

    def plan_create(self):
        raise NotImplementedError

    def plan_update(self, current):
        return []

    def plan_delete(self, current):
        raise NotImplementedError

    def plan(self, current):
        if self.state == "absent":
            return [] if current is None else self.plan_delete(current)
        if current is None:
            return self.plan_create()
        return self.plan_update(current)

    def predict(self, current):
        """Normalized result expected after the plan, without calling anything."""
        if self.state == "absent":
            return {}
        return self.normalize(current) if current is not None else {}

    def refresh(self, current):
        if self.state == "absent":
            return None
        return self.describe()

    def extra_result(self, current, after):
        return {}

    # -- the run --------------------------------------------------------------------------
    def apply(self, actions):
        for index, action in enumerate(actions):
            operations = operations_of(action.apply())
            last = index == len(actions) - 1
            if self.wait or not last:
                self.client.wait_operations(operations, timeout=self.wait_timeout)
            if action.then is not None:
                action.then()

    def run(self):
        """Return the module result: ``changed``, ``actions``, ``diff`` and ``<result_key>``."""
        current = self.describe()
        self.validate(current)
        actions = self.plan(current)
        before = self.normalize(current) if current is not None else {}
        if not actions:
            after_raw = current
            after = before
        elif self.check_mode:
            after_raw = None
            after = self.predict(current)
        else:
            self.apply(actions)
            after_raw = self.refresh(current)
            after = self.normalize(after_raw) if after_raw is not None else {}
        result = {
            "changed": bool(actions),
            "actions": [action.description for action in actions],
            "diff": {"before": before, "after": after},
            self.result_key: after,
        }
        result.update(self.extra_result(current, after_raw))
        if self.warnings:
            result["warnings"] = list(self.warnings)
        return result
