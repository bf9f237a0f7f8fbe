#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: oss_bucket_info
short_description: Describe an Aliyun OSS bucket
version_added: 0.1.0
description:
  - Return the settings that M(opsforge.infra.oss_bucket) manages, in the same shape, or an empty dict when the bucket does not exist.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.aliyun
  - opsforge.infra.aliyun.info_attributes
  - opsforge.infra.aliyun.oss
options:
  name:
    description: Bucket name.
    type: str
    required: true
requirements:
  - oss2
seealso:
  - module: opsforge.infra.oss_bucket
"""

EXAMPLES = r"""
- name: Is versioning on?
  opsforge.infra.oss_bucket_info:
    name: camera-images-prod
  register: bucket

- name: Show it
  ansible.builtin.debug:
    msg: "{{ bucket.bucket.versioning }}"
"""

RETURN = r"""
exists:
  description: Whether the bucket exists.
  returned: always
  type: bool
bucket:
  description: The bucket, as M(opsforge.infra.oss_bucket) returns it; empty when it does not exist.
  returned: always
  type: dict
  sample: {name: camera-images-prod, acl: private, block_public_access: true, versioning: enabled}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import oss
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import AUTH_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule


def argument_spec():
    return ArgumentSpec(dict(name=dict(type="str", required=True), endpoint=dict(type="str"))).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(oss.run_oss_bucket_info, module)


if __name__ == "__main__":
    main()
