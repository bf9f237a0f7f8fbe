# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Reading Lightsail's paged log calls: container logs (``GetContainerLog``) and database log events
(``GetRelationalDatabaseLogEvents``), both as ``[{created_at, message}]``."""

from __future__ import annotations

import datetime

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.metric import parse_time
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import jsonable


def log_window(start_time=None, end_time=None, now=None):
    """``startTime`` / ``endTime`` request parameters for the times given (ISO 8601, or relative to
    ``now`` such as ``-3h``, see :func:`parse_time`); a time not given is left out."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    window = {}
    if start_time:
        window["startTime"] = parse_time(start_time, now)
    if end_time:
        window["endTime"] = parse_time(end_time, now)
    return window


def read_log_events(client, operation, params, events_key, token_key, limit, endless_tokens=False):
    """At most ``limit`` events of ``operation`` called with ``params``, page after page.

    Each answer has its events under ``events_key`` and the next page's ``pageToken`` under
    ``token_key``. Reading ends at ``limit`` events or when no token comes back; with
    ``endless_tokens`` (a log stream that always answers a token) also at an empty page or when
    the same token comes back.
    """
    events = []
    token = None
    while len(events) < limit:
        page = dict(params, pageToken=token) if token else dict(params)
        response = client.call(operation, **page)
        batch = response.get(events_key) or []
        events.extend(batch)
        token, previous = response.get(token_key), token
        if not token or (endless_tokens and (not batch or token == previous)):
            break
    return jsonable([{"created_at": event.get("createdAt"), "message": event.get("message")} for event in events[:limit]])
