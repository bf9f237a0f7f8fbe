# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_operation_info: Look up AWS Lightsail operations (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, operation, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_operation_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_operation_info_by_id_resource_and_recent():
    stub = Stubbed().add("GetOperation", {"operation": operation("CreateInstance", "web-1")}, {"operationId": "op-1"})
    result = run_module(lightsail_operation_info.main, {"operation_id": "op-1"}, stub)
    assert result["operations"][0]["operation_type"] == "CreateInstance"
    stub = Stubbed().error("GetOperation", "NotFoundException")
    assert run_module(lightsail_operation_info.main, {"operation_id": "op-x"}, stub)["operations"] == []
    stub = Stubbed()
    stub.add("GetOperationsForResource", {"operations": [operation("StopInstance", "web-1")], "nextPageToken": "t"},
             {"resourceName": "web-1"})
    stub.add("GetOperationsForResource", {"operations": [operation("StartInstance", "web-1", op_id="op-2")]},
             {"resourceName": "web-1", "pageToken": "t"})
    result = run_module(lightsail_operation_info.main, {"resource_name": "web-1"}, stub)
    assert [o["operation_type"] for o in result["operations"]] == ["StopInstance", "StartInstance"]
    stub = Stubbed()
    stub.add("GetOperations", {"operations": [operation("StopInstance", "web-1"), operation("StartInstance", "web-1")],
                               "nextPageToken": "more"}, {})
    result = run_module(lightsail_operation_info.main, {"limit": 1}, stub)
    assert len(result["operations"]) == 1


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetOperation", {"operation": operation("CreateInstance", "web-1")}, {"operationId": "op-1"})
    result = run_read_only(lightsail_operation_info.main, {"operation_id": "op-1"}, queue)
    assert result["operations"][0]["operation_type"] == "CreateInstance"
