#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_vpc_peering
short_description: Peer the AWS Lightsail VPC of a region with the account's default VPC
version_added: 0.2.0
description:
  - Peers (or unpeers) the Lightsail VPC of the region with the default Amazon VPC of the account, so Lightsail
    instances reach EC2 instances, RDS databases and other resources of the default VPC by private address.
  - One C(IsVpcPeered) read when nothing changes; C(PeerVpc) or C(UnpeerVpc) otherwise.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  state:
    description: V(present) peers the VPCs; V(absent) removes the peering.
    type: str
    default: present
    choices: [present, absent]
notes:
  - The account needs a default VPC in the region; without one the peering operation fails and the task reports
    Lightsail's error code and details.
seealso:
  - module: opsforge.infra.lightsail_account_info
"""

EXAMPLES = r"""
- name: Let Lightsail instances in eu-west-1 reach the RDS database in the default VPC
  opsforge.infra.lightsail_vpc_peering:
    region: eu-west-1

- name: Remove the peering
  opsforge.infra.lightsail_vpc_peering:
    region: eu-west-1
    state: absent
"""

RETURN = r"""
vpc_peering:
  description: Whether the region's Lightsail VPC is peered after the run (predicted in check mode).
  returned: always
  type: dict
  contains:
    peered:
      description: V(true) when peered with the default VPC.
      type: bool
      sample: true
    region:
      description: The region.
      type: str
      sample: eu-west-1
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: ["peer the Lightsail VPC of eu-west-1 with the default VPC"]
diff:
  description: RV(vpc_peering) before and after.
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.account import vpc_peering  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    spec = ArgumentSpec(dict(state=dict(type="str", default="present", choices=["present", "absent"]))).merge(WAIT_SPEC)
    module = LightsailModule(spec=spec)
    module.run(lambda: vpc_peering(module.lightsail(), module.params["state"], module.params["wait"], module.params["wait_timeout"]))


if __name__ == "__main__":
    main()
