#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lightsail_load_balancer_info
short_description: List AWS Lightsail load balancers, their TLS certificates and the TLS policies
version_added: 0.1.0
description:
  - Return one Lightsail load balancer by name, or every load balancer of the region (all pages),
    optionally with their TLS certificates and DNS validation records.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the load balancer. A missing one gives an empty list. Omitted lists every load balancer.
    type: str
  tls_certificates:
    description: Also read the TLS certificates of each load balancer that has any (one more call per load balancer).
    type: bool
    default: false
  tls_policies:
    description:
      - Also list the TLS security policies a load balancer accepts (RV(tls_policies)), the values of
        O(opsforge.infra.lightsail_load_balancer#module:tls_policy_name).
    type: bool
    default: false
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The load balancer with its certificates
  opsforge.infra.lightsail_load_balancer_info:
    name: web-lb
    tls_certificates: true
  register: lb_info

- name: The TLS policies a load balancer accepts
  opsforge.infra.lightsail_load_balancer_info:
    name: web-lb
    tls_policies: true
  register: lb_policies

- name: Its DNS name, for an alias record
  ansible.builtin.debug:
    msg: "{{ lb_info.load_balancers[0].dns_name }}"
"""

RETURN = r"""
load_balancers:
  description:
    - The load balancers, sorted by name, with snake_case keys (same shape as
      RV(opsforge.infra.lightsail_load_balancer#module:load_balancer)); C(tls_certificates) only with O(tls_certificates=true).
  returned: always
  type: list
  elements: dict
  sample:
    - name: web-lb
      dns_name: ab1234c56789c6b86aba6fb203d443bc-123456789.us-east-1.elb.amazonaws.com
      state: active
      instance_port: 8080
      instances: [web-1, web-2]
      tags: {}
tls_policies:
  description: The TLS security policies of Lightsail load balancers (GetLoadBalancerTlsPolicies), snake_case.
  returned: with O(tls_policies=true)
  type: list
  elements: dict
  sample:
    - name: TLS-2016-08
      is_default: true
      description: TLS 1.0, 1.1 and 1.2
      protocols: [TLSv1, TLSv1.1, TLSv1.2]
      ciphers: [ECDHE-ECDSA-AES128-GCM-SHA256]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.load_balancer import load_balancer_info  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    spec = ArgumentSpec(dict(
        name=dict(type="str"),
        tls_certificates=dict(type="bool", default=False),
        tls_policies=dict(type="bool", default=False),
    ))
    module = LightsailModule(spec=spec)
    module.run(lambda: dict(load_balancer_info(module.lightsail(), module.params), changed=False))


if __name__ == "__main__":
    main()
