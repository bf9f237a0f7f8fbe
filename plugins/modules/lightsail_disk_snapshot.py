#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lightsail_disk_snapshot
short_description: Manage AWS Lightsail disk snapshots
version_added: 0.1.0
description:
  - Create a snapshot of a Lightsail block storage disk or of the system disk of an instance, copy a snapshot from another AWS Region into the task's region,
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
  disk_name:
    description:
      - Disk to snapshot. Required to create a snapshot unless O(instance_name) or O(source_region) is set.
      - When the snapshot exists and was taken of another disk the module fails, because a snapshot is never retaken.
    type: str
  instance_name:
    description:
      - Snapshot the system (boot) disk of this instance instead of a block storage disk.
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
- name: Snapshot a block storage disk
  opsforge.infra.lightsail_disk_snapshot:
    name: data-1-2026-01-01
    disk_name: data-1
    tags:
      rotation: daily

- name: Snapshot the system disk of an instance
  opsforge.infra.lightsail_disk_snapshot:
    name: web-1-root-2026-01-01
    instance_name: web-1

- name: Copy it to another region (disaster recovery)
  opsforge.infra.lightsail_disk_snapshot:
    region: eu-central-1
    name: data-1-2026-01-01-dr
    source_region: eu-west-1
    source_snapshot_name: data-1-2026-01-01

- name: Copy the latest automatic snapshot of data-1 to another region
  opsforge.infra.lightsail_disk_snapshot:
    region: eu-central-1
    name: data-1-auto-dr
    source_region: eu-west-1
    source_resource_name: data-1
    use_latest_restorable_auto_snapshot: true

- name: Delete a snapshot
  opsforge.infra.lightsail_disk_snapshot:
    name: data-1-2026-01-01
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
      sample: data-1-2026-01-01
    arn:
      description: ARN of the snapshot.
      type: str
    state:
      description: State; V(completed) when done, V(pending) while Lightsail copies the data.
      type: str
      sample: completed
    created_at:
      description: Creation time (ISO 8601).
      type: str
      sample: "2026-01-01T03:00:00+00:00"
    size_in_gb:
      description: Size in GB.
      type: int
      sample: 32
    from_disk_name:
      description: Disk the snapshot was taken of.
      type: str
      sample: data-1
    from_instance_name:
      description: Instance whose system disk the snapshot was taken of.
      type: str
    progress:
      description: Progress of a pending snapshot.
      type: str
      sample: 100%
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
  sample: ["create disk snapshot data-1-2026-01-01 of data-1"]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.snapshot import DISK  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.snapshot import Snapshot  # noqa: E402


def argument_spec():
    return ArgumentSpec(
        dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            disk_name=dict(type="str"),
            instance_name=dict(type="str"),
            source_region=dict(type="str"),
            source_snapshot_name=dict(type="str"),
            source_resource_name=dict(type="str"),
            restore_date=dict(type="str"),
            use_latest_restorable_auto_snapshot=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("disk_name", "instance_name"), ("disk_name", "source_region"), ("instance_name", "source_region")],
        required_by={"source_snapshot_name": "source_region", "source_resource_name": "source_region"},
    ).merge(WAIT_SPEC).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: Snapshot(module.lightsail(), module.params, DISK).run())


if __name__ == "__main__":
    main()
