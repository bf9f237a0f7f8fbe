# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_key_pair_info: List AWS Lightsail key pairs (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_key_pair_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.key_pair import KEY
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_info():
    stub = Stubbed().add("GetKeyPairs", {"keyPairs": [KEY]}, {"includeDefaultKeyPair": True})
    result = run_module(lightsail_key_pair_info.main, {"include_default": True}, stub)
    assert result["key_pairs"][0]["tags"] == {"team": "ops"} and result["key_pairs"][0]["fingerprint"] == "a1:b2:c3"


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetKeyPairs", {"keyPairs": [KEY]}, {"includeDefaultKeyPair": True})
    result = run_read_only(lightsail_key_pair_info.main, {"include_default": True}, queue)
    assert result["key_pairs"][0]["fingerprint"] == "a1:b2:c3"
