# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_static_ip, lightsail_static_ip_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn


IP = {"name": "web-ip", "arn": arn("StaticIp", "web-ip"), "createdAt": CREATED, "resourceType": "StaticIp",
      "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "ipAddress": "203.0.113.20", "isAttached": False}


def get(stub, value=None, missing=False):
    if missing:
        stub.error("GetStaticIp", params={"staticIpName": "web-ip"})
    else:
        stub.add("GetStaticIp", {"staticIp": value or IP}, {"staticIpName": "web-ip"})
