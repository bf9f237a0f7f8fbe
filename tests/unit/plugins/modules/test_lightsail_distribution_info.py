# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_distribution_info: Describe Amazon Lightsail CDN distributions (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_distribution_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.distribution import GET, NAME, dist
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_info():
    stub = Stubbed()
    stub.add("GetDistributions", {"distributions": [dist()]}, {})
    stub.add("GetDistributionLatestCacheReset", {"status": "Completed", "createTime": CREATED}, GET)
    stub.add("GetDistributionBundles", {"bundles": [{"bundleId": "small_1_0", "price": 2.5, "isActive": True}]})
    result = run_module(lightsail_distribution_info.main, {"include_cache_reset": True, "include_bundles": True}, stub)
    assert result["distributions"][0]["latest_cache_reset"] == {"status": "Completed", "create_time": CREATED.isoformat()}
    assert result["bundles"][0]["bundle_id"] == "small_1_0"
    assert result["distributions"][0]["cache_behavior_settings"]["default_ttl"] == 86400


def test_info_not_found_is_empty():
    stub = Stubbed()
    stub.error("GetDistributions", params=GET)
    result = run_module(lightsail_distribution_info.main, {"name": NAME}, stub)
    assert result["distributions"] == [] and result["changed"] is False


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetDistributions", {"distributions": [dist()]}, {})
    result = run_read_only(lightsail_distribution_info.main, {}, queue)
    assert result["distributions"][0]["cache_behavior_settings"]["default_ttl"] == 86400
