# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_database_snapshot: Manage snapshots of Amazon Lightsail managed databases (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_database_snapshot
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.database import NAME, snap


def test_snapshot_lifecycle():
    get = {"relationalDatabaseSnapshotName": "snap1"}
    stub = Stubbed()
    stub.error("GetRelationalDatabaseSnapshot", params=get)
    stub.add("CreateRelationalDatabaseSnapshot", ops("CreateRelationalDatabaseSnapshot", "snap1", resource_type="RelationalDatabaseSnapshot"),
             {"relationalDatabaseName": NAME, "relationalDatabaseSnapshotName": "snap1"})
    stub.add("GetRelationalDatabaseSnapshot", {"relationalDatabaseSnapshot": snap(state="pending")}, get)
    stub.add("GetRelationalDatabaseSnapshot", {"relationalDatabaseSnapshot": snap()}, get)
    result = run_module(lightsail_database_snapshot.main, {"name": "snap1", "database_name": NAME}, stub)
    assert result["changed"] is True and result["snapshot"]["state"] == "available"
    stub = Stubbed()
    stub.add("GetRelationalDatabaseSnapshot", {"relationalDatabaseSnapshot": snap()}, get)
    assert run_module(lightsail_database_snapshot.main, {"name": "snap1", "database_name": NAME}, stub)["changed"] is False
    assert stub.calls == ["GetRelationalDatabaseSnapshot"]
    stub = Stubbed()
    stub.add("GetRelationalDatabaseSnapshot", {"relationalDatabaseSnapshot": snap()}, get)
    result = run_module(lightsail_database_snapshot.main, {"name": "snap1", "state": "absent"}, stub, check_mode=True)
    assert result["changed"] is True and stub.count(writes=True) == 0
    stub = Stubbed()
    stub.add("GetRelationalDatabaseSnapshot", {"relationalDatabaseSnapshot": snap()}, get)
    stub.add("DeleteRelationalDatabaseSnapshot", ops("DeleteRelationalDatabaseSnapshot", "snap1"), get)
    assert run_module(lightsail_database_snapshot.main, {"name": "snap1", "state": "absent"}, stub)["changed"] is True
    stub = Stubbed()
    stub.add("GetRelationalDatabaseSnapshot", {"relationalDatabaseSnapshot": snap()}, get)
    result = run_module(lightsail_database_snapshot.main, {"name": "snap1", "database_name": "other"}, stub)
    assert result["failed"] is True and "database_name" in result["msg"]


def test_snapshot_diff_tags_not_found_throttle_failure():
    get = {"relationalDatabaseSnapshotName": "snap1"}
    stub = Stubbed()
    stub.error("GetRelationalDatabaseSnapshot", "ThrottlingException")
    stub.add("GetRelationalDatabaseSnapshot", {"relationalDatabaseSnapshot": snap()}, get)
    stub.add("TagResource", ops("TagResource", "snap1", resource_type="RelationalDatabaseSnapshot"),
             {"resourceName": "snap1", "tags": [{"key": "keep", "value": "yes"}]})
    stub.add("GetRelationalDatabaseSnapshot", {"relationalDatabaseSnapshot": snap(tags=[{"key": "keep", "value": "yes"}])}, get)
    result = run_module(lightsail_database_snapshot.main, {"name": "snap1", "tags": {"keep": "yes"}}, stub, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["tags"] == {} and result["diff"]["after"]["tags"] == {"keep": "yes"}
    stub = Stubbed()
    stub.error("GetRelationalDatabaseSnapshot", params=get)
    result = run_module(lightsail_database_snapshot.main, {"name": "snap1", "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetRelationalDatabaseSnapshot"]
    stub = Stubbed()
    stub.error("GetRelationalDatabaseSnapshot", params=get)
    stub.add("CreateRelationalDatabaseSnapshot", ops("CreateRelationalDatabaseSnapshot", "snap1", status="Failed",
                                                     resource_type="RelationalDatabaseSnapshot", errorCode="InvalidState",
                                                     errorDetails="database is stopped"))
    result = run_module(lightsail_database_snapshot.main, {"name": "snap1", "database_name": NAME}, stub)
    assert result["failed"] is True and "database is stopped" in result["msg"]
