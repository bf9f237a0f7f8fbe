# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What moved out of the Lightsail modules' main() into module_utils: parameter fix-ups and argument-spec pieces."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.disk import Disk
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.distribution import forwarding_spec


class Client:
    check_mode = False


def test_an_auto_snapshot_time_turns_auto_snapshot_on_unless_it_was_set():
    params = {"name": "data-1", "auto_snapshot_time": "06:00", "auto_snapshot": None}
    assert Disk(Client(), params).params["auto_snapshot"] is True
    assert params["auto_snapshot"] is None  # the task's own params are left alone
    assert Disk(Client(), dict(params, auto_snapshot=False)).params["auto_snapshot"] is False
    assert Disk(Client(), {"name": "data-1", "auto_snapshot_time": None, "auto_snapshot": None}).params["auto_snapshot"] is None


def test_forwarding_spec():
    assert forwarding_spec("cookies_allow_list") == {"type": "dict", "options": {
        "option": {"type": "str", "choices": ["none", "allow-list", "all"]},
        "cookies_allow_list": {"type": "list", "elements": "str"}}}
    assert forwarding_spec("query_strings_allow_list", option_type="bool")["options"]["option"] == {"type": "bool"}
