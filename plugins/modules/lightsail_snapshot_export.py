#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_snapshot_export
short_description: Export an AWS Lightsail snapshot to Amazon EC2 and create an EC2 instance from it
version_added: 0.2.0
description:
  - Exports an instance or disk snapshot to Amazon EC2 (C(ExportSnapshot), giving an AMI or an EBS snapshot), once per
    snapshot -- an export that is under way or done is left alone, a failed one is started again.
  - With O(ec2_instance), also creates an EC2 instance from the export through the CloudFormation stack Lightsail
    builds (C(CreateCloudFormationStack)), once per export. The export must have finished first, so the module
    waits for it (up to O(wait_timeout)) whatever O(wait) says.
  - The records come from C(GetExportSnapshotRecords) and C(GetCloudFormationStackRecords); amazon.aws has no
    module for this path. Manage the resulting EC2 instance, AMI and stack with amazon.aws modules.
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
  snapshot_name:
    description: The Lightsail instance or disk snapshot to export.
    type: str
    required: true
  ec2_instance:
    description: Create an EC2 instance from the export.
    type: dict
    suboptions:
      instance_type:
        description: EC2 instance type, for example V(t3.micro).
        type: str
        required: true
      availability_zone:
        description: Availability zone, for example V(eu-west-1a).
        type: str
        required: true
      port_info_source:
        description: Firewall of the new instance, as Lightsail names it (V(INSTANCE) copies the source instance's).
        type: str
        default: INSTANCE
        choices: [DEFAULT, INSTANCE, NONE, CLOSED]
      user_data:
        description: Launch script for the EC2 instance.
        type: str
seealso:
  - module: opsforge.infra.lightsail_snapshot_export_info
  - module: opsforge.infra.lightsail_instance_snapshot
"""

EXAMPLES = r"""
- name: Move web-1 to EC2
  opsforge.infra.lightsail_snapshot_export:
    region: eu-west-1
    snapshot_name: web-1-final
    ec2_instance:
      instance_type: t3.small
      availability_zone: eu-west-1a
    wait_timeout: 3600
  register: moved

- name: The AMI
  ansible.builtin.debug:
    msg: "{{ moved.export_snapshot_record.destination_info.id }}"
"""

RETURN = r"""
export_snapshot_record:
  description: The export record of the snapshot after the run (predicted in check mode), snake_case.
  returned: always
  type: dict
  sample:
    name: ExportSnapshotRecord-1a2b
    state: Succeeded
    source_info: {name: web-1-final, resource_type: InstanceSnapshot, from_resource_name: web-1}
    destination_info: {id: ami-0123456789abcdef0, service: "Aws::EC2::Image"}
cloud_formation_stack_record:
  description: The CloudFormation stack record built from the export; V({}) without O(ec2_instance).
  returned: always
  type: dict
  sample:
    name: CloudFormationStackRecord-9f8e
    state: Succeeded
    destination_info: {id: "arn:aws:cloudformation:eu-west-1:123456789012:stack/Lightsail-Stack-9f8e/1", service: "Aws::CloudFormation::Stack"}
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
diff:
  description: Both records before and after.
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.export import SnapshotExport  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.export import argument_spec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: SnapshotExport(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
