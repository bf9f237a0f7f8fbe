#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_key_pair_info
short_description: List AWS Lightsail key pairs
version_added: 0.1.0
description:
  - Returns the named Lightsail key pairs, or every key pair of the region (never private keys).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  names:
    description: Key pairs to return (missing ones are left out). Omit for all of the region.
    type: list
    elements: str
    aliases: [name]
  include_default:
    description: When listing all key pairs, include the region's default key pair.
    type: bool
    default: false
seealso:
  - module: opsforge.infra.lightsail_key_pair
"""

EXAMPLES = r"""
- name: Key pairs of the region
  opsforge.infra.lightsail_key_pair_info:
    region: eu-west-1
    include_default: true
  register: keys
"""

RETURN = r"""
key_pairs:
  description: The key pairs, in snake_case with C(tags) as a dict.
  returned: always
  type: list
  elements: dict
  sample:
    - name: deploy
      fingerprint: "a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:90"
      tags: {team: ops}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.key_pair import key_pair_info  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(argument_spec=dict(
        names=dict(type="list", elements="str", aliases=["name"]),
        include_default=dict(type="bool", default=False),
    ))
    module.run_info("key_pairs", lambda: key_pair_info(module.lightsail(), module.params.get("names"), module.params["include_default"]))


if __name__ == "__main__":
    main()
