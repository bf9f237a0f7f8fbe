# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lightsail instance test data shared by the lightsail_instance, lightsail_instance_info and inventory tests."""

from __future__ import annotations

import copy

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, arn

WEB_PORT = {"fromPort": 443, "toPort": 443, "protocol": "tcp", "cidrs": ["0.0.0.0/0"], "ipv6Cidrs": ["::/0"]}
SSH_PORT = {"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrs": ["198.51.100.0/24"], "cidrListAliases": ["lightsail-connect"]}

INSTANCE = {
    "name": "web-1", "arn": arn("Instance", "web-1"), "createdAt": CREATED, "resourceType": "Instance",
    "location": {"availabilityZone": "us-east-1a", "regionName": "us-east-1"},
    "blueprintId": "debian_12", "blueprintName": "Debian", "bundleId": "nano_3_0", "isStaticIp": False,
    "privateIpAddress": "172.26.1.10", "publicIpAddress": "203.0.113.10", "ipv6Addresses": ["2001:db8::10"],
    "ipAddressType": "dualstack", "sshKeyName": "deploy", "username": "admin",
    "state": {"code": 16, "name": "running"},
    "tags": [{"key": "env", "value": "prod"}],
    "addOns": [{"name": "AutoSnapshot", "status": "Enabled", "snapshotTimeOfDay": "03:00"}],
    "metadataOptions": {"state": "applied", "httpTokens": "required", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 1},
    "networking": {"monthlyTransfer": {"gbPerMonthAllocated": 1024}, "ports": [
        dict(WEB_PORT, accessFrom="Anywhere (0.0.0.0/0 and ::/0)", accessType="public", accessDirection="inbound"),
        dict(SSH_PORT, ipv6Cidrs=[], accessFrom="Custom", accessType="public", accessDirection="inbound"),
    ]},
}

PARAMS = {
    "name": "web-1", "zone": "us-east-1a", "blueprint_id": "debian_12", "bundle_id": "nano_3_0", "key_pair_name": "deploy",
    "public_ports": [{"from_port": 443}, {"from_port": 22, "cidrs": ["198.51.100.0/24"], "cidr_list_aliases": ["lightsail-connect"]}],
    "metadata_options": {"http_tokens": "required"},
    "add_ons": [{"type": "auto_snapshot", "snapshot_time_of_day": "03:00"}],
    "tags": {"env": "prod"},
}


def instance(**changes):
    value = copy.deepcopy(INSTANCE)
    value.update(changes)
    return {k: v for k, v in value.items() if v is not None}


def get(stub, value=None, missing=False):
    if missing:
        stub.error("GetInstance", "NotFoundException", "The Instance does not exist.", params={"instanceName": "web-1"})
    else:
        stub.add("GetInstance", {"instance": value or INSTANCE}, {"instanceName": "web-1"})
