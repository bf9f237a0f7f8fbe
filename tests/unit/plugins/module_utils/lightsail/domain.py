# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_domain, lightsail_domain_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import arn


MANAGED = [
    {"id": "1", "name": "example.com", "type": "NS", "target": "ns-1.awsdns-01.com", "isAlias": False},
    {"id": "2", "name": "example.com", "type": "SOA", "target": "ns-1.awsdns-01.com. hostmaster 1 7200 900 1209600 86400", "isAlias": False},
]


def domain(entries=(), tags=None, name="example.com"):
    return {"name": name, "arn": arn("Domain", name), "createdAt": CREATED, "resourceType": "Domain",
            "location": {"availabilityZone": "all", "regionName": "us-east-1"},
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()], "domainEntries": MANAGED + list(entries)}
