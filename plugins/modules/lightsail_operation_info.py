#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_operation_info
short_description: Look up AWS Lightsail operations
version_added: 0.1.0
description:
  - Returns one operation by id, the operations of one resource, or the most recent operations of the region.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  operation_id:
    description: Id of one operation. An unknown id returns an empty list.
    type: str
  resource_name:
    description: Operations of this resource (instance, disk, static IP...).
    type: str
  limit:
    description: At most this many operations (pages are fetched until reached); V(0) for all.
    type: int
    default: 50
seealso:
  - module: opsforge.infra.lightsail_instance
"""

EXAMPLES = r"""
- name: What happened to web-1 lately
  opsforge.infra.lightsail_operation_info:
    region: eu-west-1
    resource_name: web-1
    limit: 10
  register: history

- name: Failed ones
  ansible.builtin.debug:
    msg: "{{ history.operations | selectattr('status', 'equalto', 'Failed') | list }}"
"""

RETURN = r"""
operations:
  description: Operations, in snake_case.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 5d3a1f0e-0000-4a4a-9b9b-1234567890ab
      operation_type: CreateInstance
      resource_name: web-1
      resource_type: Instance
      status: Succeeded
      created_at: "2026-01-02T03:04:05+00:00"
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.catalog import operation_info  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(
        argument_spec=dict(operation_id=dict(type="str"), resource_name=dict(type="str"), limit=dict(type="int", default=50)),
        mutually_exclusive=[["operation_id", "resource_name"]],
    )
    p = module.params
    module.run_info("operations", lambda: operation_info(module.lightsail(), p.get("operation_id"), p.get("resource_name"), p["limit"]))


if __name__ == "__main__":
    main()
