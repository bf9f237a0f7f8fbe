# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_snapshot_export, lightsail_snapshot_export_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn


LOCATION = {"availabilityZone": "all", "regionName": "us-east-1"}


def export_record(state="Succeeded", name="ExportSnapshotRecord-1a2b", source="web-1-nightly"):
    return {"name": name, "arn": arn("ExportSnapshotRecord", name), "createdAt": CREATED, "location": LOCATION,
            "resourceType": "ExportSnapshotRecord", "state": state,
            "sourceInfo": {"resourceType": "InstanceSnapshot", "createdAt": CREATED, "name": source, "arn": arn("InstanceSnapshot", source),
                           "fromResourceName": "web-1", "fromResourceArn": arn("Instance", "web-1"),
                           "instanceSnapshotInfo": {"fromBundleId": "nano_3_0", "fromBlueprintId": "debian_12"}},
            "destinationInfo": {"id": "ami-0123456789abcdef0", "service": "Aws::EC2::Image"}}


def stack_record(source="ExportSnapshotRecord-1a2b", state="Succeeded"):
    return {"name": "CloudFormationStackRecord-9f8e", "arn": arn("CloudFormationStackRecord", "9f8e"), "createdAt": CREATED,
            "location": LOCATION, "resourceType": "CloudFormationStackRecord", "state": state,
            "sourceInfo": [{"resourceType": "ExportSnapshotRecord", "name": source, "arn": arn("ExportSnapshotRecord", source)}],
            "destinationInfo": {"id": "arn:aws:cloudformation:us-east-1:123456789012:stack/Lightsail-Stack-9f8e/1", "service": "Aws::CloudFormation::Stack"}}
