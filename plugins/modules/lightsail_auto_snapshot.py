#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_auto_snapshot
short_description: Delete automatic snapshots of an AWS Lightsail instance or disk
version_added: 0.2.0
description:
  - Lists the automatic snapshots of an instance or disk (C(GetAutoSnapshots)) and deletes the ones of the given
    dates and/or all but the newest O(keep_last) (C(DeleteAutoSnapshot)).
  - Turn automatic snapshots on and off with the C(auto_snapshot) add-on of
    M(opsforge.infra.lightsail_instance) or M(opsforge.infra.lightsail_disk).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  resource_name:
    description: The instance or disk.
    type: str
    required: true
  delete_dates:
    description: Dates (V(YYYY-MM-DD)) of automatic snapshots to delete; dates without a snapshot are ignored.
    type: list
    elements: str
  keep_last:
    description: Delete every automatic snapshot but the newest O(keep_last).
    type: int
seealso:
  - module: opsforge.infra.lightsail_snapshot_rotation
"""

EXAMPLES = r"""
- name: Keep only the last two automatic snapshots of web-1
  opsforge.infra.lightsail_auto_snapshot:
    resource_name: web-1
    keep_last: 2

- name: Drop the snapshot taken during the incident
  opsforge.infra.lightsail_auto_snapshot:
    resource_name: web-1
    delete_dates: ["2026-11-03"]
"""

RETURN = r"""
auto_snapshots:
  description: The automatic snapshots left after the run (predicted in check mode), oldest first, snake_case.
  returned: always
  type: list
  elements: dict
  sample:
    - {date: "2026-11-04", created_at: "2026-11-04T03:00:00+00:00", status: Success, from_attached_disks: []}
deleted:
  description: Dates deleted (or that would be in check mode).
  returned: always
  type: list
  elements: str
  sample: ["2026-11-01"]
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
diff:
  description: The snapshot dates before and after.
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.account import auto_snapshots  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def argument_spec():
    return ArgumentSpec(dict(
        resource_name=dict(type="str", required=True),
        delete_dates=dict(type="list", elements="str"),
        keep_last=dict(type="int"),
    ), required_one_of=[["delete_dates", "keep_last"]]).merge(WAIT_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    p = module.params
    module.run(lambda: auto_snapshots(module.lightsail(), p["resource_name"], p.get("delete_dates"), p.get("keep_last"), p["wait"],
                                      p["wait_timeout"]))


if __name__ == "__main__":
    main()
