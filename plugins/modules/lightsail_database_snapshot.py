#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_database_snapshot
short_description: Manage snapshots of Amazon Lightsail managed databases
version_added: 0.1.0
description:
  - Create, tag and delete a manual snapshot of a Lightsail database.
  - To create a database from a snapshot use M(opsforge.infra.lightsail_database) with O(opsforge.infra.lightsail_database#module:source_snapshot_name).
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the snapshot.
    type: str
    required: true
  database_name:
    description: The database to snapshot. Required to create.
    type: str
  state:
    description: Whether the snapshot should exist.
    type: str
    choices: [present, absent]
    default: present
  wait_timeout:
    default: 1800
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - opsforge.infra.lightsail.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Snapshot before a migration
  opsforge.infra.lightsail_database_snapshot:
    name: app-db-before-migration
    database_name: app-db
    region: eu-west-1

- name: Remove it
  opsforge.infra.lightsail_database_snapshot:
    name: app-db-before-migration
    state: absent
    region: eu-west-1
"""

RETURN = r"""
snapshot:
  description: The snapshot after the run (empty after O(state=absent)).
  returned: always
  type: dict
  sample: {name: app-db-before-migration, state: available, from_relational_database_name: app-db, size_in_gb: 40, engine: mysql}
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
diff:
  description: The snapshot before and after (same shape as RV(snapshot)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.database import DatabaseSnapshot
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def main():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        database_name=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )).merge(state_spec("present", "absent")).merge(TAGS_SPEC)
    module = LightsailModule(spec=spec)
    module.run(lambda: DatabaseSnapshot(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
