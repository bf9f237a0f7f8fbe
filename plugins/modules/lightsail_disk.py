#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lightsail_disk
short_description: Manage AWS Lightsail block storage disks
version_added: 0.1.0
description:
  - Create a Lightsail block storage disk (empty or from a disk snapshot), attach it to an instance
    at a device path, detach it, manage its automatic-snapshot add-on and its tags, and delete it.
  - Lightsail cannot move a disk to another Availability Zone or resize it. When O(zone) or
    O(size_gb) differ from the existing disk the module fails before changing anything; create a
    snapshot with M(opsforge.infra.lightsail_disk_snapshot) and a new disk from it with O(snapshot_name).
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the disk.
    type: str
    required: true
  state:
    description:
      - V(present) creates the disk when missing; when O(instance_name) is set it is also attached,
        otherwise its attachment is left as it is.
      - V(attached) is V(present) and requires O(instance_name) and O(disk_path). A disk attached to
        another instance or at another path is detached first.
      - V(detached) is V(present) and detaches the disk when it is attached.
      - V(absent) detaches the disk when it is attached and deletes it.
      - Lightsail detaches a disk only from a stopped instance (stop it first with
        M(opsforge.infra.lightsail_instance)); unmount its file systems before.
    type: str
    choices: [present, attached, detached, absent]
    default: present
  zone:
    description:
      - Availability Zone of the disk, for example V(us-east-1a). Required to create a disk.
      - Must be the zone of the instance the disk is attached to.
    type: str
  size_gb:
    description: Size in GB. Required to create a disk; cannot change afterwards.
    type: int
  snapshot_name:
    description:
      - Create the disk from this disk snapshot. O(size_gb) must be at least the snapshot's size.
      - Only used when the disk is created.
    type: str
  instance_name:
    description: Instance to attach the disk to.
    type: str
  disk_path:
    description: Device path of the disk on the instance, for example V(/dev/xvdf).
    type: str
  auto_mount:
    description:
      - Let Lightsail format and mount the disk on the instance when attaching it (Linux instances only).
      - Default is Lightsail's.
    type: bool
  auto_snapshot:
    description:
      - Enable (V(true)) or disable (V(false)) the automatic-snapshot add-on of the disk.
      - Omitted leaves the add-on as it is.
    type: bool
  auto_snapshot_time:
    description:
      - Hour of the day (UTC) of the daily automatic snapshot, as V(HH:00).
      - Implies O(auto_snapshot=true) when O(auto_snapshot) is omitted.
    type: str
  force_delete_add_ons:
    description: Delete the disk even when add-ons are enabled on it (V(state=absent)).
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
    details: An unchanged run reads the disk once (GetDisk) and writes nothing.
"""

EXAMPLES = r"""
- name: Create a 32 GB disk with daily automatic snapshots at 06:00 UTC
  opsforge.infra.lightsail_disk:
    name: data-1
    zone: eu-west-1a
    size_gb: 32
    auto_snapshot_time: "06:00"
    tags:
      env: prod

- name: Attach it to an instance at /dev/xvdf and let Lightsail mount it
  opsforge.infra.lightsail_disk:
    name: data-1
    state: attached
    instance_name: web-1
    disk_path: /dev/xvdf
    auto_mount: true

- name: Stop the instance (unmount the disk on it first)
  opsforge.infra.lightsail_instance:
    name: web-1
    state: stopped

- name: Detach the disk
  opsforge.infra.lightsail_disk:
    name: data-1
    state: detached

- name: Restore a larger disk from a snapshot
  opsforge.infra.lightsail_disk:
    name: data-2
    zone: eu-west-1a
    size_gb: 64
    snapshot_name: data-1-2026-01-01

- name: Delete the disk
  opsforge.infra.lightsail_disk:
    name: data-1
    state: absent
"""

RETURN = r"""
disk:
  description:
    - The disk after the run (predicted in check mode), with snake_case keys; empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the disk.
      type: str
      sample: data-1
    arn:
      description: ARN of the disk.
      type: str
      sample: arn:aws:lightsail:eu-west-1:123456789012:Disk/0b1c...
    size_in_gb:
      description: Size in GB.
      type: int
      sample: 32
    state:
      description: V(available), V(in-use), V(pending), V(error).
      type: str
      sample: in-use
    is_attached:
      description: Whether the disk is attached to an instance.
      type: bool
      sample: true
    attached_to:
      description: Name of the instance the disk is attached to.
      type: str
      sample: web-1
    path:
      description: Device path on the instance.
      type: str
      sample: /dev/xvdf
    location:
      description: C(availability_zone) and C(region_name).
      type: dict
      sample: {availability_zone: eu-west-1a, region_name: eu-west-1}
    add_ons:
      description: Add-ons, for example the automatic snapshot add-on with C(snapshot_time_of_day).
      type: list
      elements: dict
      sample: [{name: AutoSnapshot, status: Enabled, snapshot_time_of_day: "06:00"}]
    tags:
      description: Tags as a dictionary.
      type: dict
      sample: {env: prod}
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create disk data-1 (32 GB) in eu-west-1a", "attach disk data-1 to web-1 at /dev/xvdf"]
diff:
  description: The disk before and after (same shape as RV(disk)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.disk import Disk  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def argument_spec():
    return ArgumentSpec(
        dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "attached", "detached", "absent"]),
            zone=dict(type="str"),
            size_gb=dict(type="int"),
            snapshot_name=dict(type="str"),
            instance_name=dict(type="str"),
            disk_path=dict(type="str"),
            auto_mount=dict(type="bool"),
            auto_snapshot=dict(type="bool"),
            auto_snapshot_time=dict(type="str"),
            force_delete_add_ons=dict(type="bool", default=False),
        ),
        required_if=[("state", "attached", ["instance_name", "disk_path"])],
    ).merge(WAIT_SPEC).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: Disk(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
