#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_distribution_info
short_description: Describe Amazon Lightsail CDN distributions
version_added: 0.1.0
description:
  - Returns one distribution or all, optionally with the status of the latest cache reset and the distribution bundles.
  - Distributions are global; the module always calls the Lightsail API in V(us-east-1).
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of one distribution. Omit to list all.
    type: str
  include_cache_reset:
    description: Add RV(distributions[].latest_cache_reset) (C(GetDistributionLatestCacheReset)).
    type: bool
    default: false
  include_bundles:
    description: Also return the distribution bundles.
    type: bool
    default: false
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Is the last cache reset done?
  opsforge.infra.lightsail_distribution_info:
    name: acme-cdn
    include_cache_reset: true
  register: cdn
"""

RETURN = r"""
distributions:
  description: The distributions, snake_case keys. Empty when O(name) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    latest_cache_reset:
      description: C(status) and C(create_time) of the latest cache reset.
      type: dict
      returned: when O(include_cache_reset=true)
bundles:
  description: Distribution bundles.
  returned: when O(include_bundles=true)
  type: list
  elements: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.distribution import DISTRIBUTION_REGION
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.distribution import distribution_info
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def main():
    module = LightsailModule(argument_spec=dict(
        name=dict(type="str"),
        include_cache_reset=dict(type="bool", default=False),
        include_bundles=dict(type="bool", default=False),
    ))
    p = module.params
    module.run_info(None, lambda: distribution_info(module.lightsail(region=DISTRIBUTION_REGION), p["name"], p["include_cache_reset"],
                                                    p["include_bundles"]))


if __name__ == "__main__":
    main()
