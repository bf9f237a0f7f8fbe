# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_domain_info: List AWS Lightsail DNS zones and their records (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_domain_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.domain import domain
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_info():
    stub = Stubbed()
    stub.add("GetDomains", {"domains": [domain(name="b.com"), domain(name="a.com")]})
    result = run_module(lightsail_domain_info.main, {}, stub)
    assert [d["name"] for d in result["domains"]] == ["a.com", "b.com"]
    stub = Stubbed()
    stub.error("GetDomain")
    result = run_module(lightsail_domain_info.main, {"name": "nope.com"}, stub)
    assert result["domains"] == []


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetDomains", {"domains": [domain(name="b.com"), domain(name="a.com")]})
    result = run_read_only(lightsail_domain_info.main, {}, queue)
    assert [d["name"] for d in result["domains"]] == ["a.com", "b.com"]
