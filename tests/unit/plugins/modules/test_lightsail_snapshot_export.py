# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_snapshot_export: Export an AWS Lightsail snapshot to Amazon EC2 and create an EC2 instance from it (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, operation, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_snapshot_export
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.export import export_record, stack_record


def xop(op_type, status="Succeeded"):
    return {"operations": [operation(op_type, "web-1-nightly", status=status, resource_type="ExportSnapshotRecord")]}


EC2 = {"instance_type": "t3.micro", "availability_zone": "us-east-1a"}


CFN_REQUEST = {"instances": [{"sourceName": "ExportSnapshotRecord-1a2b", "instanceType": "t3.micro", "portInfoSource": "INSTANCE",
                              "availabilityZone": "us-east-1a"}]}


def test_export_then_unchanged():
    stub = Stubbed().add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record(source="other", state="Failed")]}, {})
    stub.add("ExportSnapshot", xop("ExportSnapshot"), {"sourceSnapshotName": "web-1-nightly"})
    stub.add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record(state="Started")]}, {})
    result = run_module(lightsail_snapshot_export.main, {"snapshot_name": "web-1-nightly"}, stub)
    assert result["changed"] is True and result["actions"] == ["export snapshot web-1-nightly to Amazon EC2"]
    assert result["export_snapshot_record"]["name"] == "ExportSnapshotRecord-1a2b"

    stub = Stubbed().add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record()]}, {})
    result = run_module(lightsail_snapshot_export.main, {"snapshot_name": "web-1-nightly"}, stub)
    assert result["changed"] is False and stub.calls == ["GetExportSnapshotRecords"]
    assert result["export_snapshot_record"]["destination_info"]["id"] == "ami-0123456789abcdef0"


def test_export_waits_for_the_record_then_creates_the_ec2_instance_once():
    stub = Stubbed().add("GetExportSnapshotRecords", {"exportSnapshotRecords": []}, {})
    stub.add("ExportSnapshot", xop("ExportSnapshot", status="Started"), {"sourceSnapshotName": "web-1-nightly"})
    stub.add("GetOperation", {"operation": operation("ExportSnapshot", "web-1-nightly", resource_type="ExportSnapshotRecord")})
    stub.add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record(state="Started")]}, {})
    stub.add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record()], "nextPageToken": "p2"}, {})
    stub.add("GetExportSnapshotRecords", {"exportSnapshotRecords": []}, {"pageToken": "p2"})
    stub.add("CreateCloudFormationStack",
             {"operations": [operation("CreateCloudFormationStack", "Lightsail-Stack-9f8e", resource_type="CloudFormationStackRecord")]},
             CFN_REQUEST)
    stub.add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record()]}, {})
    stub.add("GetCloudFormationStackRecords", {"cloudFormationStackRecords": [stack_record()]}, {})
    result = run_module(lightsail_snapshot_export.main, {"snapshot_name": "web-1-nightly", "ec2_instance": EC2}, stub)
    assert result["changed"] is True
    assert result["actions"] == ["export snapshot web-1-nightly to Amazon EC2",
                                 "create EC2 instance t3.micro in us-east-1a from the export of web-1-nightly (CloudFormation)"]
    assert result["cloud_formation_stack_record"]["destination_info"]["service"] == "Aws::CloudFormation::Stack"

    stub = Stubbed().add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record()]}, {})
    stub.add("GetCloudFormationStackRecords", {"cloudFormationStackRecords": [stack_record()]}, {})
    result = run_module(lightsail_snapshot_export.main, {"snapshot_name": "web-1-nightly", "ec2_instance": EC2}, stub)
    assert result["changed"] is False and stub.count(writes=True) == 0


def test_failed_stack_is_created_again_and_failed_export_is_a_clear_error():
    stub = Stubbed().add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record()]}, {})
    stub.add("GetCloudFormationStackRecords", {"cloudFormationStackRecords": [stack_record(state="Failed")]}, {})
    result = run_module(lightsail_snapshot_export.main, {"snapshot_name": "web-1-nightly", "ec2_instance": EC2}, stub, check_mode=True)
    assert result["changed"] is True and stub.count(writes=True) == 0

    stub = Stubbed().add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record(state="Started")]}, {})
    stub.add("GetCloudFormationStackRecords", {"cloudFormationStackRecords": []}, {})
    stub.add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record(state="Failed")]}, {})
    result = run_module(lightsail_snapshot_export.main, {"snapshot_name": "web-1-nightly", "ec2_instance": EC2}, stub)
    assert result["failed"] is True and "export of snapshot web-1-nightly failed" in result["msg"]
    assert stub.count("CreateCloudFormationStack") == 0


def test_check_mode_predicts_the_export_without_writing():
    stub = Stubbed().add("GetExportSnapshotRecords", {"exportSnapshotRecords": []}, {})
    result = run_module(lightsail_snapshot_export.main, {"snapshot_name": "web-1-nightly", "ec2_instance": EC2}, stub, check_mode=True)
    assert result["changed"] is True and len(result["actions"]) == 2 and stub.calls == ["GetExportSnapshotRecords"]
    assert result["export_snapshot_record"]["source_info"]["name"] == "web-1-nightly"
