#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_certificate
short_description: Manage Amazon Lightsail SSL/TLS certificates for distributions and container services
version_added: 0.1.0
description:
  - Requests a Lightsail certificate, returns the DNS records that validate it, optionally creates those
    records in a Lightsail DNS zone, and waits until the certificate is C(ISSUED).
  - Certificates for distributions must live in V(us-east-1); with O(usage=distribution) the module manages the
    certificate there whatever O(region) says, and warns when O(region) differs.
  - Certificates for container services live in the container service's region (O(region)).
  - Load balancer certificates are a different API; see M(opsforge.infra.lightsail_load_balancer).
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the certificate.
    type: str
    required: true
  state:
    description: Whether the certificate should exist.
    type: str
    choices: [present, absent]
    default: present
  domain_name:
    description: Primary domain name. Required to create; cannot be changed.
    type: str
  subject_alternative_names:
    description: More names (up to 9). Cannot be changed; create another certificate instead.
    type: list
    elements: str
  usage:
    description: What the certificate is for; decides the region (see the description).
    type: str
    choices: [distribution, container_service]
    default: distribution
  validation_domain:
    description:
      - A Lightsail DNS zone (M(opsforge.infra.lightsail_domain)) in which to create the validation CNAME records.
        Records for names outside that zone are returned but not created.
    type: str
  wait:
    description: Wait until the certificate is C(ISSUED); fail if it becomes C(FAILED) or C(VALIDATION_TIMED_OUT).
    type: bool
    default: true
  wait_timeout:
    description: How many seconds to wait. Validation takes minutes once the DNS records resolve.
    type: int
    default: 1800
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Certificate for a CDN, validated through a Lightsail DNS zone
  opsforge.infra.lightsail_certificate:
    name: acme-cdn-cert
    domain_name: www.example.com
    subject_alternative_names: [example.com]
    usage: distribution
    validation_domain: example.com
  register: cert

- name: Certificate for a container service in Frankfurt; DNS elsewhere, so only print the records
  opsforge.infra.lightsail_certificate:
    name: api-cert
    domain_name: api.example.org
    usage: container_service
    region: eu-central-1
    wait: false
  register: api_cert

- name: Show the records to create at the DNS provider
  ansible.builtin.debug:
    var: api_cert.validation_records
"""

RETURN = r"""
certificate:
  description: The certificate after the run (empty after O(state=absent)).
  returned: always
  type: dict
  sample:
    name: acme-cdn-cert
    domain_name: www.example.com
    status: ISSUED
    subject_alternative_names: [www.example.com, example.com]
    not_after: "2027-01-02T00:00:00+00:00"
    in_use_resource_count: 1
validation_records:
  description: DNS records proving control of the names (create them as CNAME records).
  returned: always
  type: list
  elements: dict
  sample: [{domain_name: www.example.com, name: _abc.www.example.com., type: CNAME, value: _def.acm-validations.aws., validation_status: PENDING_VALIDATION}]
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
diff:
  description: The certificate before and after (same shape as RV(certificate)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.certificate import manage_certificate
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def argument_spec():
    return ArgumentSpec(dict(
        name=dict(type="str", required=True),
        domain_name=dict(type="str"),
        subject_alternative_names=dict(type="list", elements="str"),
        usage=dict(type="str", choices=["distribution", "container_service"], default="distribution"),
        validation_domain=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )).merge(state_spec("present", "absent")).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(manage_certificate, module)


if __name__ == "__main__":
    main()
