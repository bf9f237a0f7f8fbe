#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ots_table
short_description: Manage a Tablestore (OTS) table
version_added: 0.1.0
description:
  - Create a Tablestore table with its primary key, defined columns, TTL and max versions; update its options and
    reserved throughput; delete it.
  - The primary key and the defined columns of an existing table cannot be changed by this module. It fails, before any
    write, naming the difference.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.aliyun
  - opsforge.infra.aliyun.attributes
attributes:
  diff_mode:
    support: full
    description: Returns the table before and after.
options:
  instance:
    description: Tablestore instance name.
    type: str
    required: true
  endpoint:
    description: Instance endpoint. Defaults to C(https://<instance>.<region>.ots.aliyuncs.com).
    type: str
  name:
    description: Table name.
    type: str
    required: true
  state:
    description: V(present) or V(absent).
    type: str
    choices: [present, absent]
    default: present
  primary_key:
    description: Primary key columns in order (1 to 4). Required to create the table.
    type: list
    elements: dict
    suboptions:
      name:
        description: Column name.
        type: str
        required: true
      type:
        description: Column type.
        type: str
        choices: [STRING, INTEGER, BINARY]
        default: STRING
  defined_columns:
    description: Predefined attribute columns (for secondary indexes). Unset leaves them alone.
    type: list
    elements: dict
    suboptions:
      name:
        description: Column name.
        type: str
        required: true
      type:
        description: Column type.
        type: str
        choices: [STRING, INTEGER, DOUBLE, BOOLEAN, BINARY]
        default: STRING
  time_to_live:
    description: Data lifetime in seconds; V(-1) keeps data forever, otherwise at least 86400.
    type: int
    default: -1
  max_versions:
    description: Versions kept per attribute column.
    type: int
    default: 1
  max_time_deviation:
    description: Largest allowed difference in seconds between a written timestamp and the server time.
    type: int
    default: 86400
  reserved_read:
    description: Reserved read capacity units.
    type: int
    default: 0
  reserved_write:
    description: Reserved write capacity units.
    type: int
    default: 0
requirements:
  - tablestore
seealso:
  - module: opsforge.infra.oss_bucket
"""

EXAMPLES = r"""
- name: Images table, rows expire after 30 days
  opsforge.infra.ots_table:
    instance: camera
    region: cn-hangzhou
    name: images
    primary_key:
      - {name: partition_key, type: STRING}
      - {name: row_key, type: STRING}
    defined_columns:
      - {name: created_at, type: INTEGER}
      - {name: has_motion, type: BOOLEAN}
    time_to_live: 2592000
    max_versions: 1
"""

RETURN = r"""
table:
  description: The table after the run (predicted in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Table name.
      type: str
      sample: images
    primary_key:
      description: Primary key columns (C(name), C(type)) in order.
      type: list
      elements: dict
    defined_columns:
      description: Defined columns (C(name), C(type)) sorted by name.
      type: list
      elements: dict
    time_to_live:
      description: TTL in seconds, V(-1) for forever.
      type: int
      sample: 2592000
    max_versions:
      description: Max versions.
      type: int
    max_time_deviation:
      description: Max time deviation in seconds.
      type: int
    reserved_read:
      description: Reserved read CU.
      type: int
    reserved_write:
      description: Reserved write CU.
      type: int
"""

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import ots
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import AUTH_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec, state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule


def argument_spec():
    spec = ArgumentSpec(dict(
        instance=dict(type="str", required=True),
        endpoint=dict(type="str"),
        name=dict(type="str", required=True),
        primary_key=dict(type="list", elements="dict", no_log=False, options=dict(
            name=dict(type="str", required=True), type=dict(type="str", default="STRING", choices=["STRING", "INTEGER", "BINARY"]))),
        defined_columns=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            type=dict(type="str", default="STRING", choices=["STRING", "INTEGER", "DOUBLE", "BOOLEAN", "BINARY"]))),
        time_to_live=dict(type="int", default=-1),
        max_versions=dict(type="int", default=1),
        max_time_deviation=dict(type="int", default=86400),
        reserved_read=dict(type="int", default=0),
        reserved_write=dict(type="int", default=0),
    ))
    return spec.merge(state_spec("present", "absent")).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(ots.run_ots_table, module)


if __name__ == "__main__":
    main()
