# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail managed databases, their parameters, snapshots, logs and events."""

from __future__ import annotations

import datetime

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import snake_dict
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import immutable_error
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.logs import log_window
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.logs import read_log_events
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.metric import parse_time
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes

DB_FAILED_STATES = ("failed", "incompatible-parameters", "incompatible-restore", "storage-full", "inaccessible-encryption-credentials")

# module option -> (API field in RelationalDatabase, UpdateRelationalDatabase parameter)
UPDATABLE = (
    ("preferred_backup_window", "preferredBackupWindow", "preferredBackupWindow"),
    ("preferred_maintenance_window", "preferredMaintenanceWindow", "preferredMaintenanceWindow"),
    ("publicly_accessible", "publiclyAccessible", "publiclyAccessible"),
    ("ca_certificate_identifier", "caCertificateIdentifier", "caCertificateIdentifier"),
    ("blueprint_id", "relationalDatabaseBlueprintId", "relationalDatabaseBlueprintId"),
)
IMMUTABLE = (
    ("bundle_id", "relationalDatabaseBundleId"),
    ("master_database_name", "masterDatabaseName"),
    ("master_username", "masterUsername"),
    ("availability_zone", None),
)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def normalize_database(raw):
    """The user-facing database dict (no password, even a masked pending one)."""
    if raw is None:
        return {}
    raw = dict(raw)
    pending = dict(raw.get("pendingModifiedValues") or {})
    if "masterUserPassword" in pending:
        pending["masterUserPassword"] = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
        raw["pendingModifiedValues"] = pending
    return normalize_resource(raw)


def _tag_action(client, kind, name, current_raw, params):
    current_tags = normalize_resource({"tags": current_raw.get("tags") or []})["tags"]
    to_set, to_remove = tag_changes(current_tags, params.get("tags"), params.get("purge_tags", True))
    if not (to_set or to_remove):
        return []
    return [Action("update tags of %s %s" % (kind, name),
                   lambda: ensure_tags(client, name, current_tags, params.get("tags"), params.get("purge_tags", True)))]


class Database(LightsailResource):
    result_key = "database"

    def __init__(self, client, params):
        super().__init__(client, params)
        self.name = params["name"]
        self._password_differs = None

    def describe(self):
        response = self.client.call("GetRelationalDatabase", not_found_ok=True, relationalDatabaseName=self.name)
        return (response or {}).get("relationalDatabase")

    def normalize(self, raw):
        return normalize_database(raw)

    @property
    def from_source(self):
        return bool(self.params.get("source_snapshot_name") or self.params.get("source_database_name"))

    # -- checks ------------------------------------------------------------------------------
    def validate(self, current):
        p = self.params
        password = p.get("master_user_password")
        if password is not None and self.state != "absent":
            bad = sorted({c for c in password if c in '/"@ ' or not 32 < ord(c) < 127})
            if len(password) < 8 or bad:
                # never echo the password itself
                raise invalid("master_user_password must be at least 8 printable ASCII characters without spaces, '/', "
                              "'\"' or '@' (Lightsail's rule)")
        if p.get("restore_time") and p.get("use_latest_restorable_time"):
            raise invalid("restore_time and use_latest_restorable_time are mutually exclusive")
        if (p.get("restore_time") or p.get("use_latest_restorable_time")) and not p.get("source_database_name"):
            raise invalid("restore_time/use_latest_restorable_time need source_database_name (point-in-time restore)")
        if p.get("source_database_name") and not (p.get("restore_time") or p.get("use_latest_restorable_time")):
            raise invalid("source_database_name needs restore_time or use_latest_restorable_time=true")
        if p.get("restore_time"):
            self._restore_time = parse_time(p["restore_time"], _now())
        if self.state == "absent" or current is not None:
            if current is not None and self.state != "absent":
                for option, field in IMMUTABLE:
                    wanted = p.get(option)
                    have = (current.get("location") or {}).get("availabilityZone") if option == "availability_zone" else current.get(field)
                    if wanted is not None and have is not None and wanted != have:
                        raise immutable_error("database", self.name, option, have, wanted,
                                              hint="create a snapshot and a new database from it")
            return
        if not self.from_source:
            missing = [o for o in ("blueprint_id", "bundle_id", "master_database_name", "master_username") if not p.get(o)]
            if missing:
                raise invalid("database %s does not exist: %s required to create it" % (self.name, ", ".join(missing)))
        if self.state == "stopped" and not self.wait:
            raise invalid("state=stopped on a database that does not exist yet needs wait=true (it must be available to stop)")

    # -- plan --------------------------------------------------------------------------------
    def plan_create(self):
        p = self.params
        tags = dict_to_tags(p["tags"]) if p.get("tags") else None
        if self.from_source:
            params = dict(relationalDatabaseName=self.name)
            if p.get("source_snapshot_name"):
                params["relationalDatabaseSnapshotName"] = p["source_snapshot_name"]
                what = "snapshot %s" % p["source_snapshot_name"]
            else:
                params["sourceRelationalDatabaseName"] = p["source_database_name"]
                if p.get("use_latest_restorable_time"):
                    params["useLatestRestorableTime"] = True
                    what = "latest restorable time of %s" % p["source_database_name"]
                else:
                    params["restoreTime"] = self._restore_time
                    what = "%s at %s" % (p["source_database_name"], self._restore_time.isoformat())
            for option, key in (("bundle_id", "relationalDatabaseBundleId"), ("availability_zone", "availabilityZone"),
                                ("publicly_accessible", "publiclyAccessible")):
                if p.get(option) is not None:
                    params[key] = p[option]
            if tags:
                params["tags"] = tags
            actions = [Action("create database %s from %s" % (self.name, what),
                              lambda: self.client.call("CreateRelationalDatabaseFromSnapshot", **params), then=self._wait_available)]
        else:
            params = dict(relationalDatabaseName=self.name, relationalDatabaseBlueprintId=p["blueprint_id"],
                          relationalDatabaseBundleId=p["bundle_id"], masterDatabaseName=p["master_database_name"],
                          masterUsername=p["master_username"])
            for option, key in (("master_user_password", "masterUserPassword"), ("availability_zone", "availabilityZone"),
                                ("preferred_backup_window", "preferredBackupWindow"),
                                ("preferred_maintenance_window", "preferredMaintenanceWindow"),
                                ("publicly_accessible", "publiclyAccessible")):
                if p.get(option) is not None:
                    params[key] = p[option]
            if tags:
                params["tags"] = tags
            actions = [Action("create database %s (%s, %s)" % (self.name, p["blueprint_id"], p["bundle_id"]),
                              lambda: self.client.call("CreateRelationalDatabase", **params), then=self._wait_available)]
        if self.state == "stopped":
            actions.append(self._stop_action())
        return actions

    def _wait_available(self):
        if self.wait:
            self.client.wait_for(self.describe, lambda db: db.get("state") == "available", timeout=self.wait_timeout,
                                 what="database %s to be available" % self.name, failed_fn=_db_failed)

    def _password_changes(self, current):
        p = self.params
        if not p.get("master_user_password") or p.get("update_password") != "always":
            return False
        if self._password_differs is None:
            response = self.client.call("GetRelationalDatabaseMasterUserPassword", relationalDatabaseName=self.name,
                                        passwordVersion="CURRENT")
            self._password_differs = response.get("masterUserPassword") != p["master_user_password"]
        return self._password_differs

    def update_params(self, current):
        p = self.params
        update = {}
        for option, field, key in UPDATABLE:
            if p.get(option) is not None and p[option] != current.get(field):
                update[key] = p[option]
        retention = p.get("backup_retention")
        if retention is not None and retention != current.get("backupRetentionEnabled"):
            update["enableBackupRetention" if retention else "disableBackupRetention"] = True
        if self._password_changes(current):
            update["masterUserPassword"] = p["master_user_password"]
        return update

    def plan_update(self, current):
        actions = []
        state = current.get("state")
        if self.state in ("present", "started", "rebooted") and state == "stopped" and self.state != "present":
            actions.append(Action("start database %s" % self.name,
                                  lambda: self.client.call("StartRelationalDatabase", relationalDatabaseName=self.name),
                                  then=self._wait_available))
        update = self.update_params(current)
        if update:
            apply_now = self.params.get("apply_immediately", True)
            described = sorted("master_user_password" if k == "masterUserPassword" else k for k in update)
            actions.append(Action("update database %s (%s)" % (self.name, ", ".join(described)),
                                  lambda: self.client.call("UpdateRelationalDatabase", relationalDatabaseName=self.name,
                                                           applyImmediately=apply_now, **update)))
        actions.extend(_tag_action(self.client, "database", self.name, current, self.params))
        if self.state == "rebooted":
            actions.append(Action("reboot database %s" % self.name,
                                  lambda: self.client.call("RebootRelationalDatabase", relationalDatabaseName=self.name),
                                  then=self._wait_available))
        if self.state == "stopped" and state != "stopped":
            actions.append(self._stop_action())
        return actions

    def _stop_action(self):
        snapshot = self.params.get("stop_snapshot_name")
        extra = {"relationalDatabaseSnapshotName": snapshot} if snapshot else {}

        def then():
            if self.wait:
                self.client.wait_for(self.describe, lambda db: db.get("state") == "stopped", timeout=self.wait_timeout,
                                     what="database %s to stop" % self.name, failed_fn=_db_failed)
        return Action("stop database %s" % self.name,
                      lambda: self.client.call("StopRelationalDatabase", relationalDatabaseName=self.name, **extra), then=then)

    def plan_delete(self, current):
        final = self.params.get("final_snapshot_name")
        params = dict(relationalDatabaseName=self.name, skipFinalSnapshot=not final)
        if final:
            params["finalRelationalDatabaseSnapshotName"] = final
        text = "delete database %s (%s)" % (self.name, "final snapshot %s" % final if final else "no final snapshot")
        return [Action(text, lambda: self.client.call("DeleteRelationalDatabase", **params))]

    # -- results -----------------------------------------------------------------------------
    def predict(self, current):
        if self.state == "absent":
            return {}
        p = self.params
        if current is None:
            after = {"name": self.name, "state": "creating", "tags": dict(p.get("tags") or {})}
            for option, key in (("blueprint_id", "relational_database_blueprint_id"), ("bundle_id", "relational_database_bundle_id"),
                                ("master_database_name", "master_database_name"), ("master_username", "master_username")):
                if p.get(option) is not None:
                    after[key] = p[option]
        else:
            after = self.normalize(current)
            after["tags"] = predict_tags(after.get("tags") or {}, p.get("tags"), p.get("purge_tags", True))
        for option, field, _key in UPDATABLE:
            if p.get(option) is not None:
                after[next(iter(snake_dict({field: 1})))] = p[option]
        if p.get("backup_retention") is not None:
            after["backup_retention_enabled"] = p["backup_retention"]
        if self.state == "stopped":
            after["state"] = "stopped"
        elif self.state in ("started", "rebooted") and current is not None:
            after["state"] = "available"
        return after


def _db_failed(db):
    state = db.get("state")
    return "database is in state %s" % state if state in DB_FAILED_STATES else None


class DatabaseSnapshot(LightsailResource):
    result_key = "snapshot"

    def __init__(self, client, params):
        super().__init__(client, params)
        self.name = params["name"]

    def describe(self):
        response = self.client.call("GetRelationalDatabaseSnapshot", not_found_ok=True, relationalDatabaseSnapshotName=self.name)
        return (response or {}).get("relationalDatabaseSnapshot")

    def validate(self, current):
        if self.state == "present" and current is None and not self.params.get("database_name"):
            raise invalid("snapshot %s does not exist: database_name is required to create it" % self.name)
        if self.state == "present" and current is not None and self.params.get("database_name") and \
                current.get("fromRelationalDatabaseName") != self.params["database_name"]:
            raise immutable_error("database snapshot", self.name, "database_name", current.get("fromRelationalDatabaseName"),
                                  self.params["database_name"], hint="use another snapshot name")

    def plan_create(self):
        params = dict(relationalDatabaseName=self.params["database_name"], relationalDatabaseSnapshotName=self.name)
        if self.params.get("tags"):
            params["tags"] = dict_to_tags(self.params["tags"])
        return [Action("create snapshot %s of database %s" % (self.name, self.params["database_name"]),
                       lambda: self.client.call("CreateRelationalDatabaseSnapshot", **params))]

    def plan_update(self, current):
        return _tag_action(self.client, "database snapshot", self.name, current, self.params)

    def plan_delete(self, current):
        return [Action("delete database snapshot %s" % self.name,
                       lambda: self.client.call("DeleteRelationalDatabaseSnapshot", relationalDatabaseSnapshotName=self.name))]

    @staticmethod
    def ready(raw):
        return raw.get("state") == "available"

    @staticmethod
    def failed(raw):
        return "snapshot is in state %s" % raw["state"] if raw.get("state") in ("failed", "error") else None

    def what(self):
        return "database snapshot %s" % self.name

    def predict(self, current):
        if self.state == "absent":
            return {}
        if current is None:
            return {"name": self.name, "from_relational_database_name": self.params["database_name"], "state": "creating",
                    "tags": dict(self.params.get("tags") or {})}
        after = self.normalize(current)
        after["tags"] = predict_tags(after.get("tags") or {}, self.params.get("tags"), self.params.get("purge_tags", True))
        return after


class DatabaseParameters(LightsailResource):
    """Desired values for some parameters of a database; others are left alone."""

    result_key = "parameters"

    def __init__(self, client, params):
        super().__init__(client, params)
        self.name = params["name"]
        self.desired = {k: _param_value(v) for k, v in (params.get("parameters") or {}).items()}

    def describe(self):
        return self.client.paginate("GetRelationalDatabaseParameters", "parameters", relationalDatabaseName=self.name)

    def normalize(self, raw):
        return {p["parameterName"]: p.get("parameterValue") for p in raw or []}

    def _changes(self, current):
        by_name = {p["parameterName"]: p for p in current or []}
        return [by_name[name] for name, value in sorted(self.desired.items()) if by_name[name].get("parameterValue") != value]

    def validate(self, current):
        by_name = {p["parameterName"]: p for p in current or []}
        unknown = sorted(set(self.desired) - set(by_name))
        if unknown:
            raise invalid("database %s has no parameter(s) %s" % (self.name, ", ".join(unknown)))
        fixed = [p["parameterName"] for p in self._changes(current) if p.get("isModifiable") is False]
        if fixed:
            raise invalid("parameter(s) %s of database %s cannot be modified" % (", ".join(fixed), self.name))

    def plan(self, current):
        changes = self._changes(current)
        if not changes:
            return []
        apply_method = self.params.get("apply_method")
        update = []
        for param in changes:
            method = apply_method or ("immediate" if (param.get("applyType") or "").lower() == "dynamic" else "pending-reboot")
            update.append({"parameterName": param["parameterName"], "parameterValue": self.desired[param["parameterName"]],
                           "applyMethod": method})
        text = "set %s on database %s" % (", ".join("%s=%s" % (u["parameterName"], u["parameterValue"]) for u in update), self.name)
        return [Action(text, lambda: self.client.call("UpdateRelationalDatabaseParameters", relationalDatabaseName=self.name,
                                                      parameters=update))]

    def predict(self, current):
        after = self.normalize(current)
        after.update(self.desired)
        return after

    def extra_result(self, current, after):
        changes = self._changes(current)
        static = [p["parameterName"] for p in changes if (p.get("applyType") or "").lower() == "static"]
        return {"reboot_required": bool(static) and self.params.get("apply_method") != "immediate", "static_parameters_changed": static}


def _param_value(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def database_info(client, name=None, log_streams=False, log_events=None, events_minutes=None, snapshots=False, catalog=False):
    """Databases (one or all) with optional log streams, log events and events; snapshots, blueprints and bundles too."""
    if name:
        response = client.call("GetRelationalDatabase", not_found_ok=True, relationalDatabaseName=name)
        raw = [response["relationalDatabase"]] if response else []
    else:
        raw = client.paginate("GetRelationalDatabases", "relationalDatabases")
    databases = []
    for item in raw:
        database = normalize_database(item)
        db_name = item["name"]
        if log_streams:
            database["log_streams"] = client.call("GetRelationalDatabaseLogStreams", relationalDatabaseName=db_name).get("logStreams") or []
        if events_minutes:
            events = client.paginate("GetRelationalDatabaseEvents", "relationalDatabaseEvents", relationalDatabaseName=db_name,
                                     durationInMinutes=events_minutes)
            database["events"] = normalize_resource({"e": events})["e"]
        if log_events and log_events.get("stream"):
            database["log_events"] = _log_events(client, db_name, log_events)
        databases.append(database)
    result = {"databases": databases}
    if snapshots:
        result["snapshots"] = [normalize_resource(s) for s in client.paginate("GetRelationalDatabaseSnapshots", "relationalDatabaseSnapshots")]
    if catalog:
        blueprints = client.paginate("GetRelationalDatabaseBlueprints", "blueprints")
        bundles = client.paginate("GetRelationalDatabaseBundles", "bundles", includeInactive=False)
        result["blueprints"] = normalize_resource({"b": blueprints})["b"]
        result["bundles"] = normalize_resource({"b": bundles})["b"]
    return result


def _log_events(client, name, spec):
    """At most ``max_events`` events of one log stream of database ``name``, newest first unless ``start_from_head``."""
    head = bool(spec.get("start_from_head"))
    params = dict(relationalDatabaseName=name, logStreamName=spec["stream"], startFromHead=head,
                  **log_window(spec.get("start_time"), spec.get("end_time"), _now()))
    return read_log_events(client, "GetRelationalDatabaseLogEvents", params, "resourceLogEvents",
                           "nextForwardToken" if head else "nextBackwardToken", spec.get("max_events") or 1000, endless_tokens=True)
