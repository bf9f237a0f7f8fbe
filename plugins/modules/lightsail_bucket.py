#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_bucket
short_description: Manage Amazon Lightsail object storage buckets
version_added: 0.1.0
description:
  - Create, update and delete Lightsail buckets (bundle, object versioning, access rules
    (private, public read, per-object ACLs), read-only access for other AWS accounts, and access
    for Lightsail instances with C(SetResourceAccessForBucket)).
  - Creates and deletes bucket access keys. The secret of a new key is returned B(once).
  - To upload or download objects use M(amazon.aws.s3_object) with the bucket's access key and the
    bucket's region (see the examples); this module does not transfer objects.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the bucket (globally unique).
    type: str
    required: true
  state:
    description: Whether the bucket should exist.
    type: str
    choices: [present, absent]
    default: present
  bundle_id:
    description:
      - Storage plan, for example V(small_1_0), V(medium_1_0), V(large_1_0).
      - Required to create. Changing it later calls C(UpdateBucketBundle); Lightsail allows one change a month.
    type: str
  versioning:
    description: Enable (V(true)) or suspend (V(false)) object versioning. Unset leaves it alone.
    type: bool
  public_access:
    description: Default access to objects. V(private) or V(public_read) (anyone can read every object).
    type: str
    choices: [private, public_read]
  allow_public_overrides:
    description: Allow individual objects to be made public with an object ACL even when O(public_access=private).
    type: bool
  readonly_access_accounts:
    description: AWS account IDs (12 digits) that get read-only access to the bucket. V([]) removes them all.
    type: list
    elements: str
  resource_access:
    description: Lightsail instances that may access the bucket.
    type: list
    elements: str
  purge_resource_access:
    description: Deny access to instances that are not listed in O(resource_access).
    type: bool
    default: false
  create_access_key:
    description:
      - Make sure the bucket has an access key; one is created when the bucket has none (after O(delete_access_keys)).
      - The secret is returned in RV(access_key.secret_access_key) only by the run that creates the key.
    type: bool
    default: false
  delete_access_keys:
    description: IDs of access keys to delete. Unknown IDs are ignored.
    type: list
    elements: str
  force:
    description:
      - With O(state=absent), delete the bucket even when it holds objects, has access keys or gives access
        to instances (C(forceDelete)). Without it such a bucket is refused.
    type: bool
    default: false
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - opsforge.infra.lightsail.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
    details: Every run with O(create_access_key=true) on a bucket without keys creates one.
notes:
  - Lightsail buckets cannot be renamed or moved to another region.
"""

EXAMPLES = r"""
- name: A private bucket with versioning, readable by one instance
  opsforge.infra.lightsail_bucket:
    name: acme-assets
    bundle_id: small_1_0
    versioning: true
    public_access: private
    allow_public_overrides: true
    resource_access: [web-1]
    tags:
      env: prod
    region: eu-west-1

- name: Create an access key (the secret is shown only now)
  opsforge.infra.lightsail_bucket:
    name: acme-assets
    create_access_key: true
    region: eu-west-1
  register: bucket
  no_log: true

- name: Upload an object with amazon.aws.s3_object and the bucket's key
  amazon.aws.s3_object:
    bucket: acme-assets
    object: site/index.html
    src: files/index.html
    mode: put
    region: eu-west-1
    access_key: "{{ bucket.access_key.access_key_id }}"
    secret_key: "{{ bucket.access_key.secret_access_key }}"
  no_log: true

- name: Download it again
  amazon.aws.s3_object:
    bucket: acme-assets
    object: site/index.html
    dest: /tmp/index.html
    mode: get
    region: eu-west-1
    access_key: "{{ bucket.access_key.access_key_id }}"
    secret_key: "{{ bucket.access_key.secret_access_key }}"
  no_log: true

- name: Delete the bucket with everything in it
  opsforge.infra.lightsail_bucket:
    name: acme-assets
    state: absent
    force: true
    region: eu-west-1
"""

RETURN = r"""
bucket:
  description: The bucket after the run (empty after O(state=absent)); keys in snake_case.
  returned: always
  type: dict
  sample:
    name: acme-assets
    bundle_id: small_1_0
    url: https://acme-assets.s3.eu-west-1.amazonaws.com/
    object_versioning: Enabled
    access_rules: {get_object: private, allow_public_overrides: true}
    readonly_access_accounts: []
    resources_receiving_access: [{name: web-1, resource_type: Instance}]
    state: {code: OK}
    tags: {env: prod}
access_key:
  description:
    - The access key created by this run, with its secret.
    - B(Warning) this is a secret, returned only once. Register it with C(no_log) and store it safely.
  returned: when a key was created
  type: dict
  contains:
    access_key_id:
      description: The key ID.
      type: str
    secret_access_key:
      description: The secret key. Secret.
      type: str
    status:
      description: V(Active) or V(Inactive).
      type: str
access_keys:
  description: The bucket's access keys (no secrets).
  returned: when O(create_access_key) or O(delete_access_keys) is set and the bucket exists
  type: list
  elements: dict
  sample: [{access_key_id: AKIAEXAMPLE, status: Active, created_at: "2026-01-02T03:04:05+00:00", last_used: null}]
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: ["create bucket acme-assets (small_1_0)"]
diff:
  description: The bucket before and after (same shape as RV(bucket)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.bucket import Bucket
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        bundle_id=dict(type="str"),
        versioning=dict(type="bool"),
        public_access=dict(type="str", choices=["private", "public_read"]),
        allow_public_overrides=dict(type="bool"),
        readonly_access_accounts=dict(type="list", elements="str"),
        resource_access=dict(type="list", elements="str"),
        purge_resource_access=dict(type="bool", default=False),
        create_access_key=dict(type="bool", default=False),
        delete_access_keys=dict(type="list", elements="str", no_log=False),
        force=dict(type="bool", default=False),
    ))
    return spec.merge(state_spec("present", "absent")).merge(WAIT_SPEC).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: Bucket(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
