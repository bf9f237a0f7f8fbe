# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_load_balancer, lightsail_load_balancer_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import arn


DNS = "ab1234c56789c6b86aba6fb203d443bc-123456789.us-east-1.elb.amazonaws.com"


def lb(name="web-lb", state="active", instances=(), health="/", sticky="false", cookie="86400", redirect=False, policy="TLS-2016-08",
       certs=(), tags=None, port=8080, ip="dualstack"):
    value = {"name": name, "arn": arn("LoadBalancer", name), "createdAt": CREATED, "resourceType": "LoadBalancer",
             "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "dnsName": DNS, "state": state,
             "protocol": "HTTP", "publicPorts": [80], "healthCheckPath": health, "instancePort": port,
             "instanceHealthSummary": [{"instanceName": i, "instanceHealth": "healthy"} for i in instances],
             "tlsCertificateSummaries": [{"name": c["name"], "isAttached": c.get("isAttached", False)} for c in certs],
             "configurationOptions": {"SessionStickinessEnabled": sticky, "SessionStickiness_LB_CookieDurationSeconds": cookie},
             "ipAddressType": ip, "httpsRedirectionEnabled": redirect, "tlsPolicyName": policy,
             "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}
    if policy is None:
        del value["tlsPolicyName"]
    return value


def cert(name="web-cert", status="ISSUED", attached=False, domain="example.com", sans=("www.example.com",), records=True):
    value = {"name": name, "arn": arn("LoadBalancerTlsCertificate", name), "createdAt": CREATED, "resourceType": "LoadBalancerTlsCertificate",
             "loadBalancerName": "web-lb", "isAttached": attached, "status": status, "domainName": domain,
             "subjectAlternativeNames": [domain] + list(sans), "tags": []}
    if records:
        value["domainValidationRecords"] = [
            {"name": "_a1.%s." % d, "type": "CNAME", "value": "_b2.acm-validations.aws.", "domainName": d,
             "validationStatus": "SUCCESS" if status == "ISSUED" else "PENDING_VALIDATION"} for d in [domain] + list(sans)]
    return value


POLICIES = [
    {"name": "TLS-2016-08", "isDefault": True, "description": "TLS 1.0 to 1.2", "protocols": ["TLSv1", "TLSv1.1", "TLSv1.2"],
     "ciphers": ["ECDHE-ECDSA-AES128-GCM-SHA256"]},
    {"name": "TLS-FS-Res-1-2-2019-08", "isDefault": False, "description": "TLS 1.2 forward secrecy", "protocols": ["TLSv1.2"],
     "ciphers": ["ECDHE-ECDSA-AES128-GCM-SHA256"]},
]
