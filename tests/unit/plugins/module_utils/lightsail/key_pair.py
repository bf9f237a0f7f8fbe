# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_key_pair, lightsail_key_pair_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn


KEY = {"name": "deploy", "arn": arn("KeyPair", "deploy"), "createdAt": CREATED, "resourceType": "KeyPair",
       "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "fingerprint": "a1:b2:c3",
       "tags": [{"key": "team", "value": "ops"}]}
