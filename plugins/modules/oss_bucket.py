#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: oss_bucket
short_description: Manage an Aliyun OSS bucket (ACL, public access block, versioning, encryption, lifecycle, tags)
version_added: 0.1.0
description:
  - Create, update or delete an Alibaba Cloud Object Storage Service bucket.
  - Options left unset are not managed. Only what differs is changed.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.aliyun
  - opsforge.infra.aliyun.attributes
  - opsforge.infra.aliyun.oss
attributes:
  diff_mode:
    support: full
    description: Returns the bucket's settings before and after.
options:
  name:
    description: Bucket name (globally unique, 3 to 63 characters).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the bucket; V(absent) deletes it (OSS refuses to delete a bucket that still holds objects).
    type: str
    choices: [present, absent]
    default: present
  storage_class:
    description: Storage class, used only when the bucket is created.
    type: str
    choices: [Standard, IA, Archive, ColdArchive]
    default: Standard
  acl:
    description: Bucket ACL. New buckets are V(private) unless set.
    type: str
    choices: [private, public-read, public-read-write]
  block_public_access:
    description: Turn the bucket's Block Public Access on (V(true)) or off (V(false)).
    type: bool
  versioning:
    description:
      - V(enabled) or V(suspended). A versioned bucket cannot return to unversioned.
    type: str
    choices: [enabled, suspended]
  encryption:
    description:
      - Default server-side encryption. An empty O(encryption.algorithm) removes it.
    type: dict
    suboptions:
      algorithm:
        description: Encryption algorithm.
        type: str
        choices: [AES256, KMS, SM4]
      kms_key_id:
        description: KMS key ID when O(encryption.algorithm=KMS); empty uses the OSS-managed KMS key.
        type: str
  lifecycle_rules:
    description:
      - The complete list of lifecycle rules. V([]) removes all rules; unset leaves them alone.
      - OSS allows one kind of expiration per rule, so expired delete markers need a rule of their own.
      - OSS refuses two rules with the same action (both expiration kinds are one action) on overlapping prefixes
        (one prefix starts the other, V("") overlaps every prefix); such a list fails before anything is written.
    type: list
    elements: dict
    suboptions:
      id:
        description: Rule ID.
        type: str
        required: true
      prefix:
        description: Key prefix the rule applies to; empty for the whole bucket.
        type: str
        default: ''
      enabled:
        description: Whether the rule is active.
        type: bool
        default: true
      expiration_days:
        description: Delete current versions this many days after they were last modified.
        type: int
      expired_object_delete_marker:
        description: Remove delete markers that no longer hide any version (frees space under versioning).
        type: bool
        default: false
      noncurrent_expiration_days:
        description: Delete noncurrent versions this many days after they became noncurrent.
        type: int
      abort_multipart_days:
        description: Abort multipart uploads left incomplete for this many days.
        type: int
  tags:
    description: Bucket tags. Unset leaves tags alone.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not listed in O(tags).
    type: bool
    default: true
requirements:
  - oss2
seealso:
  - module: opsforge.infra.ots_table
  - module: opsforge.infra.fc_function
"""

EXAMPLES = r"""
- name: Private, versioned, encrypted bucket for camera images
  opsforge.infra.oss_bucket:
    name: camera-images-prod
    region: cn-hangzhou
    acl: private
    block_public_access: true
    versioning: enabled
    encryption:
      algorithm: AES256
    lifecycle_rules:
      - id: images
        prefix: devices/
        expiration_days: 30
        noncurrent_expiration_days: 1
        abort_multipart_days: 1
      - id: archive-delete-markers
        prefix: archive/
        expired_object_delete_marker: true
    tags:
      app: camera

- name: Delete the bucket
  opsforge.infra.oss_bucket:
    name: camera-images-old
    state: absent
"""

RETURN = r"""
bucket:
  description: The bucket after the run (predicted in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Bucket name.
      type: str
      sample: camera-images-prod
    location:
      description: Region location, for example C(oss-cn-hangzhou).
      type: str
    storage_class:
      description: Storage class.
      type: str
    creation_date:
      description: When the bucket was created.
      type: str
    acl:
      description: Bucket ACL.
      type: str
      sample: private
    block_public_access:
      description: Whether Block Public Access is on.
      type: bool
    versioning:
      description: V(enabled), V(suspended) or V(disabled).
      type: str
    encryption:
      description: Default encryption (C(algorithm), C(kms_key_id)) or null.
      type: dict
    lifecycle_rules:
      description: Lifecycle rules, sorted by ID, in the shape of O(lifecycle_rules).
      type: list
      elements: dict
    tags:
      description: Bucket tags.
      type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import oss
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import AUTH_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec, TAGS_SPEC, state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule

RULE_SPEC = dict(
    id=dict(type="str", required=True),
    prefix=dict(type="str", default=""),
    enabled=dict(type="bool", default=True),
    expiration_days=dict(type="int"),
    expired_object_delete_marker=dict(type="bool", default=False),
    noncurrent_expiration_days=dict(type="int"),
    abort_multipart_days=dict(type="int"),
)


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        endpoint=dict(type="str"),
        storage_class=dict(type="str", default="Standard", choices=["Standard", "IA", "Archive", "ColdArchive"]),
        acl=dict(type="str", choices=["private", "public-read", "public-read-write"]),
        block_public_access=dict(type="bool"),
        versioning=dict(type="str", choices=["enabled", "suspended"]),
        encryption=dict(type="dict", options=dict(algorithm=dict(type="str", choices=["AES256", "KMS", "SM4"]), kms_key_id=dict(type="str"))),
        lifecycle_rules=dict(type="list", elements="dict", options=RULE_SPEC),
    ))
    return spec.merge(state_spec("present", "absent")).merge(TAGS_SPEC).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(oss.run_oss_bucket, module)


if __name__ == "__main__":
    main()
