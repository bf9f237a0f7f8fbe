# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_database, lightsail_database_info, lightsail_database_parameters, lightsail_database_snapshot."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn


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


def snap(**over):
    value = {"name": "snap1", "arn": arn("RelationalDatabaseSnapshot", "snap1"), "createdAt": CREATED, "state": "available",
             "fromRelationalDatabaseName": NAME, "engine": "mysql", "sizeInGb": 40, "tags": []}
    value.update(over)
    return value
