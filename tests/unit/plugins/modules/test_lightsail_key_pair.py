# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_key_pair: Create, import and delete AWS Lightsail SSH key pairs; download the default key pair (Stubber)."""

from __future__ import annotations

import stat

import pytest

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import CREATED, Stubbed, operation, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_key_pair
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.key_pair import KEY


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
    assert "private_key" not in result and result["public_key"] == PUBLIC
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
    assert result["changed"] is True and "private_key" not in result and path.read_text() == PRIVATE
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


# -- issue 16: the public key of an existing key pair, and the private key kept out of the result --------------
def _openssh_public_key(seed):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32).public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " alice@laptop"


def _fingerprints(public_key):
    """What Lightsail reports: RFC 4716 MD5 (colon hex) for imported keys, or OpenSSH's SHA256 (base64)."""
    import base64
    import hashlib

    blob = base64.b64decode(public_key.split()[1])
    md5 = ":".join("%02x" % b for b in hashlib.md5(blob).digest())
    return md5, base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


ALICE, MALLORY = _openssh_public_key(1), _openssh_public_key(2)


@pytest.mark.parametrize("which", [0, 1], ids=["md5", "sha256"])
def test_existing_key_pair_with_the_same_public_key_is_ok(which):
    stub = Stubbed()
    get(stub, dict(KEY, fingerprint=_fingerprints(ALICE)[which], tags=[]))
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "public_key": ALICE}, stub)
    assert result["changed"] is False and stub.calls == ["GetKeyPair"]


@pytest.mark.parametrize("which", [0, 1], ids=["md5", "sha256"])
def test_existing_key_pair_with_another_public_key_fails_without_writing(which):
    stub = Stubbed()
    get(stub, dict(KEY, fingerprint=_fingerprints(MALLORY)[which], tags=[]))
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "public_key": ALICE}, stub)
    assert result["failed"] is True and result["error_code"] == "Immutable"
    assert "key pair deploy" in result["msg"] and _fingerprints(MALLORY)[which] in result["msg"]
    assert _fingerprints(ALICE)[which] in result["msg"] and "state=absent" in result["msg"]
    assert stub.count(writes=True) == 0


def test_existing_key_pair_with_another_public_key_fails_in_check_mode_too():
    stub = Stubbed()
    get(stub, dict(KEY, fingerprint=_fingerprints(MALLORY)[0], tags=[]))
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "public_key": ALICE}, stub, check_mode=True)
    assert result["failed"] is True and result["error_code"] == "Immutable"


def test_generated_key_pair_fingerprint_cannot_be_compared_so_it_warns():
    # A key pair Lightsail generated has a fingerprint of its private key: no public key can be checked against it.
    stub = Stubbed()
    get(stub, dict(KEY, fingerprint="1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f", tags=[]))
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "public_key": ALICE}, stub)
    assert result["changed"] is False
    assert any("cannot compare" in w for w in result["warnings"])


def test_private_key_written_to_a_file_is_not_in_the_result(tmp_path):
    path = tmp_path / "deploy.pem"
    stub = Stubbed()
    get(stub, missing=True)
    stub.add("CreateKeyPair", dict(kop("CreateKeyPair"), keyPair=KEY, publicKeyBase64=PUBLIC, privateKeyBase64=PRIVATE),
             {"keyPairName": "deploy"})
    get(stub)
    result = run_module(lightsail_key_pair.main, {"name": "deploy", "private_key_path": str(path)}, stub)
    assert result["changed"] is True and path.read_text() == PRIVATE
    assert "private_key" not in result and PRIVATE not in repr(result)
    assert result["public_key"] == PUBLIC and result["private_key_path"] == str(path)


def test_private_key_without_a_file_is_returned_once():
    stub = Stubbed()
    get(stub, missing=True)
    stub.add("CreateKeyPair", dict(kop("CreateKeyPair"), keyPair=KEY, publicKeyBase64=PUBLIC, privateKeyBase64=PRIVATE),
             {"keyPairName": "deploy"})
    get(stub)
    result = run_module(lightsail_key_pair.main, {"name": "deploy"}, stub)
    assert result["private_key"] == PRIVATE


def test_default_key_pair_written_to_a_file_is_not_in_the_result(tmp_path):
    path = tmp_path / "default.pem"
    stub = Stubbed().add("DownloadDefaultKeyPair", {"publicKeyBase64": PUBLIC, "privateKeyBase64": PRIVATE, "createdAt": CREATED}, {})
    result = run_module(lightsail_key_pair.main, {"download_default": True, "private_key_path": str(path)}, stub)
    assert path.read_text() == PRIVATE and "private_key" not in result
