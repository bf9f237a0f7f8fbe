# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail object storage buckets: bundle, versioning, access rules, keys, resource access."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import jsonable
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes

PUBLIC_ACCESS = {"private": "private", "public_read": "public"}


def describe_bucket(client, name):
    """The raw bucket (with the resources that have access to it) or ``None``."""
    response = client.call("GetBuckets", not_found_ok=True, bucketName=name, includeConnectedResources=True)
    buckets = (response or {}).get("buckets") or []
    return buckets[0] if buckets else None


def normalize_access_key(key):
    """An access key without its secret (the secret is only ever returned at creation)."""
    return jsonable({
        "access_key_id": key.get("accessKeyId"),
        "status": key.get("status"),
        "created_at": key.get("createdAt"),
        "last_used": (key.get("lastUsed") or {}).get("lastUsedDate"),
    })


class Bucket(LightsailResource):
    result_key = "bucket"

    def __init__(self, client, params):
        super().__init__(client, params)
        self.name = params["name"]
        self.keys = None  # raw access keys, read only when the task manages keys
        self.created_key = None

    @property
    def manages_keys(self):
        return bool(self.params.get("create_access_key") or self.params.get("delete_access_keys"))

    def describe(self):
        bucket = describe_bucket(self.client, self.name)
        if bucket is not None and self.manages_keys and self.state == "present":
            self.keys = self.client.call("GetBucketAccessKeys", bucketName=self.name).get("accessKeys") or []
        return bucket

    # -- desired values -------------------------------------------------------------------
    def _desired_versioning(self, current):
        wanted = self.params.get("versioning")
        if wanted is None:
            return None
        is_on = (current or {}).get("objectVersioning") == "Enabled"
        if wanted == is_on:
            return None
        return "Enabled" if wanted else "Suspended"

    def _desired_access_rules(self, current):
        rules = dict((current or {}).get("accessRules") or {})
        wanted = dict(rules)
        if self.params.get("public_access") is not None:
            wanted["getObject"] = PUBLIC_ACCESS[self.params["public_access"]]
        if self.params.get("allow_public_overrides") is not None:
            wanted["allowPublicOverrides"] = self.params["allow_public_overrides"]
        return None if wanted == rules else wanted

    def _desired_accounts(self, current):
        wanted = self.params.get("readonly_access_accounts")
        if wanted is None:
            return None
        have = sorted((current or {}).get("readonlyAccessAccounts") or [])
        return None if sorted(set(wanted)) == have else sorted(set(wanted))

    def _resource_access_changes(self, current):
        wanted = self.params.get("resource_access")
        if wanted is None:
            return [], []
        have = sorted(r["name"] for r in (current or {}).get("resourcesReceivingAccess") or [])
        allow = sorted(set(wanted) - set(have))
        deny = sorted(set(have) - set(wanted)) if self.params.get("purge_resource_access") else []
        return allow, deny

    def _keys_to_delete(self):
        have = {k["accessKeyId"] for k in self.keys or []}
        return [k for k in self.params.get("delete_access_keys") or [] if k in have]

    def _key_to_create(self):
        remaining = [k for k in self.keys or [] if k["accessKeyId"] not in self._keys_to_delete()]
        return bool(self.params.get("create_access_key")) and not remaining

    # -- validation and plan ---------------------------------------------------------------
    def validate(self, current):
        for account in self.params.get("readonly_access_accounts") or []:
            if not (len(account) == 12 and account.isdigit()):
                raise invalid("readonly_access_accounts: %r is not a 12-digit AWS account ID" % account)
        if self.state == "present" and current is None and not self.params.get("bundle_id"):
            raise invalid("bucket %s does not exist: bundle_id is required to create it (for example small_1_0)" % self.name)
        if self.state == "present" and current is not None:
            bundle = self.params.get("bundle_id")
            if bundle and bundle != current.get("bundleId") and current.get("ableToUpdateBundle") is False:
                raise invalid("bucket %s cannot change its bundle now (ableToUpdateBundle is false: Lightsail allows "
                              "one bundle change per month)" % self.name)
        if self.state == "absent" and current is not None and not self.params.get("force"):
            users = [r["name"] for r in current.get("resourcesReceivingAccess") or []]
            if users:
                raise invalid("bucket %s is still used by %s; set force=true to delete it anyway" % (self.name, ", ".join(users)))

    def plan_create(self):
        params = dict(bucketName=self.name, bundleId=self.params["bundle_id"])
        if self.params.get("versioning"):
            params["enableObjectVersioning"] = True
        if self.params.get("tags"):
            params["tags"] = dict_to_tags(self.params["tags"])
        actions = [Action("create bucket %s (%s)" % (self.name, self.params["bundle_id"]),
                          lambda: self.client.call("CreateBucket", **params))]
        update = self._update_params(None, creating=True)
        if update:
            actions.append(Action("update bucket %s (%s)" % (self.name, ", ".join(sorted(update))),
                                  lambda: self.client.call("UpdateBucket", bucketName=self.name, **update)))
        actions.extend(self._access_actions(None))
        if self.params.get("create_access_key"):
            actions.append(self._create_key_action())
        return actions

    def _update_params(self, current, creating=False):
        update = {}
        if not creating:
            versioning = self._desired_versioning(current)
            if versioning:
                update["versioning"] = versioning
        rules = self._desired_access_rules(current or {"accessRules": {"getObject": "private", "allowPublicOverrides": False}})
        if rules:
            update["accessRules"] = rules
        accounts = self._desired_accounts(current)
        if accounts is not None and (accounts or not creating):
            update["readonlyAccessAccounts"] = accounts
        return update

    def _access_actions(self, current):
        allow, deny = self._resource_access_changes(current)
        actions = []
        for name in allow:
            actions.append(Action("allow %s to access bucket %s" % (name, self.name), self._set_access(name, "allow")))
        for name in deny:
            actions.append(Action("deny %s access to bucket %s" % (name, self.name), self._set_access(name, "deny")))
        return actions

    def _set_access(self, resource, access):
        return lambda: self.client.call("SetResourceAccessForBucket", resourceName=resource, bucketName=self.name, access=access)

    def _create_key_action(self):
        def create():
            response = self.client.call("CreateBucketAccessKey", bucketName=self.name)
            self.created_key = response.get("accessKey")
            return response
        return Action("create an access key for bucket %s" % self.name, create)

    def plan_update(self, current):
        actions = []
        bundle = self.params.get("bundle_id")
        if bundle and bundle != current.get("bundleId"):
            actions.append(Action("change bundle of bucket %s to %s" % (self.name, bundle),
                                  lambda: self.client.call("UpdateBucketBundle", bucketName=self.name, bundleId=bundle)))
        update = self._update_params(current)
        if update:
            actions.append(Action("update bucket %s (%s)" % (self.name, ", ".join(sorted(update))),
                                  lambda: self.client.call("UpdateBucket", bucketName=self.name, **update)))
        actions.extend(self._access_actions(current))
        current_tags = normalize_resource({"tags": current.get("tags") or []})["tags"]
        to_set, to_remove = tag_changes(current_tags, self.params.get("tags"), self.params.get("purge_tags", True))
        if to_set or to_remove:
            actions.append(Action("update tags of bucket %s" % self.name,
                                  lambda: ensure_tags(self.client, self.name, current_tags, self.params.get("tags"),
                                                      self.params.get("purge_tags", True))))
        for key_id in self._keys_to_delete():
            actions.append(Action("delete access key %s of bucket %s" % (key_id, self.name),
                                  self._delete_key(key_id)))
        if self._key_to_create():
            actions.append(self._create_key_action())
        return actions

    def _delete_key(self, key_id):
        return lambda: self.client.call("DeleteBucketAccessKey", bucketName=self.name, accessKeyId=key_id)

    def plan_delete(self, current):
        force = bool(self.params.get("force"))

        def delete():
            try:
                return self.client.call("DeleteBucket", bucketName=self.name, forceDelete=force)
            except LightsailError as error:
                if not force and error.code in ("InvalidInputException", "BucketNotEmpty", "OperationFailureException"):
                    raise LightsailError("bucket %s was not deleted: %s. It still holds objects, access keys or "
                                         "connected resources; set force=true to delete it with its content"
                                         % (self.name, error.msg), code=error.code, operation="DeleteBucket", cause=error.cause)
                raise
        return [Action("delete bucket %s%s" % (self.name, " (forced)" if force else ""), delete)]

    # -- results ----------------------------------------------------------------------------
    def normalize(self, raw):
        return normalize_resource(raw)

    def predict(self, current):
        if self.state == "absent":
            return {}
        after = self.normalize(current) if current is not None else {
            "name": self.name, "bundle_id": self.params.get("bundle_id"), "object_versioning": "NeverEnabled",
            "access_rules": {"get_object": "private", "allow_public_overrides": False}, "readonly_access_accounts": [],
            "resources_receiving_access": [], "tags": {},
        }
        if self.params.get("bundle_id"):
            after["bundle_id"] = self.params["bundle_id"]
        if self.params.get("versioning") is not None:
            after["object_versioning"] = "Enabled" if self.params["versioning"] else (
                "NeverEnabled" if after.get("object_versioning") == "NeverEnabled" else "Suspended")
        rules = dict(after.get("access_rules") or {})
        if self.params.get("public_access") is not None:
            rules["get_object"] = PUBLIC_ACCESS[self.params["public_access"]]
        if self.params.get("allow_public_overrides") is not None:
            rules["allow_public_overrides"] = self.params["allow_public_overrides"]
        after["access_rules"] = rules
        if self.params.get("readonly_access_accounts") is not None:
            after["readonly_access_accounts"] = sorted(set(self.params["readonly_access_accounts"]))
        allow, deny = self._resource_access_changes(current)
        receiving = [r for r in after.get("resources_receiving_access") or [] if r.get("name") not in deny]
        receiving.extend({"name": name, "resource_type": "Instance"} for name in allow)
        after["resources_receiving_access"] = receiving
        after["tags"] = predict_tags(after.get("tags") or {}, self.params.get("tags"), self.params.get("purge_tags", True))
        return after

    def refresh(self, current):
        if self.state == "absent":
            return None
        bucket = describe_bucket(self.client, self.name)
        if self.manages_keys and bucket is not None:
            self.keys = self.client.call("GetBucketAccessKeys", bucketName=self.name).get("accessKeys") or []
        return bucket

    def extra_result(self, current, after):
        result = {}
        if self.keys is not None:
            result["access_keys"] = [normalize_access_key(k) for k in self.keys]
        if self.created_key:
            key = normalize_access_key(self.created_key)
            key["secret_access_key"] = self.created_key.get("secretAccessKey")
            result["access_key"] = key
        return result


def bucket_info(client, name=None, include_access_keys=False, include_bundles=False):
    """``{"buckets": [...]}`` (one or all), optionally with access keys and the bucket bundles."""
    if name:
        bucket = describe_bucket(client, name)
        raw = [bucket] if bucket else []
    else:
        raw = client.paginate("GetBuckets", "buckets", includeConnectedResources=True)
    buckets = []
    for item in raw:
        bucket = normalize_resource(item)
        if include_access_keys:
            keys = client.call("GetBucketAccessKeys", bucketName=item["name"]).get("accessKeys") or []
            bucket["access_keys"] = [normalize_access_key(k) for k in keys]
        buckets.append(bucket)
    result = {"buckets": buckets}
    if include_bundles:
        result["bundles"] = normalize_resource({"b": client.call("GetBucketBundles", includeInactive=False).get("bundles") or []})["b"]
    return result
