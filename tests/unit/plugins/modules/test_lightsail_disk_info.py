# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_disk_info: List AWS Lightsail block storage disks (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_disk_info

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.disk import disk
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_info_all_and_filter():
    stub = Stubbed()
    stub.add("GetDisks", {"disks": [disk("b", attached_to="web-1", path="/dev/xvdf")], "nextPageToken": "t"})
    stub.add("GetDisks", {"disks": [disk("a")]}, {"pageToken": "t"})
    result = run_module(lightsail_disk_info.main, {}, stub)
    assert [d["name"] for d in result["disks"]] == ["a", "b"]
    stub = Stubbed()
    stub.add("GetDisks", {"disks": [disk("b", attached_to="web-1", path="/dev/xvdf"), disk("a")]})
    result = run_module(lightsail_disk_info.main, {"instance_name": "web-1"}, stub)
    assert [d["name"] for d in result["disks"]] == ["b"]


def test_info_one_missing():
    stub = Stubbed()
    stub.error("GetDisk", params={"diskName": "nope"})
    result = run_module(lightsail_disk_info.main, {"name": "nope"}, stub)
    assert result["disks"] == [] and result["changed"] is False


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetDisks", {"disks": [disk("b", attached_to="web-1", path="/dev/xvdf"), disk("a")]})
    result = run_read_only(lightsail_disk_info.main, {"instance_name": "web-1"}, queue)
    assert [d["name"] for d in result["disks"]] == ["b"]
