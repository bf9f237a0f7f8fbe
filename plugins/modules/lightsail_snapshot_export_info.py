#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_snapshot_export_info
short_description: List AWS Lightsail snapshot exports to EC2 and the CloudFormation stacks built from them
version_added: 0.2.0
description:
  - Returns every export record (C(GetExportSnapshotRecords)) and CloudFormation stack record
    (C(GetCloudFormationStackRecords)) of the region, all pages, optionally only those of one snapshot.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  snapshot_name:
    description: Only the records of this snapshot (and the stacks built from its exports).
    type: str
seealso:
  - module: opsforge.infra.lightsail_snapshot_export
"""

EXAMPLES = r"""
- name: Exports of web-1-final
  opsforge.infra.lightsail_snapshot_export_info:
    region: eu-west-1
    snapshot_name: web-1-final
  register: exports
"""

RETURN = r"""
export_snapshot_records:
  description: Export records, snake_case (see RV(opsforge.infra.lightsail_snapshot_export#module:export_snapshot_record)).
  returned: always
  type: list
  elements: dict
cloud_formation_stack_records:
  description: CloudFormation stack records, snake_case.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.export import export_info  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(spec=ArgumentSpec(dict(snapshot_name=dict(type="str"))))
    module.run(lambda: dict(export_info(module.lightsail(), module.params.get("snapshot_name")), changed=False))


if __name__ == "__main__":
    main()
