# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_bucket_info: Describe Amazon Lightsail buckets (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_bucket_info

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import ANY, Stubbed, run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.bucket import GET, NAME, bucket
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


KEY2 = "AKIAEXAMPLEKEY000002"


def test_info_lists_buckets_with_keys():
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket()], "nextPageToken": "t"}, {"includeConnectedResources": True})
    stub.add("GetBuckets", {"buckets": [bucket(name="other")]}, {"includeConnectedResources": True, "pageToken": "t"})
    stub.add("GetBucketAccessKeys", {"accessKeys": []}, {"bucketName": NAME})
    stub.add("GetBucketAccessKeys", {"accessKeys": [{"accessKeyId": KEY2, "status": "Inactive"}]}, {"bucketName": "other"})
    stub.add("GetBucketBundles", {"bundles": [{"bundleId": "small_1_0", "price": 1.0, "isActive": True}]}, {"includeInactive": False})
    result = run_module(lightsail_bucket_info.main, {"include_access_keys": True, "include_bundles": True}, stub)
    assert result["changed"] is False
    assert [b["name"] for b in result["buckets"]] == [NAME, "other"]
    assert result["buckets"][1]["access_keys"][0]["access_key_id"] == KEY2
    assert result["bundles"][0]["bundle_id"] == "small_1_0"
    assert ANY


def test_info_not_found_is_empty():
    stub = Stubbed()
    stub.error("GetBuckets", params=GET)
    result = run_module(lightsail_bucket_info.main, {"name": NAME}, stub)
    assert result == {"changed": False, "buckets": []}


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetBuckets", {"buckets": [bucket()]}, {"includeConnectedResources": True})
    result = run_read_only(lightsail_bucket_info.main, {}, queue)
    assert [b["name"] for b in result["buckets"]] == [NAME]
