# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_disk_snapshot, lightsail_instance_snapshot, lightsail_snapshot_rotation."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import arn


def isnap(name="web-1-snap", instance="web-1", state="available", tags=None, created=CREATED, region="us-east-1"):
    return {"name": name, "arn": arn("InstanceSnapshot", name, region), "createdAt": created, "resourceType": "InstanceSnapshot",
            "location": {"availabilityZone": "all", "regionName": region}, "state": state, "fromInstanceName": instance,
            "fromBlueprintId": "debian_12", "fromBundleId": "small_3_0", "isFromAutoSnapshot": False, "sizeInGb": 40,
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}


def dsnap(name="data-1-snap", disk="data-1", state="completed", tags=None, created=CREATED):
    return {"name": name, "arn": arn("DiskSnapshot", name), "createdAt": created, "resourceType": "DiskSnapshot",
            "location": {"availabilityZone": "us-east-1a", "regionName": "us-east-1"}, "state": state, "fromDiskName": disk,
            "sizeInGb": 32, "isFromAutoSnapshot": False, "progress": "100%",
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}
