# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail on the collection's one resource loop (``_common/resource.py``).

A resource subclass says how to read the resource (one call), how to normalize it, and which
:class:`Action` objects turn the current state into the desired one. ``run()`` does the rest: no
action -> ``changed=False`` after exactly one read; check mode -> the predicted result, no write;
otherwise each action is applied, its Lightsail operations awaited, and the resource read again
(waiting for ``ready`` when set) for the result and the diff.
"""

from __future__ import annotations

import datetime

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import snake_dict
from ansible_collections.opsforge.infra.plugins.module_utils._common.resource import Action, Resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError
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


class LightsailResource(Resource):
    """Base of a Lightsail resource manager: :class:`~.._common.resource.Resource` with the
    Lightsail client (its check mode, its operations and its waits). Subclasses set
    ``result_key`` and implement the hooks of ``Resource``; ``describe()`` is one read call
    (``not_found_ok=True``), ``normalize()`` defaults to :func:`normalize_resource`, and a
    resource that must settle after a write sets ``ready(raw)`` (and ``failed(raw)``, ``what()``)
    instead of overriding ``refresh()``.

    Append user-facing warnings to ``self.warnings``; exit with ``module.exit_result(result)``.
    """

    error_type = LightsailError

    def __init__(self, client, params):
        super().__init__(params, check_mode=client.check_mode)
        self.client = client

    @property
    def check_mode(self):
        return self.client.check_mode

    def normalize(self, raw):
        return normalize_resource(raw)

    def what(self):
        return "%s %s" % (self.result_key.replace("_", " "), getattr(self, "name", self.params.get("name")))

    def wait_until(self, ready, failed=None, what=None):
        """Lightsail's own wait (its errors carry ``code`` ``Timeout`` / ``ResourceFailed``)."""
        return self.client.wait_for(self.describe, ready, timeout=self.wait_timeout, what=what or self.what(), failed_fn=failed)

    def after_action(self, answer, last):
        """Wait for the action's operations (for the last action only when ``wait``)."""
        if self.wait or not last:
            self.client.wait_operations(operations_of(answer), timeout=self.wait_timeout)


__all__ = ["Action", "LightsailResource", "jsonable", "normalize_resource", "operations_of"]
