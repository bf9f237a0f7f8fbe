# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_database_parameters: Set parameters of an Amazon Lightsail managed database (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_database_parameters
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.database import GET, NAME, RT


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
