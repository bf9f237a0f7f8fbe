#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lightsail_instance_snapshot
short_description: Manage AWS Lightsail instance snapshots
version_added: 0.1.0
description:
  - Create a snapshot of a Lightsail instance, copy a snapshot from another AWS Region into the task's region,
    manage its tags, and delete it.
  - Copies go into the task's O(region) from O(source_region); Lightsail copies manual snapshots and
    automatic snapshots (by O(restore_date) or the latest one).
  - To keep only the newest snapshots of a resource use M(opsforge.infra.lightsail_snapshot_rotation).
    The automatic-snapshot add-on and its time of day are options of M(opsforge.infra.lightsail_instance)
    and M(opsforge.infra.lightsail_disk).
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the snapshot (in the task's region).
    type: str
    required: true
  state:
    description: V(present) creates (or copies) the snapshot when missing; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  instance_name:
    description:
      - Instance to snapshot (with its attached disks). Required to create a snapshot unless it is copied
        with O(source_region).
      - When the snapshot exists and was taken of another instance the module fails, because a snapshot is never retaken.
    type: str
  source_region:
    description:
      - Copy the snapshot from this region into the task's region instead of taking a new one.
    type: str
  source_snapshot_name:
    description: Name of the manual snapshot to copy from O(source_region).
    type: str
  source_resource_name:
    description:
      - Copy an automatic snapshot of this resource (instance or disk) in O(source_region).
      - Needs O(restore_date) or O(use_latest_restorable_auto_snapshot).
    type: str
  restore_date:
    description: Date (V(YYYY-MM-DD)) of the automatic snapshot to copy.
    type: str
  use_latest_restorable_auto_snapshot:
    description: Copy the latest automatic snapshot of O(source_resource_name).
    type: bool
    default: false
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - opsforge.infra.lightsail.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
    details: An unchanged run reads the snapshot once and writes nothing. Only tags change on an existing snapshot.
"""

EXAMPLES = r"""
- name: Snapshot an instance
  opsforge.infra.lightsail_instance_snapshot:
    name: web-1-2026-01-01
    instance_name: web-1
    tags:
      rotation: daily

- name: Copy it to another region (disaster recovery)
  opsforge.infra.lightsail_instance_snapshot:
    region: eu-central-1
    name: web-1-2026-01-01-dr
    source_region: eu-west-1
    source_snapshot_name: web-1-2026-01-01

- name: Copy the latest automatic snapshot of web-1 to another region
  opsforge.infra.lightsail_instance_snapshot:
    region: eu-central-1
    name: web-1-auto-dr
    source_region: eu-west-1
    source_resource_name: web-1
    use_latest_restorable_auto_snapshot: true

- name: Delete a snapshot
  opsforge.infra.lightsail_instance_snapshot:
    name: web-1-2026-01-01
    state: absent
"""

RETURN = r"""
snapshot:
  description:
    - The snapshot after the run (predicted in check mode), with snake_case keys; empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the snapshot.
      type: str
      sample: web-1-2026-01-01
    arn:
      description: ARN of the snapshot.
      type: str
    state:
      description: State; V(available) when done, V(pending) while Lightsail copies the data.
      type: str
      sample: available
    created_at:
      description: Creation time (ISO 8601).
      type: str
      sample: "2026-01-01T03:00:00+00:00"
    size_in_gb:
      description: Size in GB.
      type: int
      sample: 32
    from_instance_name:
      description: Instance the snapshot was taken of.
      type: str
      sample: web-1
    from_attached_disks:
      description: Disks attached to the instance at snapshot time.
      type: list
      elements: dict
    from_blueprint_id:
      description: Blueprint of the instance.
      type: str
      sample: debian_12
    from_bundle_id:
      description: Bundle of the instance.
      type: str
      sample: small_3_0
    is_from_auto_snapshot:
      description: Whether it was copied from an automatic snapshot.
      type: bool
    location:
      description: C(availability_zone) and C(region_name).
      type: dict
    tags:
      description: Tags as a dictionary.
      type: dict
      sample: {rotation: daily}
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create instance snapshot web-1-2026-01-01 of web-1"]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.snapshot import INSTANCE  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.snapshot import Snapshot  # noqa: E402


def argument_spec():
    return ArgumentSpec(
        dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            instance_name=dict(type="str"),
            source_region=dict(type="str"),
            source_snapshot_name=dict(type="str"),
            source_resource_name=dict(type="str"),
            restore_date=dict(type="str"),
            use_latest_restorable_auto_snapshot=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("instance_name", "source_region")],
        required_by={"source_snapshot_name": "source_region", "source_resource_name": "source_region"},
    ).merge(WAIT_SPEC).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: Snapshot(module.lightsail(), module.params, INSTANCE).run())


if __name__ == "__main__":
    main()
