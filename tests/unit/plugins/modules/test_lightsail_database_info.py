# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_database_info: Describe Amazon Lightsail managed databases, their logs and events (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import ANY, CREATED, Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_database_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.database import GET, NAME, db, snap
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_info_with_logs_and_events():
    stub = Stubbed()
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    stub.add("GetRelationalDatabaseLogStreams", {"logStreams": ["error", "general"]}, GET)
    event = {"resource": NAME, "createdAt": CREATED, "message": "Backing up", "eventCategories": ["backup"]}
    stub.add("GetRelationalDatabaseEvents", {"relationalDatabaseEvents": [event]}, {"relationalDatabaseName": NAME, "durationInMinutes": 60})
    stub.add("GetRelationalDatabaseLogEvents", {"resourceLogEvents": [{"createdAt": CREATED, "message": "boom"}], "nextBackwardToken": "b1"},
             {"relationalDatabaseName": NAME, "logStreamName": "error", "startFromHead": False, "startTime": ANY})
    stub.add("GetRelationalDatabaseLogEvents", {"resourceLogEvents": [], "nextBackwardToken": "b2"})
    stub.add("GetRelationalDatabaseSnapshots", {"relationalDatabaseSnapshots": [snap()]}, {})
    result = run_module(lightsail_database_info.main, {"name": NAME, "log_streams": True, "events_minutes": 60, "snapshots": True,
                                                       "log_events": {"stream": "error", "start_time": "-1h"}}, stub)
    database = result["databases"][0]
    assert database["log_streams"] == ["error", "general"]
    assert database["log_events"] == [{"created_at": CREATED.isoformat(), "message": "boom"}]
    assert database["events"][0]["message"] == "Backing up"
    assert result["snapshots"][0]["name"] == "snap1"
    stub = Stubbed()
    stub.error("GetRelationalDatabase", params=GET)
    assert run_module(lightsail_database_info.main, {"name": NAME}, stub)["databases"] == []
    stub = Stubbed()
    stub.add("GetRelationalDatabases", {"relationalDatabases": [db(), db(name="b")]}, {})
    stub.add("GetRelationalDatabaseBlueprints", {"blueprints": [{"blueprintId": "mysql_8_0", "engine": "mysql", "engineVersion": "8.0.35"}]}, {})
    stub.add("GetRelationalDatabaseBundles", {"bundles": [{"bundleId": "micro_2_0", "price": 15.0}]}, {"includeInactive": False})
    result = run_module(lightsail_database_info.main, {"catalog": True}, stub)
    assert [d["name"] for d in result["databases"]] == [NAME, "b"]
    assert result["blueprints"][0]["blueprint_id"] == "mysql_8_0" and result["bundles"][0]["bundle_id"] == "micro_2_0"


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetRelationalDatabases", {"relationalDatabases": [db(), db(name="b")]}, {})
    result = run_read_only(lightsail_database_info.main, {}, queue)
    assert [d["name"] for d in result["databases"]] == [NAME, "b"]
