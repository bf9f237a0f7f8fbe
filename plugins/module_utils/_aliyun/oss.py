# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""OSS buckets: describe, compare, converge (used by the ``oss_bucket`` module)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import OSS2, run_flow
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError, call
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.resource import Action, AliyunResource
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import compare_tags

NOT_FOUND_BUCKET = ("NoSuchBucket",)
RULE_KEYS = ("id", "prefix", "enabled", "expiration_days", "expired_object_delete_marker", "noncurrent_expiration_days", "abort_multipart_days")


def bucket_client(creds, name, endpoint=None):
    oss2 = OSS2
    auth = oss2.StsAuth(creds.access_key, creds.secret_key, creds.security_token) if creds.security_token else oss2.Auth(creds.access_key, creds.secret_key)
    endpoint = endpoint or "https://oss-%s.aliyuncs.com" % creds.region
    return oss2.Bucket(auth, endpoint, name, connect_timeout=30)


def normalize_rule(rule):
    """A lifecycle rule as a flat dict with every key (None where unset)."""
    out = {key: rule.get(key) for key in RULE_KEYS}
    out["prefix"] = out["prefix"] or ""
    out["enabled"] = True if out["enabled"] is None else bool(out["enabled"])
    out["expired_object_delete_marker"] = bool(out["expired_object_delete_marker"])
    return out


def validate_rules(rules):
    """Refuse rules OSS would reject, before any write."""
    seen = set()
    for rule in rules:
        if rule["id"] in seen:
            raise AliyunError("lifecycle rule id %s is used twice" % rule["id"])
        seen.add(rule["id"])
        if rule["expiration_days"] and rule["expired_object_delete_marker"]:
            raise AliyunError("lifecycle rule %s: expiration_days and expired_object_delete_marker cannot be in one rule "
                              "(OSS allows one expiration kind per rule); use two rules" % rule["id"])
        if not any(rule[k] for k in ("expiration_days", "expired_object_delete_marker", "noncurrent_expiration_days", "abort_multipart_days")):
            raise AliyunError("lifecycle rule %s has no action" % rule["id"])
        for key in ("expiration_days", "noncurrent_expiration_days", "abort_multipart_days"):
            if rule[key] is not None and rule[key] < 1:
                raise AliyunError("lifecycle rule %s: %s must be at least 1" % (rule["id"], key))
    _refuse_overlaps(rules)


# rule key => the OSS lifecycle action it becomes (both expiration kinds are one Expiration action)
RULE_ACTIONS = {"expiration_days": "Expiration", "expired_object_delete_marker": "Expiration",
                "noncurrent_expiration_days": "NoncurrentVersionExpiration", "abort_multipart_days": "AbortMultipartUpload"}


def _refuse_overlaps(rules):
    """OSS refuses two rules with the same action on overlapping prefixes (one prefix starts the other)."""
    for i, first in enumerate(rules):
        for second in rules[i + 1:]:
            if not (first["prefix"].startswith(second["prefix"]) or second["prefix"].startswith(first["prefix"])):
                continue
            shared = sorted({RULE_ACTIONS[k] for k in RULE_ACTIONS if first[k]} & {RULE_ACTIONS[k] for k in RULE_ACTIONS if second[k]})
            if shared:
                raise AliyunError("lifecycle rules %s and %s overlap (prefixes %r and %r) with the same action %s, which OSS refuses; "
                                  "give each prefix one rule" % (first["id"], second["id"], first["prefix"], second["prefix"], shared[0]))


def _rule_from_oss(rule):
    exp = rule.expiration
    nve = getattr(rule, "noncurrent_version_expiration", None)
    abort = rule.abort_multipart_upload
    return normalize_rule({
        "id": rule.id,
        "prefix": rule.prefix,
        "enabled": rule.status == "Enabled",
        "expiration_days": exp.days if exp is not None else None,
        "expired_object_delete_marker": bool(exp is not None and getattr(exp, "expired_detete_marker", None)),
        "noncurrent_expiration_days": nve.noncurrent_days if nve is not None else None,
        "abort_multipart_days": abort.days if abort is not None else None,
    })


def _rule_to_oss(rule):
    models = OSS2.models
    expiration = None
    if rule["expiration_days"]:
        expiration = models.LifecycleExpiration(days=rule["expiration_days"])
    elif rule["expired_object_delete_marker"]:
        expiration = models.LifecycleExpiration(expired_detete_marker=True)
    return models.LifecycleRule(
        rule["id"], rule["prefix"], status="Enabled" if rule["enabled"] else "Disabled", expiration=expiration,
        abort_multipart_upload=models.AbortMultipartUpload(days=rule["abort_multipart_days"]) if rule["abort_multipart_days"] else None,
        noncurrent_version_expiration=(
            models.NoncurrentVersionExpiration(rule["noncurrent_expiration_days"]) if rule["noncurrent_expiration_days"] else None
        ),
    )


class OssBucket(AliyunResource):
    """One bucket on the resource loop: every changed setting is one action, in a fixed order."""

    result_key = "bucket"

    @property
    def bucket(self):
        return self.client

    def describe(self):
        b = self.bucket
        info = call("get bucket info", b.get_bucket_info, not_found=NOT_FOUND_BUCKET)
        if info is None:
            return None
        pab = call("get public access block", b.get_bucket_public_access_block, not_found=(404, "NoSuchPublicAccessBlockConfiguration"))
        versioning = call("get bucket versioning", b.get_bucket_versioning)
        encryption = call("get bucket encryption", b.get_bucket_encryption, not_found=("NoSuchServerSideEncryptionRule",))
        lifecycle = call("get bucket lifecycle", b.get_bucket_lifecycle, not_found=("NoSuchLifecycle",))
        tagging = call("get bucket tagging", b.get_bucket_tagging, not_found=("NoSuchTagSet",))
        status = getattr(versioning, "status", None)
        return {
            "name": info.name,
            "location": info.location,
            "storage_class": info.storage_class,
            "creation_date": info.creation_date,
            "acl": info.acl.grant if info.acl is not None else None,
            "block_public_access": bool(pab.block_public_access) if pab is not None else False,
            "versioning": status.lower() if status else "disabled",
            "encryption": (
                {"algorithm": encryption.sse_algorithm, "kms_key_id": encryption.kms_master_keyid or None}
                if encryption is not None and encryption.sse_algorithm else None
            ),
            "lifecycle_rules": sorted((_rule_from_oss(r) for r in (lifecycle.rules if lifecycle else [])), key=lambda r: r["id"]),
            "tags": dict(tagging.tag_set.tagging_rule) if getattr(tagging, "tag_set", None) is not None else {},
        }

    def plan_create(self):
        return self.plan_update(None)

    def plan_update(self, current):
        changes, self.predicted = plan_bucket(self.bucket.bucket_name, current, self.params)
        return [Action(change, lambda change=change, arg=arg: self.write(change, arg)) for change, arg in changes]

    def plan_delete(self, current):
        return [Action("delete", lambda: call("delete bucket", self.bucket.delete_bucket, not_found=NOT_FOUND_BUCKET))]

    def predict(self, current):
        return {} if self.absent else self.predicted

    def write(self, change, arg):
        """One planned change (``acl``, ``tags``, ...) sent to OSS."""
        b = self.bucket
        models = OSS2.models
        if change == "create":
            call("create bucket", b.create_bucket, arg, models.BucketCreateConfig(self.params.get("storage_class") or "Standard"))
        elif change == "acl":
            call("set bucket acl", b.put_bucket_acl, arg)
        elif change == "public_access_block":
            if arg:
                call("block public access", b.put_bucket_public_access_block, True)
            else:
                call("remove public access block", b.delete_bucket_public_access_block)
        elif change == "versioning":
            call("set versioning", b.put_bucket_versioning, models.BucketVersioningConfig(arg.capitalize()))
        elif change == "encryption":
            if arg is None:
                call("delete encryption", b.delete_bucket_encryption)
            else:
                call("set encryption", b.put_bucket_encryption, models.ServerSideEncryptionRule(arg["algorithm"], arg["kms_key_id"]))
        elif change == "lifecycle":
            if arg:
                call("set lifecycle", b.put_bucket_lifecycle, models.BucketLifecycle([_rule_to_oss(r) for r in arg]))
            else:
                call("delete lifecycle", b.delete_bucket_lifecycle)
        elif change == "tags":
            self._write_tags(arg)

    def _write_tags(self, tags):
        models = OSS2.models
        if not tags:
            call("delete tags", self.bucket.delete_bucket_tagging)
            return
        rule = models.TaggingRule()
        for key, value in sorted(tags.items()):
            rule.add(key, value)
        call("set tags", self.bucket.put_bucket_tagging, models.Tagging(rule))


def plan_bucket(name, current, params):
    """The list of (change, argument) needed to reach the options in params, and the 'after' state."""
    after = dict(current or {"name": name, "acl": "private", "block_public_access": False, "versioning": "disabled",
                             "encryption": None, "lifecycle_rules": [], "tags": {}, "storage_class": params.get("storage_class")})
    actions = []
    if current is None:
        actions.append(("create", params.get("acl") or "private"))
        after["acl"] = params.get("acl") or "private"
    elif params.get("acl") and params["acl"] != current["acl"]:
        actions.append(("acl", params["acl"]))
        after["acl"] = params["acl"]
    if params.get("block_public_access") is not None and params["block_public_access"] != after["block_public_access"]:
        actions.append(("public_access_block", params["block_public_access"]))
        after["block_public_access"] = params["block_public_access"]
    wanted = params.get("versioning")
    # suspending a never-versioned bucket changes nothing
    if wanted and wanted != after["versioning"] and not (wanted == "suspended" and after["versioning"] == "disabled"):
        actions.append(("versioning", wanted))
        after["versioning"] = wanted
    if params.get("encryption") is not None:
        wanted = params["encryption"]
        wanted = {"algorithm": wanted["algorithm"], "kms_key_id": wanted.get("kms_key_id") or None} if wanted.get("algorithm") else None
        if wanted != after["encryption"]:
            actions.append(("encryption", wanted))
            after["encryption"] = wanted
    if params.get("lifecycle_rules") is not None:
        rules = sorted((normalize_rule(r) for r in params["lifecycle_rules"]), key=lambda r: r["id"])
        validate_rules(rules)
        if rules != after["lifecycle_rules"]:
            actions.append(("lifecycle", rules))
            after["lifecycle_rules"] = rules
    to_set, to_remove = compare_tags(after["tags"], params.get("tags"), params.get("purge_tags", True))
    if to_set or to_remove:
        tags = {k: v for k, v in after["tags"].items() if k not in to_remove}
        tags.update(to_set)
        actions.append(("tags", tags))
        after["tags"] = tags
    return actions, after


def run(bucket, params, check_mode):
    """Converge one bucket; return the module result (changed, diff, bucket)."""
    return OssBucket(bucket, params, check_mode).run()


def describe_info(bucket, params, check_mode=False):
    """oss_bucket_info's result: the bucket as oss_bucket returns it; never a change."""
    current = OssBucket(bucket).describe()
    return dict(changed=False, exists=current is not None, bucket=current or {})


def _connect(creds, params):
    return bucket_client(creds, params["name"], params["endpoint"])


def run_oss_bucket(module):
    """oss_bucket's one call."""
    return run_flow(module, (OSS2,), _connect, run)


def run_oss_bucket_info(module):
    """oss_bucket_info's one call."""
    return run_flow(module, (OSS2,), _connect, describe_info)
