#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_database
short_description: Manage Amazon Lightsail managed databases
version_added: 0.1.0
description:
  - Create a Lightsail managed database (MySQL or PostgreSQL) from a blueprint and bundle, from a snapshot,
    or from a point in time of another database; update its windows, public access, backup retention,
    blueprint (major version) and master password; start, stop, reboot and delete it (with an optional final snapshot).
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the database.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates; V(started) and V(stopped) also start or stop it;
        V(rebooted) also reboots it (always reports a change); V(absent) deletes it.
    type: str
    choices: [present, absent, started, stopped, rebooted]
    default: present
  blueprint_id:
    description:
      - Engine and version, for example V(mysql_8_0) or V(postgres_16). Required to create (unless from a source).
      - A different value on an existing database upgrades its major version.
    type: str
  bundle_id:
    description: Size, for example V(micro_2_0). Required to create. Cannot be changed afterwards.
    type: str
  master_database_name:
    description: Name of the database created inside. Required to create. Cannot be changed.
    type: str
  master_username:
    description: Master user name. Required to create. Cannot be changed.
    type: str
  master_user_password:
    description:
      - Master password. When omitted at creation Lightsail generates one (read it with
        C(aws lightsail get-relational-database-master-user-password)).
    type: str
  update_password:
    description:
      - V(on_create) sets O(master_user_password) only when creating.
      - V(always) compares it with the current password (C(GetRelationalDatabaseMasterUserPassword)) and changes it when it differs.
    type: str
    choices: [always, on_create]
    default: on_create
  availability_zone:
    description: Availability zone, for example V(eu-west-1a). Cannot be changed.
    type: str
  preferred_backup_window:
    description: Daily backup window (UTC), V(hh24:mi-hh24:mi), at least 30 minutes.
    type: str
  preferred_maintenance_window:
    description: Weekly maintenance window (UTC), V(ddd:hh24:mi-ddd:hh24:mi).
    type: str
  publicly_accessible:
    description: Whether the database is reachable from outside Lightsail.
    type: bool
  backup_retention:
    description: Enable or disable automated backups.
    type: bool
  ca_certificate_identifier:
    description: The certificate authority of the database's TLS certificate.
    type: str
  apply_immediately:
    description: Apply updates now rather than in the maintenance window.
    type: bool
    default: true
  source_snapshot_name:
    description: Create the database from this database snapshot.
    type: str
  source_database_name:
    description: Create the database from a point in time of this database (with O(restore_time) or O(use_latest_restorable_time)).
    type: str
  restore_time:
    description: Point in time to restore, ISO 8601 (V(2026-05-01T10:00:00Z)) or relative (V(-2h)).
    type: str
  use_latest_restorable_time:
    description: Restore the latest restorable time of O(source_database_name).
    type: bool
  stop_snapshot_name:
    description: With O(state=stopped), snapshot taken when stopping.
    type: str
  final_snapshot_name:
    description: With O(state=absent), name of a final snapshot taken before deletion. Omitted means no final snapshot.
    type: str
  wait_timeout:
    default: 1800
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - opsforge.infra.lightsail.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  idempotent:
    description: A second run with the same arguments reports no change.
    support: partial
    details: O(state=rebooted) reboots on every run. O(update_password=always) reads the current password to compare.
notes:
  - Creating a database takes several minutes; O(wait_timeout) defaults to 1800 seconds here.
"""

EXAMPLES = r"""
- name: A MySQL database with a fixed password and windows
  opsforge.infra.lightsail_database:
    name: app-db
    blueprint_id: mysql_8_0
    bundle_id: micro_2_0
    master_database_name: app
    master_username: admin
    master_user_password: "{{ vault_db_password }}"
    preferred_backup_window: "03:00-03:30"
    preferred_maintenance_window: "sun:04:00-sun:04:30"
    publicly_accessible: false
    tags:
      app: shop
    region: eu-west-1

- name: A copy of app-db as it was two hours ago
  opsforge.infra.lightsail_database:
    name: app-db-restore
    source_database_name: app-db
    restore_time: "-2h"
    bundle_id: micro_2_0
    region: eu-west-1

- name: Reboot
  opsforge.infra.lightsail_database:
    name: app-db
    state: rebooted
    region: eu-west-1

- name: Delete, keeping a final snapshot
  opsforge.infra.lightsail_database:
    name: app-db
    state: absent
    final_snapshot_name: app-db-final
    region: eu-west-1
"""

RETURN = r"""
database:
  description: The database after the run (empty after O(state=absent)), snake_case keys; never the password.
  returned: always
  type: dict
  sample:
    name: app-db
    state: available
    engine: mysql
    engine_version: "8.0.35"
    relational_database_blueprint_id: mysql_8_0
    relational_database_bundle_id: micro_2_0
    master_endpoint: {address: ls-abc.eu-west-1.rds.amazonaws.com, port: 3306}
    publicly_accessible: false
    backup_retention_enabled: true
    tags: {app: shop}
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: ["create database app-db (mysql_8_0, micro_2_0)"]
diff:
  description: The database before and after (same shape as RV(database)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.database import Database
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        blueprint_id=dict(type="str"),
        bundle_id=dict(type="str"),
        master_database_name=dict(type="str"),
        master_username=dict(type="str"),
        master_user_password=dict(type="str", no_log=True),
        update_password=dict(type="str", choices=["always", "on_create"], default="on_create", no_log=False),
        availability_zone=dict(type="str"),
        preferred_backup_window=dict(type="str"),
        preferred_maintenance_window=dict(type="str"),
        publicly_accessible=dict(type="bool"),
        backup_retention=dict(type="bool"),
        ca_certificate_identifier=dict(type="str"),
        apply_immediately=dict(type="bool", default=True),
        source_snapshot_name=dict(type="str"),
        source_database_name=dict(type="str"),
        restore_time=dict(type="str"),
        use_latest_restorable_time=dict(type="bool"),
        stop_snapshot_name=dict(type="str"),
        final_snapshot_name=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    ), mutually_exclusive=[["source_snapshot_name", "source_database_name"], ["restore_time", "use_latest_restorable_time"]])
    return spec.merge(state_spec("present", "absent", "started", "stopped", "rebooted")).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: Database(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
