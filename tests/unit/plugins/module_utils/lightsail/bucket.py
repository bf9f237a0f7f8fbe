# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_bucket, lightsail_bucket_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn


NAME = "acme-assets"


def bucket(**over):
    value = {
        "resourceType": "Bucket", "arn": arn("Bucket", NAME), "bundleId": "small_1_0", "createdAt": CREATED,
        "url": "https://%s.s3.us-east-1.amazonaws.com/" % NAME, "name": NAME, "supportCode": "x",
        "location": {"availabilityZone": "all", "regionName": "us-east-1"},
        "tags": [{"key": "env", "value": "prod"}], "objectVersioning": "Enabled", "ableToUpdateBundle": True,
        "accessRules": {"getObject": "private", "allowPublicOverrides": False},
        "readonlyAccessAccounts": [], "resourcesReceivingAccess": [], "state": {"code": "OK"},
    }
    value.update(over)
    return value


GET = {"bucketName": NAME, "includeConnectedResources": True}
