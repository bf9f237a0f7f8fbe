#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_certificate_info
short_description: Describe Amazon Lightsail SSL/TLS certificates
version_added: 0.1.0
description:
  - Returns Lightsail certificates of a region (distribution certificates are in V(us-east-1)) with their
    DNS validation records.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of one certificate. Omit to list all.
    type: str
  statuses:
    description: Only certificates in these states.
    type: list
    elements: str
    choices: [PENDING_VALIDATION, ISSUED, INACTIVE, EXPIRED, VALIDATION_TIMED_OUT, REVOKED, FAILED]
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Certificates waiting for DNS validation
  opsforge.infra.lightsail_certificate_info:
    statuses: [PENDING_VALIDATION]
    region: us-east-1
  register: pending
"""

RETURN = r"""
certificates:
  description: The certificates, snake_case keys, each with C(validation_records).
  returned: always
  type: list
  elements: dict
  sample: [{name: acme-cdn-cert, status: ISSUED, domain_name: www.example.com, validation_records: []}]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.certificate import certificate_info
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule

STATUSES = ["PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED", "VALIDATION_TIMED_OUT", "REVOKED", "FAILED"]


def main():
    module = LightsailModule(argument_spec=dict(
        name=dict(type="str"),
        statuses=dict(type="list", elements="str", choices=STATUSES),
    ))
    module.run(lambda: dict(certificate_info(module.lightsail(), module.params["name"], module.params["statuses"]), changed=False))


if __name__ == "__main__":
    main()
