#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_cost_estimate_info
short_description: Read AWS Lightsail cost estimates of resources for a time range
version_added: 0.2.0
description:
  - Returns Lightsail's cost estimate (C(GetCostEstimate)) of each named resource between two times, per usage
    type and period, and the total per currency -- for reports next to O(opsforge.infra.lightsail_metric_info#module:chart).
  - Lightsail gives no estimate for a deleted resource.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  resource_names:
    description: Names of the resources (instances, disks, databases, ...).
    type: list
    elements: str
    required: true
  start_time:
    description: Start, ISO 8601 (V(2026-11-01T00:00:00Z)) or relative to now (V(-30d), V(-12h)).
    type: str
    default: "-30d"
  end_time:
    description: End, ISO 8601 or relative (V(now)).
    type: str
    default: now
seealso:
  - module: opsforge.infra.lightsail_metric_info
"""

EXAMPLES = r"""
- name: What did the web servers cost this month?
  opsforge.infra.lightsail_cost_estimate_info:
    region: eu-west-1
    resource_names: [web-1, web-2]
    start_time: "2026-11-01T00:00:00Z"
  register: cost

- name: Report
  ansible.builtin.debug:
    msg: "{{ cost.total }}"
"""

RETURN = r"""
cost_estimates:
  description: One entry per resource (Lightsail's C(resourcesBudgetEstimate)), snake_case.
  returned: always
  type: list
  elements: dict
  sample:
    - resource_name: web-1
      resource_type: Instance
      start_time: "2026-11-01T00:00:00+00:00"
      end_time: "2026-11-02T00:00:00+00:00"
      cost_estimates:
        - usage_type: Instance
          results_by_time:
            - {usage_cost: 0.168, pricing_unit: Hours, unit: 24.0, currency: USD}
total:
  description: The sum of the C(usage_cost) of every period in RV(cost_estimates), per currency.
  returned: always
  type: dict
  sample: {USD: 0.668}
start_time:
  description: The start actually asked for (UTC).
  returned: always
  type: str
end_time:
  description: The end actually asked for (UTC).
  returned: always
  type: str
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.account import cost_estimates  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(spec=ArgumentSpec(dict(
        resource_names=dict(type="list", elements="str", required=True),
        start_time=dict(type="str", default="-30d"),
        end_time=dict(type="str", default="now"),
    )))
    params = module.params
    module.run(lambda: dict(cost_estimates(module.lightsail(), params["resource_names"], params["start_time"], params["end_time"]), changed=False))


if __name__ == "__main__":
    main()
