# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_database, _snapshot, _parameters and _info against a Stubber-checked botocore client."""

from __future__ import annotations

import json

from lightsail_utils import ANY, CREATED, Stubbed, arn, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_database
from ansible_collections.opsforge.infra.plugins.modules import lightsail_database_info
from ansible_collections.opsforge.infra.plugins.modules import lightsail_database_parameters
from ansible_collections.opsforge.infra.plugins.modules import lightsail_database_snapshot

NAME = "app-db"
GET = {"relationalDatabaseName": NAME}
RT = "RelationalDatabase"


def db(**over):
    value = {
        "name": NAME, "arn": arn("RelationalDatabase", NAME), "createdAt": CREATED, "resourceType": RT,
        "location": {"availabilityZone": "us-east-1a", "regionName": "us-east-1"}, "tags": [{"key": "app", "value": "shop"}],
        "relationalDatabaseBlueprintId": "mysql_8_0", "relationalDatabaseBundleId": "micro_2_0", "masterDatabaseName": "app",
        "masterUsername": "admin", "state": "available", "backupRetentionEnabled": True, "engine": "mysql", "engineVersion": "8.0.35",
        "preferredBackupWindow": "03:00-03:30", "preferredMaintenanceWindow": "sun:04:00-sun:04:30", "publiclyAccessible": False,
        "masterEndpoint": {"port": 3306, "address": "ls-x.rds.amazonaws.com"},
    }
    value.update(over)
    return value


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


def snap(**over):
    value = {"name": "snap1", "arn": arn("RelationalDatabaseSnapshot", "snap1"), "createdAt": CREATED, "state": "available",
             "fromRelationalDatabaseName": NAME, "engine": "mysql", "sizeInGb": 40, "tags": []}
    value.update(over)
    return value


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


PARAMS = [
    {"parameterName": "max_connections", "parameterValue": "100", "applyType": "dynamic", "isModifiable": True},
    {"parameterName": "innodb_log_file_size", "parameterValue": "1", "applyType": "static", "isModifiable": True},
    {"parameterName": "basedir", "parameterValue": "/rdsdbbin", "applyType": "static", "isModifiable": False},
]


def test_parameters_update_apply_methods():
    stub = Stubbed()
    stub.add("GetRelationalDatabaseParameters", {"parameters": PARAMS[:1], "nextPageToken": "p2"}, GET)
    stub.add("GetRelationalDatabaseParameters", {"parameters": PARAMS[1:]}, {"relationalDatabaseName": NAME, "pageToken": "p2"})
    stub.add("UpdateRelationalDatabaseParameters", ops("UpdateRelationalDatabaseParameters", NAME, resource_type=RT), {
        "relationalDatabaseName": NAME, "parameters": [
            {"parameterName": "innodb_log_file_size", "parameterValue": "2", "applyMethod": "pending-reboot"},
            {"parameterName": "max_connections", "parameterValue": "200", "applyMethod": "immediate"}]})
    changed = [dict(PARAMS[0], parameterValue="200"), dict(PARAMS[1], parameterValue="2"), PARAMS[2]]
    stub.add("GetRelationalDatabaseParameters", {"parameters": changed}, GET)
    result = run_module(lightsail_database_parameters.main, {"name": NAME, "parameters": {"max_connections": 200, "innodb_log_file_size": 2}},
                        stub, diff=True)
    assert result["changed"] is True and result["reboot_required"] is True
    assert result["static_parameters_changed"] == ["innodb_log_file_size"]
    assert result["diff"]["before"]["max_connections"] == "100" and result["parameters"]["max_connections"] == "200"


def test_parameters_unchanged_check_and_errors():
    stub = Stubbed()
    stub.add("GetRelationalDatabaseParameters", {"parameters": PARAMS}, GET)
    assert run_module(lightsail_database_parameters.main, {"name": NAME, "parameters": {"max_connections": 100}}, stub)["changed"] is False
    assert stub.calls == ["GetRelationalDatabaseParameters"]
    stub = Stubbed()
    stub.add("GetRelationalDatabaseParameters", {"parameters": PARAMS}, GET)
    result = run_module(lightsail_database_parameters.main, {"name": NAME, "parameters": {"max_connections": 5}}, stub, check_mode=True)
    assert result["changed"] is True and result["parameters"]["max_connections"] == "5" and stub.count(writes=True) == 0
    stub = Stubbed()
    stub.add("GetRelationalDatabaseParameters", {"parameters": PARAMS}, GET)
    result = run_module(lightsail_database_parameters.main, {"name": NAME, "parameters": {"basedir": "/x", "nope": 1}}, stub)
    assert result["failed"] is True and "nope" in result["msg"]
    stub = Stubbed()
    stub.add("GetRelationalDatabaseParameters", {"parameters": PARAMS}, GET)
    result = run_module(lightsail_database_parameters.main, {"name": NAME, "parameters": {"basedir": "/x"}}, stub)
    assert result["failed"] is True and "cannot be modified" in result["msg"]
    stub = Stubbed()
    stub.error("GetRelationalDatabaseParameters", params=GET)
    result = run_module(lightsail_database_parameters.main, {"name": NAME, "parameters": {"basedir": "/x"}}, stub)
    assert result["failed"] is True and result["error_code"] == "NotFoundException"


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


def test_parameters_throttled_then_failed_operation():
    stub = Stubbed()
    stub.error("GetRelationalDatabaseParameters", "ThrottlingException")
    stub.add("GetRelationalDatabaseParameters", {"parameters": PARAMS}, GET)
    stub.add("UpdateRelationalDatabaseParameters", ops("UpdateRelationalDatabaseParameters", NAME, status="Started", resource_type=RT))
    stub.add("GetOperation", {"operation": ops("UpdateRelationalDatabaseParameters", NAME, status="Failed", resource_type=RT,
                                               errorCode="InvalidParameterCombination", errorDetails="value out of range")["operations"][0]})
    result = run_module(lightsail_database_parameters.main, {"name": NAME, "parameters": {"max_connections": 999999}}, stub)
    assert result["failed"] is True and "value out of range" in result["msg"]
    assert stub.calls[:2] == ["GetRelationalDatabaseParameters", "GetRelationalDatabaseParameters"]


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


def test_bad_password_rejected_without_echo():
    stub = Stubbed()
    stub.error("GetRelationalDatabase", params=GET)
    result = run_module(lightsail_database.main, dict(BASE, master_user_password="has@sign"), stub)
    assert result["failed"] is True and "master_user_password" in result["msg"] and stub.count(writes=True) == 0
    assert "has@sign" not in json.dumps(result)
