# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_static_ip_info: List AWS Lightsail static IPs (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_static_ip_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.static_ip import IP, get


def test_info_lists_all_pages_or_named():
    stub = Stubbed()
    stub.add("GetStaticIps", {"staticIps": [IP], "nextPageToken": "n"}, {})
    stub.add("GetStaticIps", {"staticIps": [dict(IP, name="db-ip")]}, {"pageToken": "n"})
    result = run_module(lightsail_static_ip_info.main, {}, stub)
    assert [i["name"] for i in result["static_ips"]] == ["web-ip", "db-ip"] and result["changed"] is False
    stub = Stubbed()
    get(stub)
    stub.error("GetStaticIp", params={"staticIpName": "gone"})
    result = run_module(lightsail_static_ip_info.main, {"names": ["web-ip", "gone"]}, stub, check_mode=True)
    assert [i["name"] for i in result["static_ips"]] == ["web-ip"]
