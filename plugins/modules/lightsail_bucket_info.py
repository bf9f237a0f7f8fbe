#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_bucket_info
short_description: Describe Amazon Lightsail buckets
version_added: 0.1.0
description:
  - Returns one bucket or all buckets of a region, optionally with their access keys (never the secrets)
    and the bucket bundles on offer.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of one bucket. Omit to list all.
    type: str
  include_access_keys:
    description: Also read each bucket's access keys (IDs, status, last use).
    type: bool
    default: false
  include_bundles:
    description: Also return the bucket bundles (C(GetBucketBundles)).
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
- name: All buckets with their keys
  opsforge.infra.lightsail_bucket_info:
    include_access_keys: true
    region: eu-west-1
  register: buckets
"""

RETURN = r"""
buckets:
  description: The buckets, snake_case keys, tags as a dict. Empty when O(name) does not exist.
  returned: always
  type: list
  elements: dict
  sample: [{name: acme-assets, bundle_id: small_1_0, object_versioning: Enabled, access_keys: []}]
bundles:
  description: Bucket bundles.
  returned: when O(include_bundles=true)
  type: list
  elements: dict
  sample: [{bundle_id: small_1_0, price: 1.0, storage_per_month_in_gb: 5, is_active: true}]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.bucket import bucket_info
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def main():
    module = LightsailModule(argument_spec=dict(
        name=dict(type="str"),
        include_access_keys=dict(type="bool", default=False),
        include_bundles=dict(type="bool", default=False),
    ))
    module.run_info(None, lambda: bucket_info(module.lightsail(), module.params["name"], module.params["include_access_keys"],
                                              module.params["include_bundles"]))


if __name__ == "__main__":
    main()
