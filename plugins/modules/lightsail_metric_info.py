#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_metric_info
short_description: Read metric data of Amazon Lightsail resources and draw it as a PNG chart
version_added: 0.1.0
description:
  - Returns the data points of one metric of a Lightsail instance, bucket, load balancer, distribution,
    database or container service over a time range (C(Get*MetricData)).
  - With O(chart) it also renders the series to a PNG file (matplotlib, no display needed) for reports.
author:
  - opsforge.infra contributors (@opsforge)
options:
  resource_type:
    description: Kind of resource. Distribution metrics are read in V(us-east-1) whatever O(region) says.
    type: str
    required: true
    choices: [instance, bucket, load_balancer, distribution, database, container_service]
  name:
    description: Name of the resource.
    type: str
    required: true
  metric_name:
    description:
      - The metric, for example V(CPUUtilization) (instance, database, container service), V(NetworkIn),
        V(BucketSizeBytes), V(RequestCount) (load balancer), V(Requests) (distribution), V(MemoryUtilization).
    type: str
    required: true
  period:
    description: Granularity in seconds, a multiple of 60 (buckets report once a day, use V(86400)).
    type: int
    default: 300
  statistics:
    description: Statistics to return.
    type: list
    elements: str
    choices: [Minimum, Maximum, Sum, Average, SampleCount]
    default: [Average]
  unit:
    description:
      - Unit, for example V(Percent), V(Bytes), V(Count), V(Seconds). Required for every resource type but
        V(container_service), whose API takes none.
    type: str
  start_time:
    description: Start, ISO 8601 (V(2026-05-01T00:00:00Z)) or relative to now (V(-3h), V(-2d), V(-30m)).
    type: str
    default: "-1h"
  end_time:
    description: End, ISO 8601, relative, or V(now).
    type: str
    default: now
  chart:
    description:
      - Draw the series (one line per statistic) to a PNG file on the managed node.
      - The x axis is the time in UTC (labelled C(Time (UTC))), the y axis is labelled with O(unit) and starts at 0
        (V(Percent) ends at 100 at most; V(Bytes) reads C(20 MB)), and the title ends with the period of each point
        (C(5-minute period)).
    type: dict
    suboptions:
      path:
        description: PNG file to write (replaced atomically).
        type: path
        required: true
      width:
        description: Width in pixels.
        type: int
        default: 800
      height:
        description: Height in pixels.
        type: int
        default: 400
      title:
        description: Chart title. Default names the resource and metric; the period is appended either way.
        type: str
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
requirements:
  - matplotlib, only when O(chart) is used
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and the predicted result without changing anything.
    support: full
    details: In check mode the data is read but the chart is not written.
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
notes:
  - Writing the chart is not reported as a change; the module only reads from AWS.
"""

EXAMPLES = r"""
- name: CPU of the database over the last day, as a chart for the weekly report
  opsforge.infra.lightsail_metric_info:
    resource_type: database
    name: app-db
    metric_name: CPUUtilization
    unit: Percent
    period: 3600
    statistics: [Average, Maximum]
    start_time: "-1d"
    chart:
      path: /srv/reports/app-db-cpu.png
      width: 1000
      height: 400
    region: eu-west-1
  register: cpu

- name: Requests served by the CDN today
  opsforge.infra.lightsail_metric_info:
    resource_type: distribution
    name: acme-cdn
    metric_name: Requests
    unit: "None"
    statistics: [Sum]
    period: 3600
    start_time: "-24h"
"""

RETURN = r"""
metric_name:
  description: The metric read.
  returned: always
  type: str
  sample: CPUUtilization
datapoints:
  description: Data points, oldest first; one key per requested statistic.
  returned: always
  type: list
  elements: dict
  sample: [{timestamp: "2026-05-01T10:00:00+00:00", average: 12.5, maximum: 40.0, unit: Percent}]
resource_type:
  description: O(resource_type) as given.
  returned: always
  type: str
  sample: database
resource_name:
  description: O(name) as given.
  returned: always
  type: str
  sample: app-db
period:
  description: Granularity in seconds.
  returned: always
  type: int
  sample: 300
statistics:
  description: Statistics requested.
  returned: always
  type: list
  elements: str
  sample: [Average, Maximum]
unit:
  description: Unit requested (V(null) for container services).
  returned: always
  type: str
  sample: Percent
start_time:
  description: Start of the range (UTC, ISO 8601).
  returned: always
  type: str
end_time:
  description: End of the range (UTC, ISO 8601).
  returned: always
  type: str
chart:
  description: Facts about the PNG written.
  returned: when O(chart) is set
  type: dict
  contains:
    path:
      description: The file.
      type: str
    written:
      description: Whether the file was written (false in check mode).
      type: bool
    width:
      description: Width in pixels.
      type: int
    height:
      description: Height in pixels.
      type: int
    size:
      description: File size in bytes.
      type: int
    points:
      description: Number of plotted points.
      type: int
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.metric import METRIC_OPERATIONS
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.metric import STATISTICS
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.metric import metric_info
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def main():
    module = LightsailModule(argument_spec=dict(
        resource_type=dict(type="str", required=True, choices=sorted(METRIC_OPERATIONS)),
        name=dict(type="str", required=True),
        metric_name=dict(type="str", required=True),
        period=dict(type="int", default=300),
        statistics=dict(type="list", elements="str", choices=STATISTICS, default=["Average"]),
        unit=dict(type="str"),
        start_time=dict(type="str", default="-1h"),
        end_time=dict(type="str", default="now"),
        chart=dict(type="dict", options=dict(
            path=dict(type="path", required=True),
            width=dict(type="int", default=800),
            height=dict(type="int", default=400),
            title=dict(type="str"),
        )),
    ))
    module.run_info(None, metric_info, module.lightsail, module.params, check_mode=module.check_mode)


if __name__ == "__main__":
    main()
