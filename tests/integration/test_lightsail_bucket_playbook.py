# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_bucket run by ansible-playbook the way the integration targets do it (check mode, apply,
check mode again, apply again, absent twice) against a Lightsail JSON endpoint on 127.0.0.1."""

from __future__ import annotations

import os
import sys

import pytest
from test_lightsail_metric_playbook import FakeLightsail, fake_lightsail

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from lab import run_playbook  # noqa: E402  (tests/lab.py)

NAME = "acme-assets"
BUCKET = {"name": NAME, "arn": "arn:aws:lightsail:eu-west-1:123456789012:Bucket/acme-assets", "bundleId": "small_1_0",
          "createdAt": 1_793_527_200, "objectVersioning": "Enabled", "ableToUpdateBundle": True,
          "accessRules": {"getObject": "private", "allowPublicOverrides": False}, "readonlyAccessAccounts": [],
          "resourcesReceivingAccess": [], "state": {"code": "OK"}, "tags": [{"key": "purpose", "value": "opsforge-it"}]}
NOT_FOUND = (400, {"__type": "NotFoundException", "message": "The bucket does not exist"})
OPERATION = {"id": "op-1", "resourceName": NAME, "resourceType": "Bucket", "status": "Succeeded", "isTerminal": True}

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/opsforge.infra.lightsail:
      region: eu-west-1
      endpoint_url: "{{ endpoint }}"
      access_key: AKIAEXAMPLEKEY000001
      secret_key: not-a-real-secret-key
  vars:
    bucket_args: {name: acme-assets, bundle_id: small_1_0, versioning: true, tags: {purpose: opsforge-it}}
  tasks:
    - {name: create in check mode, opsforge.infra.lightsail_bucket: "{{ bucket_args }}", check_mode: true, register: r1}
    - {name: create, opsforge.infra.lightsail_bucket: "{{ bucket_args }}", register: r2}
    - {name: again in check mode, opsforge.infra.lightsail_bucket: "{{ bucket_args }}", check_mode: true, register: r3}
    - {name: again, opsforge.infra.lightsail_bucket: "{{ bucket_args }}", register: r4}
    - {name: absent, opsforge.infra.lightsail_bucket: {name: acme-assets, state: absent}, register: r5}
    - {name: absent again, opsforge.infra.lightsail_bucket: {name: acme-assets, state: absent}, register: r6}
"""


@pytest.fixture
def endpoint():
    with fake_lightsail() as url:
        yield url


def test_target_style_lifecycle_through_ansible_playbook(endpoint):
    FakeLightsail.queue = [
        NOT_FOUND,                                             # check mode: read only
        NOT_FOUND, (200, {"operations": [OPERATION]}), (200, {"buckets": [BUCKET]}),  # create, read back
        (200, {"buckets": [BUCKET]}),                          # check mode again
        (200, {"buckets": [BUCKET]}),                          # again
        (200, {"buckets": [BUCKET]}), (200, {"operations": [dict(OPERATION, id="op-2")]}),  # delete
        NOT_FOUND,                                             # absent again
    ]
    run = run_playbook(PLAYBOOK, inventory="localhost,", extra_vars={"endpoint": endpoint, "ansible_python_interpreter": sys.executable})
    assert run.rc == 0, run.explain()
    changed = [run.task_results(name)[0]["changed"] for name in
               ("create in check mode", "create", "again in check mode", "again", "absent", "absent again")]
    assert changed == [True, True, False, False, True, False]
    assert run.task_results("create")[0]["bucket"]["tags"] == {"purpose": "opsforge-it"}
    operations = [op for op, _body, _auth in FakeLightsail.requests]
    assert operations == ["GetBuckets", "GetBuckets", "CreateBucket", "GetBuckets", "GetBuckets", "GetBuckets", "GetBuckets",
                          "DeleteBucket", "GetBuckets"]
    create = FakeLightsail.requests[2][1]
    assert create == {"bucketName": NAME, "bundleId": "small_1_0", "enableObjectVersioning": True,
                      "tags": [{"key": "purpose", "value": "opsforge-it"}]}
