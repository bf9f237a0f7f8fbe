# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The documented object workflow: lightsail_bucket creates an access key, amazon.aws.s3_object
puts and gets an object with it.

Lightsail is stubbed (Stubber); S3 is a real S3 server (moto_server) on 127.0.0.1, and the
s3_object tasks run through ansible-playbook exactly as in the module's EXAMPLES.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest
from lightsail_utils import CREATED, Stubbed, arn, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_bucket

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from lab import BIN, run_playbook  # noqa: E402  (tests/lab.py)

NAME = "acme-assets"
KEY_ID = "AKIAEXAMPLEKEY000001"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _free_port(first=21500, last=21599):
    for port in range(first, last + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in %d-%d" % (first, last))


@pytest.fixture(scope="module")
def s3_endpoint():
    server = os.path.join(BIN, "moto_server")
    if not os.path.exists(server):
        pytest.skip("moto_server not installed (pip install 'moto[s3,server]')")
    port = _free_port()
    proc = subprocess.Popen([server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = "http://127.0.0.1:%d" % port
    try:
        for _attempt in range(100):
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not start on %s" % endpoint)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _create_key_with_the_module():
    stub = Stubbed()
    get = {"bucketName": NAME, "includeConnectedResources": True}
    bucket = {"name": NAME, "arn": arn("Bucket", NAME), "bundleId": "small_1_0", "createdAt": CREATED, "tags": [],
              "accessRules": {"getObject": "private", "allowPublicOverrides": False}, "state": {"code": "OK"}}
    stub.add("GetBuckets", {"buckets": [bucket]}, get)
    stub.add("GetBucketAccessKeys", {"accessKeys": []}, {"bucketName": NAME})
    stub.add("CreateBucketAccessKey", {"accessKey": {"accessKeyId": KEY_ID, "secretAccessKey": SECRET, "status": "Active"}})
    stub.add("GetBuckets", {"buckets": [bucket]}, get)
    stub.add("GetBucketAccessKeys", {"accessKeys": [{"accessKeyId": KEY_ID, "status": "Active"}]}, {"bucketName": NAME})
    return run_module(lightsail_bucket.main, {"name": NAME, "create_access_key": True}, stub)


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Upload with the bucket's key
      amazon.aws.s3_object:
        bucket: "{{ bucket_name }}"
        object: site/index.html
        content: "<h1>hello from lightsail</h1>"
        mode: put
        region: us-east-1
        endpoint_url: "{{ endpoint }}"
        access_key: "{{ bucket.access_key.access_key_id }}"
        secret_key: "{{ bucket.access_key.secret_access_key }}"
      no_log: true

    - name: Download it
      amazon.aws.s3_object:
        bucket: "{{ bucket_name }}"
        object: site/index.html
        mode: getstr
        region: us-east-1
        endpoint_url: "{{ endpoint }}"
        access_key: "{{ bucket.access_key.access_key_id }}"
        secret_key: "{{ bucket.access_key.secret_access_key }}"
      register: got
      no_log: true

    - name: Show it
      ansible.builtin.debug:
        msg: "{{ got.contents }}"
"""


def test_key_from_lightsail_bucket_works_with_s3_object(s3_endpoint):
    result = _create_key_with_the_module()
    assert result["changed"] is True
    key = result["access_key"]
    # the bucket itself is Lightsail's job (stubbed above); create it on the local S3 server
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                      aws_access_key_id=key["access_key_id"], aws_secret_access_key=key["secret_access_key"])
    s3.create_bucket(Bucket=NAME)

    extra_vars = {"bucket": result, "bucket_name": NAME, "endpoint": s3_endpoint, "ansible_python_interpreter": sys.executable}
    run = run_playbook(PLAYBOOK, inventory="localhost,", extra_vars=extra_vars)
    assert run.rc == 0, run.explain()
    assert run.task_results("Upload with the bucket's key")[0]["changed"] is True
    assert run.task_results("Show it")[0]["msg"] == "<h1>hello from lightsail</h1>"
    body = s3.get_object(Bucket=NAME, Key="site/index.html")["Body"].read()
    assert body == b"<h1>hello from lightsail</h1>"
    assert SECRET not in run.stdout  # no_log kept the secret out of the output
