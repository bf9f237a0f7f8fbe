#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ram_role
short_description: Manage an Aliyun RAM role, its trust policy and attached policies
version_added: 0.1.0
description:
  - Create, update or delete a RAM role. The trust policy is compared semantically (statement and list order, string
    versus one-item list, action case), so an equivalent document is not a change.
  - Attach and detach system and custom policies.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.aliyun
  - opsforge.infra.aliyun.attributes
attributes:
  diff_mode:
    support: full
    description: Returns the role before and after.
options:
  name:
    description: Role name.
    type: str
    required: true
  state:
    description: V(present) or V(absent). Deleting detaches the role's policies first.
    type: str
    choices: [present, absent]
    default: present
  assume_role_policy:
    description: Trust policy (who may assume the role), as a dict or a JSON string. Required to create the role.
    type: raw
  description:
    description: Description.
    type: str
  max_session_duration:
    description: Longest session in seconds (3600 to 43200).
    type: int
  policies:
    description: Policies attached to the role. Unset leaves attachments alone.
    type: list
    elements: dict
    suboptions:
      name:
        description: Policy name.
        type: str
        required: true
      type:
        description: Policy type.
        type: str
        choices: [System, Custom]
        default: Custom
  purge_policies:
    description: Detach policies not listed in O(policies).
    type: bool
    default: true
requirements:
  - alibabacloud-ram20150501
  - alibabacloud-tea-openapi
seealso:
  - module: opsforge.infra.ram_policy
"""

EXAMPLES = r"""
- name: Role for the image query function
  opsforge.infra.ram_role:
    name: camera-image-query
    assume_role_policy:
      Version: "1"
      Statement:
        - Effect: Allow
          Action: sts:AssumeRole
          Principal:
            Service: [fc.aliyuncs.com]
    policies:
      - name: camera-image-query
        type: Custom
"""

RETURN = r"""
role:
  description: The role after the run (predicted in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Role name.
      type: str
    arn:
      description: Role ARN (null in check mode before creation).
      type: str
      sample: acs:ram::1234567890123456:role/camera-image-query
    role_id:
      description: Role ID.
      type: str
    description:
      description: Description.
      type: str
    max_session_duration:
      description: Max session duration in seconds.
      type: int
    assume_role_policy:
      description: The trust policy (normalized).
      type: dict
    policies:
      description: Attached policies (C(name), C(type)).
      type: list
      elements: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import ram
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import AUTH_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec, state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        assume_role_policy=dict(type="raw"),
        description=dict(type="str"),
        max_session_duration=dict(type="int"),
        policies=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True), type=dict(type="str", default="Custom", choices=["System", "Custom"]))),
        purge_policies=dict(type="bool", default=True),
    ))
    return spec.merge(state_spec("present", "absent")).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(ram.run_ram_role, module)


if __name__ == "__main__":
    main()
