#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: fc_function_info
short_description: Describe a Function Compute 3.0 function and its HTTP trigger
version_added: 0.1.0
description:
  - Return the function as M(opsforge.infra.fc_function) returns it (including C(code_checksum)), or an empty dict when it does not exist.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.aliyun
  - opsforge.infra.aliyun.info_attributes
  - opsforge.infra.aliyun.fc
options:
  name:
    description: Function name.
    type: str
    required: true
  trigger_name:
    description: Name of the HTTP trigger to describe.
    type: str
    default: http
requirements:
  - alibabacloud-fc20230330
  - alibabacloud-tea-openapi
seealso:
  - module: opsforge.infra.fc_function
"""

EXAMPLES = r"""
- name: Which code is deployed?
  opsforge.infra.fc_function_info:
    name: camera-image-query
    account_id: "1234567890123456"
  register: fn
"""

RETURN = r"""
exists:
  description: Whether the function exists.
  returned: always
  type: bool
function:
  description: The function (with C(http_trigger)), as M(opsforge.infra.fc_function) returns it; empty when it does not exist.
  returned: always
  type: dict
  sample: {name: camera-image-query, runtime: python3.10, code_checksum: "5712356721350963145"}
"""

from ansible.module_utils.basic import env_fallback

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import fc
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import AUTH_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        trigger_name=dict(type="str", default="http"),
        account_id=dict(type="str", fallback=(env_fallback, ["ALIBABA_CLOUD_ACCOUNT_ID"])),
        endpoint=dict(type="str"),
    ))
    return spec.merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(fc.run_fc_function_info, module)


if __name__ == "__main__":
    main()
