# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_database: Manage Amazon Lightsail managed databases (Stubber)."""

from __future__ import annotations

import json

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_database
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.database import GET, NAME, RT, db


BASE = {"name": NAME, "blueprint_id": "mysql_8_0", "bundle_id": "micro_2_0", "master_database_name": "app", "master_username": "admin",
        "master_user_password": "Sup3rSecret!", "preferred_backup_window": "03:00-03:30", "publicly_accessible": False, "tags": {"app": "shop"}}


def test_create_waits_until_available():
    stub = Stubbed()
    stub.error("GetRelationalDatabase", params=GET)
    stub.add("CreateRelationalDatabase", ops("CreateRelationalDatabase", NAME, resource_type=RT), {
        "relationalDatabaseName": NAME, "relationalDatabaseBlueprintId": "mysql_8_0", "relationalDatabaseBundleId": "micro_2_0",
        "masterDatabaseName": "app", "masterUsername": "admin", "masterUserPassword": "Sup3rSecret!",
        "preferredBackupWindow": "03:00-03:30", "publiclyAccessible": False, "tags": [{"key": "app", "value": "shop"}]})
    stub.add("GetRelationalDatabase", {"relationalDatabase": db(state="creating")}, GET)
    stub.add("GetRelationalDatabase", {"relationalDatabase": db(state="backing-up")}, GET)
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    result = run_module(lightsail_database.main, BASE, stub)
    assert result["changed"] is True
    assert result["database"]["state"] == "available"
    assert result["database"]["master_endpoint"] == {"port": 3306, "address": "ls-x.rds.amazonaws.com"}
    assert "Sup3rSecret!" not in json.dumps(result)
    assert len(stub.slept) >= 2


def test_password_is_no_log():
    spec = lightsail_database.argument_spec().argument_spec
    assert spec["master_user_password"]["no_log"] is True


def test_unchanged_is_one_read():
    stub = Stubbed()
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    result = run_module(lightsail_database.main, BASE, stub)
    assert result["changed"] is False and stub.calls == ["GetRelationalDatabase"]


def test_update_password_windows_and_retention():
    stub = Stubbed()
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    stub.add("GetRelationalDatabaseMasterUserPassword", {"masterUserPassword": "old"}, {"relationalDatabaseName": NAME, "passwordVersion": "CURRENT"})
    stub.add("UpdateRelationalDatabase", ops("UpdateRelationalDatabase", NAME, resource_type=RT), {
        "relationalDatabaseName": NAME, "applyImmediately": True, "preferredMaintenanceWindow": "mon:01:00-mon:01:30",
        "publiclyAccessible": True, "disableBackupRetention": True, "masterUserPassword": "Sup3rSecret!"})
    stub.add("GetRelationalDatabase", {"relationalDatabase": db(publiclyAccessible=True, backupRetentionEnabled=False,
                                                                preferredMaintenanceWindow="mon:01:00-mon:01:30",
                                                                pendingModifiedValues={"masterUserPassword": "****"})}, GET)
    params = dict(BASE, update_password="always", publicly_accessible=True, backup_retention=False,
                  preferred_maintenance_window="mon:01:00-mon:01:30")
    result = run_module(lightsail_database.main, params, stub, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["publicly_accessible"] is False and result["diff"]["after"]["publicly_accessible"] is True
    assert "master_user_password" in result["actions"][0]
    assert "****" not in json.dumps(result)


def test_same_password_with_update_always_is_unchanged():
    stub = Stubbed()
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    stub.add("GetRelationalDatabaseMasterUserPassword", {"masterUserPassword": "Sup3rSecret!"})
    result = run_module(lightsail_database.main, dict(BASE, update_password="always"), stub)
    assert result["changed"] is False


def test_immutable_bundle_is_refused_before_writes():
    stub = Stubbed()
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    result = run_module(lightsail_database.main, dict(BASE, bundle_id="small_2_0"), stub)
    assert result["failed"] is True and "bundle_id" in result["msg"] and stub.count(writes=True) == 0


def test_check_mode_and_diff():
    stub = Stubbed()
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    result = run_module(lightsail_database.main, dict(BASE, publicly_accessible=True, state="stopped"), stub, check_mode=True, diff=True)
    assert result["changed"] is True and stub.count(writes=True) == 0
    assert result["database"]["publicly_accessible"] is True and result["database"]["state"] == "stopped"
    assert result["diff"]["before"]["state"] == "available"
    assert result["actions"] == ["update database app-db (publiclyAccessible)", "stop database app-db"]


def test_reboot_and_start():
    stub = Stubbed()
    stub.add("GetRelationalDatabase", {"relationalDatabase": db(state="stopped")}, GET)
    stub.add("StartRelationalDatabase", ops("StartRelationalDatabase", NAME, resource_type=RT), GET)
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    stub.add("RebootRelationalDatabase", ops("RebootRelationalDatabase", NAME, resource_type=RT), GET)
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    result = run_module(lightsail_database.main, {"name": NAME, "state": "rebooted"}, stub)
    assert result["changed"] is True
    assert result["actions"] == ["start database app-db", "reboot database app-db"]


def test_restore_point_in_time():
    stub = Stubbed()
    stub.error("GetRelationalDatabase", params={"relationalDatabaseName": "copy"})
    stub.add("CreateRelationalDatabaseFromSnapshot", ops("CreateRelationalDatabaseFromSnapshot", "copy", resource_type=RT), {
        "relationalDatabaseName": "copy", "sourceRelationalDatabaseName": NAME, "useLatestRestorableTime": True})
    stub.add("GetRelationalDatabase", {"relationalDatabase": db(name="copy")})
    stub.add("GetRelationalDatabase", {"relationalDatabase": db(name="copy")})
    result = run_module(lightsail_database.main, {"name": "copy", "source_database_name": NAME, "use_latest_restorable_time": True}, stub)
    assert result["changed"] is True and result["database"]["name"] == "copy"
    stub = Stubbed()
    stub.error("GetRelationalDatabase")
    result = run_module(lightsail_database.main, {"name": "copy", "source_database_name": NAME}, stub)
    assert result["failed"] is True and "restore_time" in result["msg"]


def test_delete_with_final_snapshot_and_not_found():
    stub = Stubbed()
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    stub.add("DeleteRelationalDatabase", ops("DeleteRelationalDatabase", NAME, resource_type=RT),
             {"relationalDatabaseName": NAME, "skipFinalSnapshot": False, "finalRelationalDatabaseSnapshotName": "final"})
    result = run_module(lightsail_database.main, {"name": NAME, "state": "absent", "final_snapshot_name": "final"}, stub)
    assert result["changed"] is True and result["database"] == {}
    stub = Stubbed()
    stub.error("GetRelationalDatabase", params=GET)
    result = run_module(lightsail_database.main, {"name": NAME, "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetRelationalDatabase"]


def test_throttling_then_success_and_failed_operation():
    stub = Stubbed()
    stub.error("GetRelationalDatabase", "ThrottlingException", "slow down")
    stub.add("GetRelationalDatabase", {"relationalDatabase": db()}, GET)
    stub.add("DeleteRelationalDatabase", ops("DeleteRelationalDatabase", NAME, status="Started", resource_type=RT))
    stub.add("GetOperation", {"operation": ops("DeleteRelationalDatabase", NAME, status="Failed", resource_type=RT,
                                               errorCode="InvalidState", errorDetails="backup in progress")["operations"][0]})
    result = run_module(lightsail_database.main, {"name": NAME, "state": "absent"}, stub)
    assert result["failed"] is True
    assert "DeleteRelationalDatabase" in result["msg"] and "backup in progress" in result["msg"]


def test_bad_password_rejected_without_echo():
    stub = Stubbed()
    stub.error("GetRelationalDatabase", params=GET)
    result = run_module(lightsail_database.main, dict(BASE, master_user_password="has@sign"), stub)
    assert result["failed"] is True and "master_user_password" in result["msg"] and stub.count(writes=True) == 0
    assert "has@sign" not in json.dumps(result)
