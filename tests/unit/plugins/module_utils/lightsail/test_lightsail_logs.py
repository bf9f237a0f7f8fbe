# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_lightsail/logs.py``: the one reader of Lightsail's paged log calls (container and database logs)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.logs import log_window
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.logs import read_log_events

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
AT = datetime.datetime(2026, 11, 5, 11, 0, tzinfo=UTC)


class PagedClient:
    """Answers each call with the next canned page and records the request."""

    def __init__(self, *pages):
        self.pages = list(pages)
        self.requests = []

    def call(self, operation, **params):
        self.requests.append((operation, params))
        return self.pages.pop(0)


def events(*messages):
    return [{"createdAt": AT, "message": m} for m in messages]


def test_pages_until_there_is_no_next_token():
    client = PagedClient({"logEvents": events("a"), "nextPageToken": "t1"}, {"logEvents": [], "nextPageToken": "t2"},
                         {"logEvents": events("b")})
    found = read_log_events(client, "GetContainerLog", {"serviceName": "s"}, "logEvents", "nextPageToken", limit=10)
    assert found == [{"created_at": "2026-11-05T11:00:00+00:00", "message": "a"},
                     {"created_at": "2026-11-05T11:00:00+00:00", "message": "b"}]
    # an empty page with a token is not the end: filtered logs can have those
    assert client.requests == [("GetContainerLog", {"serviceName": "s"}), ("GetContainerLog", {"serviceName": "s", "pageToken": "t1"}),
                               ("GetContainerLog", {"serviceName": "s", "pageToken": "t2"})]


def test_stops_at_the_limit_and_returns_no_more_than_it():
    client = PagedClient({"logEvents": events("a", "b"), "nextPageToken": "t1"}, {"logEvents": events("c", "d"), "nextPageToken": "t2"})
    found = read_log_events(client, "GetContainerLog", {}, "logEvents", "nextPageToken", limit=3)
    assert [e["message"] for e in found] == ["a", "b", "c"]
    assert len(client.requests) == 2


def test_endless_tokens_end_at_an_empty_page():
    client = PagedClient({"resourceLogEvents": events("boom"), "nextBackwardToken": "b1"},
                         {"resourceLogEvents": [], "nextBackwardToken": "b2"})
    found = read_log_events(client, "GetRelationalDatabaseLogEvents", {"logStreamName": "error"}, "resourceLogEvents",
                            "nextBackwardToken", limit=100, endless_tokens=True)
    assert [e["message"] for e in found] == ["boom"]
    assert client.requests[1][1] == {"logStreamName": "error", "pageToken": "b1"}


def test_endless_tokens_end_when_the_token_comes_back_unchanged():
    client = PagedClient({"resourceLogEvents": events("x"), "nextForwardToken": "f1"},
                         {"resourceLogEvents": events("y"), "nextForwardToken": "f1"})
    found = read_log_events(client, "GetRelationalDatabaseLogEvents", {}, "resourceLogEvents", "nextForwardToken", limit=100,
                            endless_tokens=True)
    assert [e["message"] for e in found] == ["x", "y"]
    assert len(client.requests) == 2


def test_log_window_leaves_out_what_is_not_set_and_reads_relative_times():
    assert log_window(None, None, now=NOW) == {}
    assert log_window("-1h", "now", now=NOW) == {"startTime": AT, "endTime": NOW}
    assert log_window(None, "2026-11-05T11:00:00Z", now=NOW) == {"endTime": AT}


def test_log_window_refuses_a_time_it_cannot_read():
    with pytest.raises(LightsailError, match="cannot parse time 'soon'"):
        log_window("soon", None, now=NOW)
