# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_catalog_info: List AWS Lightsail blueprints, bundles, regions and availability zones (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_catalog_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


BLUEPRINTS = [{"blueprintId": "debian_12", "name": "Debian", "platform": "LINUX_UNIX", "isActive": True},
              {"blueprintId": "windows_2022", "name": "Windows", "platform": "WINDOWS", "isActive": True}]


BUNDLES = [{"bundleId": "nano_3_0", "price": 5.0, "supportedPlatforms": ["LINUX_UNIX"]},
           {"bundleId": "nano_win_3_0", "price": 9.5, "supportedPlatforms": ["WINDOWS"]}]


def test_catalog_filters_platform():
    stub = Stubbed()
    stub.add("GetBlueprints", {"blueprints": BLUEPRINTS}, {"includeInactive": False})
    stub.add("GetBundles", {"bundles": BUNDLES}, {"includeInactive": False})
    stub.add("GetRegions", {"regions": [{"name": "eu-west-1", "displayName": "Ireland",
                                         "availabilityZones": [{"zoneName": "eu-west-1a", "state": "available"}]}]},
             {"includeAvailabilityZones": True})
    result = run_module(lightsail_catalog_info.main, {"platform": "LINUX_UNIX"}, stub)
    assert [b["blueprint_id"] for b in result["blueprints"]] == ["debian_12"]
    assert [b["bundle_id"] for b in result["bundles"]] == ["nano_3_0"]
    assert result["regions"][0]["availability_zones"] == [{"zone_name": "eu-west-1a", "state": "available"}]


def test_catalog_only_regions():
    stub = Stubbed().add("GetRegions", {"regions": []})
    result = run_module(lightsail_catalog_info.main, {"gather": ["regions"]}, stub)
    assert result == {"changed": False, "regions": []}


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetBlueprints", {"blueprints": BLUEPRINTS}, {"includeInactive": False})
        stub.add("GetBundles", {"bundles": BUNDLES}, {"includeInactive": False})
        stub.add("GetRegions", {"regions": [{"name": "eu-west-1", "displayName": "Ireland"}]}, {"includeAvailabilityZones": True})
    result = run_read_only(lightsail_catalog_info.main, {"platform": "LINUX_UNIX"}, queue)
    assert [b["blueprint_id"] for b in result["blueprints"]] == ["debian_12"]
