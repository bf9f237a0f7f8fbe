#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lightsail_snapshot_rotation
short_description: Keep the newest N manual snapshots of AWS Lightsail instances or disks
version_added: 0.1.0
description:
  - For each instance or disk in O(resource_names), keep the newest O(keep) manual snapshots
    (optionally only those whose name starts with O(name_prefix)) and delete the older ones.
  - Snapshots still being taken (state V(pending)) are never deleted; they count as kept.
  - Automatic snapshots are not touched (Lightsail keeps the last 7). Their time of day is the
    automatic-snapshot add-on of M(opsforge.infra.lightsail_instance) and M(opsforge.infra.lightsail_disk).
  - In check mode nothing is deleted; RV(deleted) and RV(actions) list what would go.
author:
  - opsforge.infra contributors (@opsforge)
options:
  resource_type:
    description: Rotate instance snapshots or disk snapshots.
    type: str
    choices: [instance, disk]
    default: instance
  resource_names:
    description:
      - Instances (O(resource_type=instance)) or disks (O(resource_type=disk)) whose snapshots are rotated.
      - Disk snapshots of an instance's system disk are not matched by disk names.
    type: list
    elements: str
    required: true
  keep:
    description: How many of the newest manual snapshots to keep per resource. V(0) deletes them all.
    type: int
    required: true
  name_prefix:
    description:
      - Only rotate snapshots whose name starts with this prefix, so snapshots taken by hand with
        other names are never deleted.
    type: str
    default: ""
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) as C(diff.before) and C(diff.after).
    support: full
    details: The diff shows the snapshot names per resource before and after.
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
    details: A second run with the same options deletes nothing; it reads the snapshot list once (all pages).
"""

EXAMPLES = r"""
- name: Take today's snapshot
  opsforge.infra.lightsail_instance_snapshot:
    name: "web-1-daily-{{ now(utc=true, fmt='%Y%m%d') }}"
    instance_name: web-1

- name: Keep the 7 newest daily snapshots of web-1 (snapshots with other names stay)
  opsforge.infra.lightsail_snapshot_rotation:
    resource_type: instance
    resource_names: [web-1]
    name_prefix: web-1-daily-
    keep: 7

- name: Keep the 3 newest snapshots of two instances
  opsforge.infra.lightsail_snapshot_rotation:
    resource_names: [web-1, web-2]
    keep: 3

- name: Show which disk snapshots would go (check mode)
  opsforge.infra.lightsail_snapshot_rotation:
    resource_type: disk
    resource_names: [data-1]
    keep: 3
  check_mode: true
  register: rotation

- name: Print them
  ansible.builtin.debug:
    var: rotation.deleted
"""

RETURN = r"""
deleted:
  description: Names of the snapshots deleted (in check mode, that would be deleted).
  returned: always
  type: list
  elements: str
  sample: [web-1-daily-20260101, web-1-daily-20260102]
deleted_snapshots:
  description: The deleted snapshots as they were, with snake_case keys.
  returned: always
  type: list
  elements: dict
kept:
  description: Per resource, the names of the snapshots kept (newest first, pending ones at the end).
  returned: always
  type: dict
  sample: {web-1: [web-1-daily-20260109, web-1-daily-20260108]}
skipped_pending:
  description: Snapshots older than the kept ones but still pending, so not deleted.
  returned: always
  type: list
  elements: str
  sample: []
actions:
  description: One line per deleted snapshot, with its resource and creation time.
  returned: always
  type: list
  elements: str
  sample: ["delete instance snapshot web-1-daily-20260101 (of web-1, created 2026-01-01T03:00:00+00:00)"]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.snapshot import rotate_snapshots  # noqa: E402


def argument_spec():
    return ArgumentSpec(
        dict(
            resource_type=dict(type="str", default="instance", choices=["instance", "disk"]),
            resource_names=dict(type="list", elements="str", required=True),
            keep=dict(type="int", required=True),
            name_prefix=dict(type="str", default=""),
        )
    ).merge(WAIT_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: rotate_snapshots(module.lightsail(), module.params))


if __name__ == "__main__":
    main()
