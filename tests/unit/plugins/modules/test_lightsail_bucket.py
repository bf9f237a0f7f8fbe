# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_bucket: Manage Amazon Lightsail object storage buckets (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import lightsail_bucket

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, Stubbed, ops, run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.bucket import GET, NAME, bucket


KEY1 = "AKIAEXAMPLEKEY000001"


KEYOLD = "AKIAEXAMPLEKEY0000LD"


KEYNEW = "AKIAEXAMPLEKEY000NEW"


BASE = {"name": NAME, "bundle_id": "small_1_0", "versioning": True, "public_access": "private", "tags": {"env": "prod"}}


def test_create_with_access_and_key():
    stub = Stubbed()
    stub.error("GetBuckets", params=GET)
    stub.add("CreateBucket", ops("CreateBucket", NAME, resource_type="Bucket"),
             {"bucketName": NAME, "bundleId": "small_1_0", "enableObjectVersioning": True, "tags": [{"key": "env", "value": "prod"}]})
    stub.add("SetResourceAccessForBucket", ops("SetResourceAccessForBucket", NAME, resource_type="Bucket"),
             {"resourceName": "web-1", "bucketName": NAME, "access": "allow"})
    stub.add("CreateBucketAccessKey", {"accessKey": {"accessKeyId": KEY1, "secretAccessKey": "s3cr3t", "status": "Active",
                                                     "createdAt": CREATED}, "operations": []}, {"bucketName": NAME})
    stub.add("GetBuckets", {"buckets": [bucket(resourcesReceivingAccess=[{"name": "web-1", "resourceType": "Instance"}])]}, GET)
    stub.add("GetBucketAccessKeys", {"accessKeys": [{"accessKeyId": KEY1, "status": "Active", "createdAt": CREATED}]})
    result = run_module(lightsail_bucket.main, dict(BASE, resource_access=["web-1"], create_access_key=True), stub)
    assert result["changed"] is True
    assert result["bucket"]["object_versioning"] == "Enabled"
    assert result["bucket"]["resources_receiving_access"] == [{"name": "web-1", "resource_type": "Instance"}]
    assert result["access_key"]["secret_access_key"] == "s3cr3t"
    assert result["access_keys"] == [{"access_key_id": KEY1, "status": "Active", "created_at": CREATED.isoformat(), "last_used": None}]
    assert "secretAccessKey" not in str(result["access_keys"])


def test_unchanged_is_one_read():
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    result = run_module(lightsail_bucket.main, BASE, stub)
    assert result["changed"] is False
    assert stub.calls == ["GetBuckets"]
    assert result["bucket"]["tags"] == {"env": "prod"}


def test_update_everything():
    stub = Stubbed()
    current = bucket(objectVersioning="NeverEnabled", tags=[{"key": "old", "value": "1"}],
                     resourcesReceivingAccess=[{"name": "old-vm", "resourceType": "Instance"}])
    stub.add("GetBuckets", {"buckets": [current]}, GET)
    stub.add("UpdateBucketBundle", ops("UpdateBucketBundle", NAME, resource_type="Bucket"), {"bucketName": NAME, "bundleId": "medium_1_0"})
    stub.add("UpdateBucket", ops("UpdateBucket", NAME, resource_type="Bucket"), {
        "bucketName": NAME, "versioning": "Enabled", "accessRules": {"getObject": "public", "allowPublicOverrides": True},
        "readonlyAccessAccounts": ["111122223333"]})
    stub.add("SetResourceAccessForBucket", ops("SetResourceAccessForBucket", NAME, resource_type="Bucket"),
             {"resourceName": "web-1", "bucketName": NAME, "access": "allow"})
    stub.add("SetResourceAccessForBucket", ops("SetResourceAccessForBucket", NAME, resource_type="Bucket"),
             {"resourceName": "old-vm", "bucketName": NAME, "access": "deny"})
    stub.add("UntagResource", ops("UntagResource", NAME, resource_type="Bucket"), {"resourceName": NAME, "tagKeys": ["old"]})
    stub.add("TagResource", ops("TagResource", NAME, resource_type="Bucket"), {"resourceName": NAME, "tags": [{"key": "env", "value": "prod"}]})
    updated = bucket(bundleId="medium_1_0", accessRules={"getObject": "public", "allowPublicOverrides": True},
                     readonlyAccessAccounts=["111122223333"], resourcesReceivingAccess=[{"name": "web-1", "resourceType": "Instance"}])
    stub.add("GetBuckets", {"buckets": [updated]}, GET)
    params = dict(BASE, bundle_id="medium_1_0", public_access="public_read", allow_public_overrides=True,
                  readonly_access_accounts=["111122223333"], resource_access=["web-1"], purge_resource_access=True)
    result = run_module(lightsail_bucket.main, params, stub, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["bundle_id"] == "small_1_0"
    assert result["diff"]["after"]["bundle_id"] == "medium_1_0"
    assert result["bucket"]["access_rules"] == {"get_object": "public", "allow_public_overrides": True}


def test_check_mode_predicts_without_writes():
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    result = run_module(lightsail_bucket.main, dict(BASE, versioning=False, public_access="public_read"), stub, check_mode=True, diff=True)
    assert result["changed"] is True
    assert stub.count(writes=True) == 0
    assert result["bucket"]["object_versioning"] == "Suspended"
    assert result["diff"]["after"]["access_rules"]["get_object"] == "public"
    assert result["diff"]["before"]["access_rules"]["get_object"] == "private"


def test_check_mode_create():
    stub = Stubbed()
    stub.error("GetBuckets", params=GET)
    result = run_module(lightsail_bucket.main, BASE, stub, check_mode=True)
    assert result["changed"] is True and stub.calls == ["GetBuckets"]
    assert result["bucket"]["name"] == NAME and result["bucket"]["object_versioning"] == "Enabled"
    assert result["diff"]["before"] == {}


def test_delete_and_not_found():
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    stub.add("DeleteBucket", ops("DeleteBucket", NAME, resource_type="Bucket"), {"bucketName": NAME, "forceDelete": False})
    result = run_module(lightsail_bucket.main, {"name": NAME, "state": "absent"}, stub)
    assert result["changed"] is True and result["bucket"] == {}
    stub = Stubbed()
    stub.error("GetBuckets", params=GET)
    result = run_module(lightsail_bucket.main, {"name": NAME, "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetBuckets"]


def test_delete_non_empty_refused_unless_force():
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    stub.error("DeleteBucket", "InvalidInputException", "The bucket is not empty", params={"bucketName": NAME, "forceDelete": False})
    result = run_module(lightsail_bucket.main, {"name": NAME, "state": "absent"}, stub)
    assert result["failed"] is True
    assert "force=true" in result["msg"] and "not empty" in result["msg"]
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket(resourcesReceivingAccess=[{"name": "web-1", "resourceType": "Instance"}])]}, GET)
    result = run_module(lightsail_bucket.main, {"name": NAME, "state": "absent"}, stub)
    assert result["failed"] is True and "used by web-1" in result["msg"] and stub.count(writes=True) == 0
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    stub.add("DeleteBucket", ops("DeleteBucket", NAME, resource_type="Bucket"), {"bucketName": NAME, "forceDelete": True})
    assert run_module(lightsail_bucket.main, {"name": NAME, "state": "absent", "force": True}, stub)["changed"] is True


def test_throttling_is_retried():
    stub = Stubbed()
    stub.error("GetBuckets", "ThrottlingException", "Rate exceeded", params=GET)
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    result = run_module(lightsail_bucket.main, BASE, stub)
    assert result["changed"] is False and stub.calls == ["GetBuckets", "GetBuckets"]
    assert stub.slept  # backed off before the retry


def test_failed_operation_is_a_clear_error():
    stub = Stubbed()
    stub.error("GetBuckets", params=GET)
    stub.add("CreateBucket", ops("CreateBucket", NAME, status="Started", resource_type="Bucket"))
    stub.add("GetOperation", {"operation": ops("CreateBucket", NAME, status="Failed", resource_type="Bucket",
                                               errorCode="BucketAlreadyExists", errorDetails="name taken")["operations"][0]})
    result = run_module(lightsail_bucket.main, BASE, stub)
    assert result["failed"] is True
    assert "BucketAlreadyExists" in result["msg"] and "name taken" in result["msg"]


def test_bad_input_before_any_write():
    stub = Stubbed()
    stub.error("GetBuckets", params=GET)
    result = run_module(lightsail_bucket.main, {"name": NAME}, stub)
    assert result["failed"] is True and "bundle_id is required" in result["msg"] and stub.count(writes=True) == 0
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    result = run_module(lightsail_bucket.main, dict(BASE, readonly_access_accounts=["12"]), stub)
    assert result["failed"] is True and "12-digit" in result["msg"]


def test_delete_key_and_create_new():
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    stub.add("GetBucketAccessKeys", {"accessKeys": [{"accessKeyId": KEYOLD, "status": "Active"}]}, {"bucketName": NAME})
    stub.add("DeleteBucketAccessKey", ops("DeleteBucketAccessKey", NAME, resource_type="Bucket"), {"bucketName": NAME, "accessKeyId": KEYOLD})
    stub.add("CreateBucketAccessKey", {"accessKey": {"accessKeyId": KEYNEW, "secretAccessKey": "new", "status": "Active"}})
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    stub.add("GetBucketAccessKeys", {"accessKeys": [{"accessKeyId": KEYNEW, "status": "Active"}]}, {"bucketName": NAME})
    result = run_module(lightsail_bucket.main, {"name": NAME, "create_access_key": True, "delete_access_keys": [KEYOLD, "AKIAGONEGONEGONEGONE"]}, stub)
    assert result["changed"] is True and result["access_key"]["access_key_id"] == KEYNEW
    # second run: a key exists, nothing to do, no secret returned
    stub = Stubbed()
    stub.add("GetBuckets", {"buckets": [bucket()]}, GET)
    stub.add("GetBucketAccessKeys", {"accessKeys": [{"accessKeyId": KEYNEW, "status": "Active"}]}, {"bucketName": NAME})
    result = run_module(lightsail_bucket.main, {"name": NAME, "create_access_key": True, "delete_access_keys": [KEYOLD]}, stub)
    assert result["changed"] is False and "access_key" not in result
