#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_account_info
short_description: Read the AWS Lightsail profile of the account, its VPC peering and the resource names in use
version_added: 0.2.0
description:
  - Returns the account's Lightsail profile (C(GetProfile)), whether the region's Lightsail VPC is peered with the
    default VPC (C(IsVpcPeered)) and the names of every active Lightsail resource of the region (C(GetActiveNames),
    all pages) -- for example to pick a name that is still free.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options: {}
seealso:
  - module: opsforge.infra.lightsail_vpc_peering
"""

EXAMPLES = r"""
- name: Account facts
  opsforge.infra.lightsail_account_info:
    region: eu-west-1
  register: account

- name: Fail early when a name is taken
  ansible.builtin.assert:
    that: "'web-9' not in account.active_names"
"""

RETURN = r"""
profile:
  description: The Lightsail profile of the account, snake_case (C(profile_type), C(partner) for partners).
  returned: always
  type: dict
  sample: {profile_type: Lightsailor}
vpc_peered:
  description: Whether the region's Lightsail VPC is peered with the default VPC.
  returned: always
  type: bool
active_names:
  description: The names of the region's active Lightsail resources, sorted.
  returned: always
  type: list
  elements: str
  sample: [db-1, web-1, web-lb]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.account import account_info  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(spec=ArgumentSpec({}))
    module.run(lambda: dict(account_info(module.lightsail()), changed=False))


if __name__ == "__main__":
    main()
