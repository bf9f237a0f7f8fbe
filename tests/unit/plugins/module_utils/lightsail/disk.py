# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data and helpers shared by the tests of lightsail_disk, lightsail_disk_info."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn


ZONE = "us-east-1a"


def disk(name="data-1", state="available", attached_to=None, path=None, tags=None, add_ons=None, size=32, zone=ZONE):
    value = {
        "name": name, "arn": arn("Disk", name), "createdAt": CREATED, "resourceType": "Disk",
        "location": {"availabilityZone": zone, "regionName": "us-east-1"}, "sizeInGb": size, "isSystemDisk": False,
        "state": state, "isAttached": bool(attached_to), "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        "addOns": add_ons or [],
    }
    if attached_to:
        value.update(attachedTo=attached_to, path=path, attachmentState="attached", state="in-use")
    return value
