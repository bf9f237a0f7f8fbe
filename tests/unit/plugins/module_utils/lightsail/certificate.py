# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_certificate, lightsail_certificate_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn


NAME = "acme-cert"


RECORD = {"domainName": "www.example.com", "validationStatus": "PENDING_VALIDATION",
          "resourceRecord": {"name": "_a1.www.example.com.", "type": "CNAME", "value": "_b2.acm-validations.aws."}}


def cert(**over):
    value = {"arn": arn("Certificate", NAME), "name": NAME, "domainName": "www.example.com", "status": "ISSUED",
             "subjectAlternativeNames": ["www.example.com", "example.com"], "domainValidationRecords": [RECORD],
             "createdAt": CREATED, "inUseResourceCount": 0, "tags": []}
    value.update(over)
    return value


def listing(certificate):
    return {"certificates": [{"certificateArn": certificate["arn"], "certificateName": NAME, "domainName": certificate["domainName"],
                              "certificateDetail": certificate}]}
