#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: fc_function
short_description: Manage a Function Compute 3.0 function and its HTTP trigger
version_added: 0.1.0
description:
  - Create, update or delete a Function Compute 3.0 function from a local zip package, with its configuration
    (runtime, handler, memory, timeout, role, environment) and optionally an HTTP trigger.
  - The code is uploaded only when the CRC-64 checksum of the zip differs from the deployed code's C(codeChecksum).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.aliyun
  - opsforge.infra.aliyun.fc
attributes:
  check_mode:
    support: full
    description: Predicts the changes (including whether the code would be uploaded) without making them.
  diff_mode:
    support: full
    description: Returns the function before and after.
  idempotent:
    support: full
    description: A second run with the same package and options changes nothing.
options:
  name:
    description: Function name.
    type: str
    required: true
  state:
    description: V(present) or V(absent). Deleting also deletes the HTTP trigger.
    type: str
    choices: [present, absent]
    default: present
  code:
    description: Path of the zip package on the machine that runs the module. Required to create the function.
    type: path
  runtime:
    description: Runtime, for example V(python3.10). Required to create the function.
    type: str
  handler:
    description: Handler, for example V(index.handler).
    type: str
  memory_size:
    description: Memory in MB.
    type: int
  timeout:
    description: Timeout in seconds.
    type: int
  role:
    description: ARN of the RAM role the function runs with (its credentials are injected into the function).
    type: str
  environment:
    description:
      - Environment variables. Together with O(secret_environment) they are all of the function's variables; when both
        are unset the variables are left alone.
    type: dict
  secret_environment:
    description:
      - Environment variables whose values are secrets. Merged into O(environment); their values are hidden (C(no_log))
        in the module's arguments, results and diff.
    type: dict
  description:
    description: Description.
    type: str
  internet_access:
    description: Whether the function may reach the internet.
    type: bool
  http_trigger:
    description: HTTP trigger of the function. Unset leaves triggers alone.
    type: dict
    suboptions:
      name:
        description: Trigger name.
        type: str
        default: http
      auth_type:
        description: V(function) requires an Aliyun signature (callers need C(fc:InvokeFunction)); V(anonymous) does not.
        type: str
        choices: [anonymous, function]
        default: function
      methods:
        description: Allowed HTTP methods.
        type: list
        elements: str
        default: [GET, POST]
      disable_url_internet:
        description: Disable the trigger's public URL (only the intranet URL stays).
        type: bool
        default: true
requirements:
  - alibabacloud-fc20230330
  - alibabacloud-tea-openapi
seealso:
  - module: opsforge.infra.ram_role
"""

EXAMPLES = r"""
- name: Deploy the image query function
  opsforge.infra.fc_function:
    name: camera-image-query
    region: cn-hangzhou
    account_id: "1234567890123456"
    code: .build/fc/image_query.zip
    runtime: python3.10
    handler: index.handler
    memory_size: 256
    timeout: 10
    role: acs:ram::1234567890123456:role/camera-image-query
    environment:
      CAMERA_BUCKET: camera-images-prod
    secret_environment:
      CAMERA_SIGNING_KEY: "{{ vault_camera_signing_key }}"
    http_trigger:
      auth_type: function
      methods: [GET]
"""

RETURN = r"""
code_updated:
  description: Whether the code package was (or in check mode would be) uploaded.
  returned: when O(state=present)
  type: bool
function:
  description: The function after the run (predicted in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Function name.
      type: str
    arn:
      description: Function ARN.
      type: str
    runtime:
      description: Runtime.
      type: str
    handler:
      description: Handler.
      type: str
    memory_size:
      description: Memory in MB.
      type: int
    timeout:
      description: Timeout in seconds.
      type: int
    role:
      description: Role ARN.
      type: str
    environment:
      description: Environment variables; values given in O(secret_environment) are masked.
      type: dict
    description:
      description: Description.
      type: str
    internet_access:
      description: Internet access.
      type: bool
    code_checksum:
      description: CRC-64 of the deployed code.
      type: str
    code_size:
      description: Size of the deployed code in bytes.
      type: int
    state:
      description: Function state reported by FC.
      type: str
    last_modified_time:
      description: Last modification time.
      type: str
    http_trigger:
      description: The HTTP trigger (C(name), C(type), C(auth_type), C(methods), C(disable_url_internet), C(url_internet), C(url_intranet)) or null.
      type: dict
"""

from ansible.module_utils.basic import env_fallback

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import fc
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import AUTH_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec, state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        account_id=dict(type="str", fallback=(env_fallback, ["ALIBABA_CLOUD_ACCOUNT_ID"])),
        endpoint=dict(type="str"),
        code=dict(type="path"),
        runtime=dict(type="str"),
        handler=dict(type="str"),
        memory_size=dict(type="int"),
        timeout=dict(type="int"),
        role=dict(type="str"),
        environment=dict(type="dict"),
        secret_environment=dict(type="dict", no_log=True),
        description=dict(type="str"),
        internet_access=dict(type="bool"),
        http_trigger=dict(type="dict", options=dict(
            name=dict(type="str", default="http"),
            auth_type=dict(type="str", default="function", choices=["anonymous", "function"]),
            methods=dict(type="list", elements="str", default=["GET", "POST"]),
            disable_url_internet=dict(type="bool", default=True),
        )),
    ))
    return spec.merge(state_spec("present", "absent")).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(fc.run_fc_function, module)


if __name__ == "__main__":
    main()
