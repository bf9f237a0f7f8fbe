#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lightsail_load_balancer
short_description: Manage AWS Lightsail load balancers, their instances, attributes and TLS certificates
version_added: 0.1.0
description:
  - Create or delete a Lightsail load balancer; attach and detach instances; set the health check
    path, session stickiness, HTTPS redirection, TLS policy and IP address type; create, attach and
    delete TLS certificates and return the DNS records that validate them.
  - Lightsail cannot change the instance port of a load balancer; when O(instance_port) differs the
    module fails before changing anything.
  - A new certificate stays V(PENDING_VALIDATION) until the records in RV(dns_validation_records)
    exist in DNS (for example with M(opsforge.infra.lightsail_domain)); it can only be attached once
    Lightsail has issued it, so run the task again after validation. Certificates that should be
    attached but are not issued yet are listed in RV(pending_validation) with a warning.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the load balancer.
    type: str
    required: true
  state:
    description: V(present) creates or updates the load balancer; V(absent) deletes it with its certificates.
    type: str
    choices: [present, absent]
    default: present
  instance_port:
    description: Port the instances listen on (traffic goes to them over HTTP). Required to create; cannot change.
    type: int
  health_check_path:
    description: Path of the health check, for example V(/health). Lightsail's default is V(/).
    type: str
  ip_address_type:
    description: IP address type of the load balancer. Lightsail's default is V(dualstack).
    type: str
    choices: [dualstack, ipv4, ipv6]
  instances:
    description:
      - Instances attached to the load balancer (they must be running, in the same region). Omitted leaves them alone.
    type: list
    elements: str
  purge_instances:
    description: Detach instances not in O(instances). Has no effect when O(instances) is omitted.
    type: bool
    default: true
  session_stickiness:
    description: Enable or disable session stickiness (a load balancer cookie).
    type: bool
  session_stickiness_cookie_duration:
    description: Lifetime of the session stickiness cookie, in seconds.
    type: int
  https_redirection:
    description:
      - Redirect HTTP to HTTPS. Needs an attached, issued certificate.
      - While the certificate to attach is still being validated the change is deferred (RV(deferred)).
    type: bool
  tls_policy_name:
    description:
      - TLS security policy of the HTTPS listener, for example V(TLS-2016-08) or V(TLS-FS-Res-1-2-2019-08).
      - Needs an attached certificate. A new value is checked against Lightsail's list (C(GetLoadBalancerTlsPolicies)) before
        anything is written; list them with O(opsforge.infra.lightsail_load_balancer_info#module:tls_policies=true).
    type: str
  tls_certificates:
    description:
      - TLS certificates of the load balancer. Certificates not listed are left alone. Omitted leaves
        them alone and saves a read call.
      - Lightsail cannot change the domain names of a certificate; the module fails when they differ.
      - Lightsail has no way to detach a certificate; attach another one instead.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the certificate.
        type: str
        required: true
      domain_name:
        description: Domain name of the certificate. Required to create it.
        type: str
      alternative_names:
        description: More domain names of the certificate.
        type: list
        elements: str
      attached:
        description: Attach the certificate to the load balancer (once it is issued).
        type: bool
        default: false
      state:
        description: V(absent) deletes the certificate (also when attached).
        type: str
        choices: [present, absent]
        default: present
      tags:
        description: Tags of a new certificate.
        type: dict
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
    details:
      - An unchanged run reads the load balancer once (GetLoadBalancer) and writes nothing.
      - With O(tls_certificates) and certificates present it also reads them (GetLoadBalancerTlsCertificates).
"""

EXAMPLES = r"""
- name: Load balancer in front of two instances
  opsforge.infra.lightsail_load_balancer:
    name: web-lb
    instance_port: 8080
    health_check_path: /health
    instances: [web-1, web-2]
    session_stickiness: true
    session_stickiness_cookie_duration: 3600
    tls_certificates:
      - name: web-cert
        domain_name: example.com
        alternative_names: [www.example.com]
        attached: true
  register: lb

- name: Publish the validation records in the Lightsail DNS zone (other records stay)
  opsforge.infra.lightsail_domain:
    region: us-east-1
    name: example.com
    entries: "{{ lb.dns_validation_entries }}"

- name: After validation, attach the certificate, redirect HTTP and pick a TLS policy
  opsforge.infra.lightsail_load_balancer:
    name: web-lb
    tls_certificates:
      - name: web-cert
        attached: true
    https_redirection: true
    tls_policy_name: TLS-2016-08

- name: Delete the load balancer (and its certificates)
  opsforge.infra.lightsail_load_balancer:
    name: web-lb
    state: absent
"""

RETURN = r"""
load_balancer:
  description: The load balancer after the run (predicted in check mode), with snake_case keys; empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the load balancer.
      type: str
      sample: web-lb
    dns_name:
      description: DNS name of the load balancer (the target of an alias record).
      type: str
      sample: ab1234c56789c6b86aba6fb203d443bc-123456789.us-east-1.elb.amazonaws.com
    state:
      description: V(active), V(provisioning), V(active_impaired), V(failed).
      type: str
      sample: active
    instance_port:
      description: Port of the instances.
      type: int
      sample: 8080
    health_check_path:
      description: Health check path.
      type: str
      sample: /health
    ip_address_type:
      description: IP address type.
      type: str
      sample: dualstack
    instances:
      description: Names of the attached instances, sorted.
      type: list
      elements: str
      sample: [web-1, web-2]
    instance_health_summary:
      description: Health of each attached instance.
      type: list
      elements: dict
      sample: [{instance_name: web-1, instance_health: healthy}]
    configuration_options:
      description: Session stickiness settings as Lightsail returns them (string values).
      type: dict
      sample: {session_stickiness_enabled: "true", session_stickiness_lb_cookie_duration_seconds: "3600"}
    https_redirection_enabled:
      description: Whether HTTP is redirected to HTTPS.
      type: bool
    tls_policy_name:
      description: TLS security policy.
      type: str
    tls_certificate_summaries:
      description: Name and C(is_attached) of each certificate.
      type: list
      elements: dict
    tls_certificates:
      description:
        - The certificates with C(status), C(domain_name), C(subject_alternative_names), C(is_attached) and C(domain_validation_records).
        - Only when O(tls_certificates) is set.
      type: list
      elements: dict
    tags:
      description: Tags as a dictionary.
      type: dict
dns_validation_records:
  description: The DNS records that validate the certificates (only when O(tls_certificates) is set).
  returned: always
  type: list
  elements: dict
  sample:
    - certificate_name: web-cert
      domain_name: example.com
      name: _3f2a.example.com.
      type: CNAME
      value: _9b1c.acm-validations.aws.
      validation_status: PENDING_VALIDATION
dns_validation_entries:
  description:
    - RV(dns_validation_records) as O(opsforge.infra.lightsail_domain#module:entries) of M(opsforge.infra.lightsail_domain)
      (C(name), C(type), C(target)), without duplicates.
  returned: always
  type: list
  elements: dict
  sample: [{name: _3f2a.example.com., type: CNAME, target: _9b1c.acm-validations.aws.}]
deferred:
  description:
    - Options (V(https_redirection), V(tls_policy_name)) not applied yet because they need an attached
      certificate and the one to attach is not issued yet. Without any certificate to attach the module fails instead.
  returned: always
  type: list
  elements: str
  sample: [https_redirection]
pending_validation:
  description: Certificates that should be attached but are not issued yet, with their status.
  returned: always
  type: list
  elements: dict
  sample: [{name: web-cert, status: PENDING_VALIDATION}]
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create load balancer web-lb forwarding to port 8080", "attach instances web-1, web-2 to web-lb"]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.load_balancer import LoadBalancer  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def argument_spec():
    return ArgumentSpec(
        dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            instance_port=dict(type="int"),
            health_check_path=dict(type="str"),
            ip_address_type=dict(type="str", choices=["dualstack", "ipv4", "ipv6"]),
            instances=dict(type="list", elements="str"),
            purge_instances=dict(type="bool", default=True),
            session_stickiness=dict(type="bool"),
            session_stickiness_cookie_duration=dict(type="int"),
            https_redirection=dict(type="bool"),
            tls_policy_name=dict(type="str"),
            tls_certificates=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", required=True),
                domain_name=dict(type="str"),
                alternative_names=dict(type="list", elements="str"),
                attached=dict(type="bool", default=False),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                tags=dict(type="dict"),
            )),
        )
    ).merge(WAIT_SPEC).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: LoadBalancer(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
