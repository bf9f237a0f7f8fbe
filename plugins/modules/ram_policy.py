#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ram_policy
short_description: Manage an Aliyun RAM custom policy and the roles it is attached to
version_added: 0.1.0
description:
  - Create a custom policy, publish a new default version when the document changes, attach it to roles, delete it.
  - Documents are compared semantically (statement and list order, string versus one-item list, action case).
  - Old versions are rotated out when the five-version limit is reached.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.aliyun
  - opsforge.infra.aliyun.attributes
attributes:
  diff_mode:
    support: full
    description: Returns the policy before and after.
options:
  name:
    description: Policy name.
    type: str
    required: true
  state:
    description: V(present) or V(absent). Deleting detaches the policy and removes all its versions.
    type: str
    choices: [present, absent]
    default: present
  policy_document:
    description: The policy document, as a dict or a JSON string. Required to create the policy.
    type: raw
  description:
    description: Description, set when the policy is created.
    type: str
  roles:
    description: Names of the roles the policy is attached to. Unset leaves attachments alone.
    type: list
    elements: str
  purge_roles:
    description: Detach the policy from roles not listed in O(roles).
    type: bool
    default: true
requirements:
  - alibabacloud-ram20150501
  - alibabacloud-tea-openapi
seealso:
  - module: opsforge.infra.ram_role
"""

EXAMPLES = r"""
- name: Let the image query function read its tables
  opsforge.infra.ram_policy:
    name: camera-image-query
    policy_document:
      Version: "1"
      Statement:
        - Effect: Allow
          Action: [ots:GetRow, ots:GetRange]
          Resource:
            - acs:ots:cn-hangzhou:1234567890123456:instance/camera/table/images
            - acs:ots:cn-hangzhou:1234567890123456:instance/camera/table/devices
    roles: [camera-image-query]
"""

RETURN = r"""
policy:
  description: The policy after the run (predicted in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Policy name.
      type: str
    type:
      description: Always C(Custom).
      type: str
    description:
      description: Description.
      type: str
    default_version:
      description: Default version ID.
      type: str
      sample: v2
    policy_document:
      description: The default version's document (normalized).
      type: dict
    roles:
      description: Roles the policy is attached to.
      type: list
      elements: str
"""

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import ram
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import AUTH_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec, state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        policy_document=dict(type="raw"),
        description=dict(type="str"),
        roles=dict(type="list", elements="str"),
        purge_roles=dict(type="bool", default=True),
    ))
    return spec.merge(state_spec("present", "absent")).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(ram.run_ram_policy, module)


if __name__ == "__main__":
    main()
