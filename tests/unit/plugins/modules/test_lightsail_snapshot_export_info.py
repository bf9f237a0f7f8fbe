# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_snapshot_export_info: List AWS Lightsail snapshot exports to EC2 and the CloudFormation stacks built from them (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_snapshot_export_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.export import export_record, stack_record
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_info_lists_both_record_kinds_filtered_by_snapshot():
    stub = Stubbed()
    stub.add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record(), export_record(name="ExportSnapshotRecord-x", source="db")]}, {})
    stub.add("GetCloudFormationStackRecords", {"cloudFormationStackRecords": [stack_record(), stack_record(source="ExportSnapshotRecord-x")]}, {})
    result = run_module(lightsail_snapshot_export_info.main, {"snapshot_name": "web-1-nightly"}, stub)
    assert [r["name"] for r in result["export_snapshot_records"]] == ["ExportSnapshotRecord-1a2b"]
    assert len(result["cloud_formation_stack_records"]) == 1


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetExportSnapshotRecords", {"exportSnapshotRecords": [export_record()]}, {})
        stub.add("GetCloudFormationStackRecords", {"cloudFormationStackRecords": [stack_record()]}, {})
    result = run_read_only(lightsail_snapshot_export_info.main, {"snapshot_name": "web-1-nightly"}, queue)
    assert [r["name"] for r in result["export_snapshot_records"]] == ["ExportSnapshotRecord-1a2b"]
