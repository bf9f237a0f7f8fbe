# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_alarm against a Stubber-checked botocore client."""

from __future__ import annotations

from lightsail_utils import CREATED, Stubbed, arn, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_alarm

NAME = "web-1-cpu"
GET = {"alarmName": NAME}
RT = "Alarm"


def alarm(**over):
    value = {"name": NAME, "arn": arn("Alarm", NAME), "createdAt": CREATED, "resourceType": RT, "supportCode": "x",
             "location": {"availabilityZone": "all", "regionName": "us-east-1"},
             "monitoredResourceInfo": {"arn": arn("Instance", "web-1"), "name": "web-1", "resourceType": "Instance"},
             "comparisonOperator": "GreaterThanOrEqualToThreshold", "evaluationPeriods": 3, "period": 300, "threshold": 80.0,
             "datapointsToAlarm": 2, "treatMissingData": "notBreaching", "statistic": "Average", "metricName": "CPUUtilization",
             "state": "OK", "unit": "Percent", "contactProtocols": ["Email", "SMS"], "notificationTriggers": ["ALARM", "OK"],
             "notificationEnabled": True, "tags": []}
    value.update(over)
    return value


BASE = {"name": NAME, "monitored_resource_name": "web-1", "metric_name": "CPUUtilization", "comparison_operator": "GreaterThanOrEqualToThreshold",
        "threshold": 80, "evaluation_periods": 3, "datapoints_to_alarm": 2, "treat_missing_data": "notBreaching",
        "contact_protocols": ["SMS", "Email"], "notification_triggers": ["OK", "ALARM"]}
PUT = {"alarmName": NAME, "monitoredResourceName": "web-1", "metricName": "CPUUtilization", "comparisonOperator": "GreaterThanOrEqualToThreshold",
       "threshold": 80.0, "evaluationPeriods": 3, "datapointsToAlarm": 2, "treatMissingData": "notBreaching",
       "contactProtocols": ["SMS", "Email"], "notificationTriggers": ["OK", "ALARM"]}


def test_create_with_tags_and_test():
    stub = Stubbed()
    stub.add("GetAlarms", {"alarms": []}, GET)
    stub.add("PutAlarm", ops("PutAlarm", NAME, resource_type=RT), dict(PUT, tags=[{"key": "team", "value": "ops"}]))
    stub.add("TestAlarm", ops("TestAlarm", NAME, resource_type=RT), {"alarmName": NAME, "state": "ALARM"})
    stub.add("GetAlarms", {"alarms": [alarm(tags=[{"key": "team", "value": "ops"}])]}, GET)
    result = run_module(lightsail_alarm.main, dict(BASE, tags={"team": "ops"}, test_state="ALARM"), stub)
    assert result["changed"] is True and result["tested_state"] == "ALARM"
    assert result["alarm"]["monitored_resource_info"]["name"] == "web-1" and result["alarm"]["tags"] == {"team": "ops"}


def test_unchanged_is_one_read_even_with_list_order():
    stub = Stubbed()
    stub.add("GetAlarms", {"alarms": [alarm()]}, GET)
    result = run_module(lightsail_alarm.main, BASE, stub)
    assert result["changed"] is False and stub.calls == ["GetAlarms"]


def test_update_keeps_unspecified_values():
    stub = Stubbed()
    stub.add("GetAlarms", {"alarms": [alarm()]}, GET)
    stub.add("PutAlarm", ops("PutAlarm", NAME, resource_type=RT), {
        "alarmName": NAME, "monitoredResourceName": "web-1", "metricName": "CPUUtilization", "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "threshold": 90.0, "evaluationPeriods": 3, "datapointsToAlarm": 2, "treatMissingData": "notBreaching",
        "contactProtocols": ["Email", "SMS"], "notificationTriggers": ["ALARM", "OK"], "notificationEnabled": True})
    stub.add("GetAlarms", {"alarms": [alarm(threshold=90.0)]}, GET)
    result = run_module(lightsail_alarm.main, {"name": NAME, "threshold": 90}, stub, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["threshold"] == 80.0 and result["diff"]["after"]["threshold"] == 90.0


def test_check_mode_no_writes():
    stub = Stubbed()
    stub.add("GetAlarms", {"alarms": [alarm()]}, GET)
    result = run_module(lightsail_alarm.main, {"name": NAME, "threshold": 50, "test_state": "OK"}, stub, check_mode=True, diff=True)
    assert result["changed"] is True and stub.count(writes=True) == 0
    assert result["alarm"]["threshold"] == 50.0 and "tested_state" not in result


def test_delete_not_found_throttle_and_failure():
    stub = Stubbed()
    stub.error("GetAlarms", "ThrottlingException")
    stub.add("GetAlarms", {"alarms": [alarm()]}, GET)
    stub.add("DeleteAlarm", ops("DeleteAlarm", NAME, resource_type=RT), GET)
    assert run_module(lightsail_alarm.main, {"name": NAME, "state": "absent"}, stub)["changed"] is True
    stub = Stubbed()
    stub.error("GetAlarms", params=GET)
    result = run_module(lightsail_alarm.main, {"name": NAME, "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetAlarms"]
    stub = Stubbed()
    stub.error("GetAlarms", params=GET)
    stub.add("PutAlarm", ops("PutAlarm", NAME, status="Failed", resource_type=RT, errorCode="InvalidResource", errorDetails="no such instance"))
    result = run_module(lightsail_alarm.main, BASE, stub)
    assert result["failed"] is True and "no such instance" in result["msg"]


def test_bad_input():
    stub = Stubbed()
    stub.add("GetAlarms", {"alarms": []}, GET)
    result = run_module(lightsail_alarm.main, {"name": NAME, "threshold": 1}, stub)
    assert result["failed"] is True and "monitored_resource_name" in result["msg"]
    stub = Stubbed()
    stub.add("GetAlarms", {"alarms": [alarm()]}, GET)
    result = run_module(lightsail_alarm.main, {"name": NAME, "datapoints_to_alarm": 5}, stub)
    assert result["failed"] is True and "cannot exceed" in result["msg"] and stub.count(writes=True) == 0
