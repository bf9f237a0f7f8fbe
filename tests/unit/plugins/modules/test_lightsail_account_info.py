# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_account_info: Read the AWS Lightsail profile of the account, its VPC peering and the resource names in use (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_account_info


# -- account info ---------------------------------------------------------------------------------
def test_account_info_reads_profile_peering_and_active_names_over_pages():
    stub = Stubbed()
    stub.add("GetProfile", {"profileType": "LightsailPartner",
                            "partner": {"enrolledAt": CREATED, "tierName": "Growth", "status": "Active"}}, {})
    stub.add("IsVpcPeered", {"isPeered": True}, {})
    stub.add("GetActiveNames", {"activeNames": ["web-1", "db-1"], "nextPageToken": "p2"}, {})
    stub.add("GetActiveNames", {"activeNames": ["lb-1"]}, {"pageToken": "p2"})
    result = run_module(lightsail_account_info.main, {}, stub, check_mode=True)
    assert result["changed"] is False
    assert result["profile"] == {"profile_type": "LightsailPartner",
                                 "partner": {"enrolled_at": "2026-01-02T03:04:05+00:00", "tier_name": "Growth", "status": "Active"}}
    assert result["vpc_peered"] is True and result["active_names"] == ["db-1", "lb-1", "web-1"]
