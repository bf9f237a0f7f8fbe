# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_distribution, lightsail_distribution_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn


NAME = "acme-cdn"


GET = {"distributionName": NAME}


RT = "Distribution"


def dist(**over):
    value = {
        "name": NAME, "arn": arn("Distribution", NAME), "createdAt": CREATED, "resourceType": RT, "status": "Deployed",
        "isEnabled": True, "domainName": "d1.cloudfront.net", "bundleId": "small_1_0", "ableToUpdateBundle": True,
        "origin": {"name": "acme-assets", "resourceType": "Bucket", "regionName": "eu-west-1", "protocolPolicy": "https-only"},
        "defaultCacheBehavior": {"behavior": "cache"},
        "cacheBehaviorSettings": {"defaultTTL": 86400, "minimumTTL": 0, "maximumTTL": 31536000, "allowedHTTPMethods": "GET,HEAD",
                                  "cachedHTTPMethods": "GET,HEAD", "forwardedCookies": {"option": "none"},
                                  "forwardedHeaders": {"option": "none"}, "forwardedQueryStrings": {"option": False}},
        "cacheBehaviors": [{"path": "/api/*", "behavior": "dont-cache"}], "ipAddressType": "dualstack", "tags": [],
    }
    value.update(over)
    return value
