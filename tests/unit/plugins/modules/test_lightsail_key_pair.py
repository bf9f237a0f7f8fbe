# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""opsforge.infra.lightsail_key_pair and lightsail_key_pair_info against a Stubber-checked client."""

from __future__ import annotations

import os
import stat
import sys

sys.path.insert(0, os.path.dirname(__file__))

from lightsail_utils import CREATED, Stubbed, arn, operation, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_key_pair, lightsail_key_pair_info

KEY = {"name": "deploy", "arn": arn("KeyPair", "deploy"), "createdAt": CREATED, "resourceType": "KeyPair",
       "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "fingerprint": "a1:b2:c3",
       "tags": [{"key": "team", "value": "ops"}]}
PRIVATE = "-----BEGIN RSA PRIVATE KEY-----\nMIIEexample\n-----END RSA PRIVATE KEY-----\n"
PUBLIC = "ssh-rsa AAAAB3NzaC1yc2E example"


def kop(op_type):
    return {"operation": operation(op_type, "deploy", resource_type="KeyPair")}


def get(stub, value=None, missing=False):
    if missing:
        stub.error("GetKeyPair", params={"keyPairName": "deploy"})
    else:
        stub.add("GetKeyPair", {"keyPair": value or KEY}, {"keyPairName": "deploy"})


def test_create_returns_private_key_once_and_writes_0600(tmp_path):
    path = tmp_path / "deploy.pem"
    stub = Stubbed()
    get(stub, missing=True)
    stub.add("CreateKeyPair", dict(kop("CreateKeyPair"), keyPair=KEY, publicKeyBase64=PUBLIC, privateKeyBase64=PRIVATE),
             {"keyPairName": "deploy", "tags": [{"key": "team", "value": "ops"}]})
    get(stub)
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "tags": {"team": "ops"}, "private_key_path": str(path)}, stub)
    assert result["changed"] is True
    assert result["private_key"] == PRIVATE and result["public_key"] == PUBLIC
    assert result["key_pair"]["tags"] == {"team": "ops"}
    assert path.read_text() == PRIVATE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["deploy.pem"]


def test_existing_is_one_read_and_never_returns_a_key():
    stub = Stubbed()
    get(stub)
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "tags": {"team": "ops"}}, stub)
    assert result["changed"] is False and "private_key" not in result
    assert stub.calls == ["GetKeyPair"]


def test_import_public_key():
    stub = Stubbed()
    get(stub, missing=True)
    stub.add("ImportKeyPair", kop("ImportKeyPair"), {"keyPairName": "deploy", "publicKeyBase64": PUBLIC})
    get(stub, dict(KEY, tags=[]))
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "public_key": PUBLIC + "\n"}, stub)
    assert result["actions"] == ["import key pair deploy"] and "private_key" not in result


def test_retag():
    stub = Stubbed()
    get(stub)
    stub.add("TagResource", {"operations": [operation("TagResource", "deploy", resource_type="KeyPair")]},
             {"resourceName": "deploy", "tags": [{"key": "team", "value": "web"}]})
    get(stub, dict(KEY, tags=[{"key": "team", "value": "web"}]))
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "tags": {"team": "web"}}, stub, diff=True)
    assert result["diff"]["before"]["tags"] == {"team": "ops"} and result["diff"]["after"]["tags"] == {"team": "web"}


def test_delete_and_missing():
    stub = Stubbed()
    get(stub)
    stub.add("DeleteKeyPair", kop("DeleteKeyPair"), {"keyPairName": "deploy"})
    assert run_module(lightsail_key_pair.main, {"name": "deploy", "state": "absent"}, stub)["changed"] is True
    stub = Stubbed()
    get(stub, missing=True)
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "state": "absent"}, stub)
    assert result["changed"] is False and result["key_pair"] == {}


def test_check_mode_creates_nothing(tmp_path):
    stub = Stubbed()
    get(stub, missing=True)
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "private_key_path": str(tmp_path / "k")}, stub, check_mode=True)
    assert result["changed"] is True and result["key_pair"]["name"] == "deploy"
    assert stub.count(writes=True) == 0 and list(tmp_path.iterdir()) == []


def test_download_default_writes_file_idempotently(tmp_path):
    path = tmp_path / "default.pem"
    response = {"publicKeyBase64": PUBLIC, "privateKeyBase64": PRIVATE, "createdAt": CREATED}
    stub = Stubbed().add("DownloadDefaultKeyPair", response, {})
    result = run_module(lightsail_key_pair.main, {"download_default": True, "private_key_path": str(path)}, stub)
    assert result["changed"] is True and result["private_key"] == PRIVATE and path.read_text() == PRIVATE
    stub = Stubbed().add("DownloadDefaultKeyPair", response, {})
    assert run_module(lightsail_key_pair.main, {"download_default": True, "private_key_path": str(path)}, stub)["changed"] is False
    stub = Stubbed()
    result = run_module(lightsail_key_pair.main, {"download_default": True, "private_key_path": str(tmp_path / "x")}, stub, check_mode=True)
    assert result["changed"] is True and stub.calls == []


def test_name_required_without_download_default():
    result = run_module(lightsail_key_pair.main, {}, Stubbed())
    assert result["failed"] is True and "name" in result["msg"]


def test_throttled_then_ok():
    stub = Stubbed()
    stub.error("GetKeyPair", "ThrottlingException", "Rate exceeded")
    get(stub)
    assert run_module(lightsail_key_pair.main, {"name": "deploy"}, stub)["changed"] is False


def test_info():
    stub = Stubbed().add("GetKeyPairs", {"keyPairs": [KEY]}, {"includeDefaultKeyPair": True})
    result = run_module(lightsail_key_pair_info.main, {"include_default": True}, stub)
    assert result["key_pairs"][0]["tags"] == {"team": "ops"} and result["key_pairs"][0]["fingerprint"] == "a1:b2:c3"


def test_failed_operation_is_a_clear_error():
    stub = Stubbed()
    get(stub)
    stub.add("DeleteKeyPair", {"operation": operation("DeleteKeyPair", "deploy", status="Failed", resource_type="KeyPair",
                                                      errorCode="InUse", errorDetails="key pair is used by instance web-1")})
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "state": "absent"}, stub)
    assert result["failed"] is True
    assert result["msg"] == "Lightsail operation DeleteKeyPair on KeyPair deploy failed: InUse: key pair is used by instance web-1"


def test_existing_key_pair_with_missing_private_key_file_warns(tmp_path):
    stub = Stubbed()
    get(stub)
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "private_key_path": str(tmp_path / "lost.pem")}, stub)
    assert result["changed"] is False
    assert any("its private key cannot be written to %s" % (tmp_path / "lost.pem") in w for w in result["warnings"])
