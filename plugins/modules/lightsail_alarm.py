#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_alarm
short_description: Manage Amazon Lightsail metric alarms
version_added: 0.1.0
description:
  - Create, update (C(PutAlarm)), test (C(TestAlarm)) and delete an alarm on a metric of a Lightsail instance,
    database, load balancer, disk, distribution, bucket or container service.
  - Notifications go to the region's contact methods (M(opsforge.infra.lightsail_contact_method)).
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the alarm.
    type: str
    required: true
  state:
    description: Whether the alarm should exist.
    type: str
    choices: [present, absent]
    default: present
  monitored_resource_name:
    description: The resource whose metric is watched. Required to create.
    type: str
  metric_name:
    description: Metric, for example V(CPUUtilization), V(DatabaseConnections), V(HealthyHostCount). Required to create.
    type: str
  comparison_operator:
    description: How the statistic is compared with O(threshold). Required to create.
    type: str
    choices: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
  threshold:
    description: The value to compare with. Required to create.
    type: float
  evaluation_periods:
    description: Number of most recent periods (5 minutes each) evaluated. Required to create.
    type: int
  datapoints_to_alarm:
    description: Number of breaching periods among O(evaluation_periods) that trigger the alarm.
    type: int
  treat_missing_data:
    description: How missing data points are treated.
    type: str
    choices: [breaching, notBreaching, ignore, missing]
  contact_protocols:
    description: Protocols notified.
    type: list
    elements: str
    choices: [Email, SMS]
  notification_triggers:
    description: Alarm states that notify.
    type: list
    elements: str
    choices: [OK, ALARM, INSUFFICIENT_DATA]
  notification_enabled:
    description: Whether notifications are sent.
    type: bool
  test_state:
    description: After creating or updating, test the alarm by setting this state (C(TestAlarm)); reports a change every time.
    type: str
    choices: [OK, ALARM, INSUFFICIENT_DATA]
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
    details: O(test_state) tests the alarm on every run.
"""

EXAMPLES = r"""
- name: Page when the web server's CPU stays high
  opsforge.infra.lightsail_alarm:
    name: web-1-cpu
    monitored_resource_name: web-1
    metric_name: CPUUtilization
    comparison_operator: GreaterThanOrEqualToThreshold
    threshold: 80
    evaluation_periods: 3
    datapoints_to_alarm: 2
    treat_missing_data: notBreaching
    contact_protocols: [Email, SMS]
    notification_triggers: [ALARM, OK]
    region: eu-west-1

- name: Check that the notification arrives
  opsforge.infra.lightsail_alarm:
    name: web-1-cpu
    test_state: ALARM
    region: eu-west-1
"""

RETURN = r"""
alarm:
  description: The alarm after the run (empty after O(state=absent)).
  returned: always
  type: dict
  sample:
    name: web-1-cpu
    metric_name: CPUUtilization
    monitored_resource_info: {name: web-1, resource_type: Instance}
    comparison_operator: GreaterThanOrEqualToThreshold
    threshold: 80.0
    evaluation_periods: 3
    datapoints_to_alarm: 2
    state: OK
    contact_protocols: [Email, SMS]
tested_state:
  description: The state the alarm was tested with.
  returned: when O(test_state) was applied
  type: str
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
diff:
  description: The alarm before and after (same shape as RV(alarm)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.alarm import Alarm
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule

STATES = ["OK", "ALARM", "INSUFFICIENT_DATA"]


def argument_spec():
    return ArgumentSpec(dict(
        name=dict(type="str", required=True),
        monitored_resource_name=dict(type="str"),
        metric_name=dict(type="str"),
        comparison_operator=dict(type="str", choices=["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
                                                      "LessThanOrEqualToThreshold"]),
        threshold=dict(type="float"),
        evaluation_periods=dict(type="int"),
        datapoints_to_alarm=dict(type="int"),
        treat_missing_data=dict(type="str", choices=["breaching", "notBreaching", "ignore", "missing"]),
        contact_protocols=dict(type="list", elements="str", choices=["Email", "SMS"]),
        notification_triggers=dict(type="list", elements="str", choices=STATES),
        notification_enabled=dict(type="bool"),
        test_state=dict(type="str", choices=STATES),
    )).merge(state_spec("present", "absent")).merge(WAIT_SPEC).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: Alarm(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
