# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fc_function against a fake of the FC 3.0 client that takes and returns the SDK's models."""

import io
import json
import os
import sys
import zipfile

import pytest
from ansible.module_utils.testing import patch_module_args

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from aliyun_fakes import FakeFc, tea_error

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import errors, fc
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError
from ansible_collections.opsforge.infra.plugins.modules import fc_function

ROLE = "acs:ram::1234567890123456:role/camera-image-query"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(errors, "_sleep", lambda s: None)


def make_zip(path, body="def handler(event, context):\n    return 1\n"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(zipfile.ZipInfo("index.py", (1980, 1, 1, 0, 0, 0)), body)
    path.write_bytes(buf.getvalue())
    return str(path)


def p(code, **kw):
    out = dict(name="camera-image-query", state="present", code=code, runtime="python3.10", handler="index.handler", memory_size=256,
               timeout=10, role=ROLE, environment={"CAMERA_BUCKET": "b"}, description=None, internet_access=None,
               http_trigger={"name": "http", "auth_type": "function", "methods": ["GET"], "disable_url_internet": True})
    out.update(kw)
    return out


def test_crc64_matches_oss2():
    import oss2.utils

    data = b"camera" * 1000
    crc = oss2.utils.Crc64(0)
    crc.update(data)
    assert fc.crc64(data) == crc.crc


def test_lifecycle_and_code_only_on_checksum_change(tmp_path):
    client = FakeFc()
    code = make_zip(tmp_path / "a.zip")
    result = fc.run(client, p(code), True)
    assert result["changed"] is True and result["code_updated"] is True and client.functions == {}

    result = fc.run(client, p(code), False)
    assert result["changed"] is True
    fn = result["function"]
    assert fn["memory_size"] == 256 and fn["role"] == ROLE and fn["environment"] == {"CAMERA_BUCKET": "b"}
    assert fn["http_trigger"]["auth_type"] == "function" and fn["http_trigger"]["url_internet"] is None

    for check in (True, False):
        again = fc.run(client, p(code), check)
        assert again["changed"] is False and again["code_updated"] is False
    assert "update_function" not in client.calls

    # the same bytes under another name: still no upload
    same = tmp_path / "b.zip"
    same.write_bytes((tmp_path / "a.zip").read_bytes())
    assert fc.run(client, p(str(same)), False)["changed"] is False

    client.calls.clear()
    result = fc.run(client, p(code, memory_size=512), False)
    assert result["changed"] is True and result["code_updated"] is False
    assert result["diff"]["before"]["memory_size"] == 256 and result["function"]["memory_size"] == 512

    newer = make_zip(tmp_path / "c.zip", body="def handler(event, context):\n    return 2\n")
    result = fc.run(client, p(newer), True)
    assert result["changed"] is True and result["code_updated"] is True
    result = fc.run(client, p(newer), False)
    assert result["code_updated"] is True
    assert result["function"]["code_checksum"] == str(fc.crc64((tmp_path / "c.zip").read_bytes()))

    assert fc.run(client, p(newer, state="absent"), False)["changed"] is True
    assert client.functions == {} and client.triggers == {}
    assert fc.run(client, p(newer, state="absent"), False)["changed"] is False


def test_trigger_update(tmp_path):
    client = FakeFc()
    code = make_zip(tmp_path / "a.zip")
    fc.run(client, p(code), False)
    result = fc.run(client, p(code, http_trigger={"name": "http", "auth_type": "function", "methods": ["GET", "POST"], "disable_url_internet": True}), False)
    assert result["changed"] is True
    assert result["function"]["http_trigger"]["methods"] == ["GET", "POST"]


def test_bad_input_fails_before_writing(tmp_path):
    client = FakeFc()
    not_zip = tmp_path / "x.zip"
    not_zip.write_text("hello")
    with pytest.raises(AliyunError, match="is not a zip file"):
        fc.run(client, p(str(not_zip)), False)
    with pytest.raises(AliyunError, match="cannot read code package"):
        fc.run(client, p(str(tmp_path / "missing.zip")), False)
    with pytest.raises(AliyunError, match="code .* is required"):
        fc.run(client, p(None), False)
    assert [c for c in client.calls if not c.startswith("get_")] == []


def test_throttling_retried_then_other_errors_translated(tmp_path):
    client = FakeFc()
    code = make_zip(tmp_path / "a.zip")
    client.fail_next = [tea_error("TooManyRequests", "slow down", 429), tea_error("Throttling", "slow down", 429)]
    assert fc.run(client, p(code), False)["changed"] is True
    client.fail_next = [tea_error("AccessDenied", "not authorized to fc:GetFunction", 403)]
    with pytest.raises(AliyunError) as info:
        fc.run(client, p(code), False)
    assert info.value.code == "AccessDenied" and "not authorized" in info.value.msg


def test_module_needs_account_or_endpoint(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("ALIBABA_CLOUD_ACCOUNT_ID", raising=False)
    args = dict(name="f", code=make_zip(tmp_path / "a.zip"), access_key="LTAI", secret_key="s3cr3t", region="cn-hangzhou")
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            fc_function.main()
    out = capsys.readouterr().out
    result = json.loads(out[out.index("{"):])
    assert result["failed"] is True and "account_id" in result["msg"]


def test_secret_environment_is_deployed_but_never_shown(monkeypatch, capsys, tmp_path):
    client = FakeFc()
    monkeypatch.setattr(fc, "fc_client", lambda creds, account_id=None, endpoint=None: client)
    args = dict(name="camera-image-query", account_id="1234567890123456", access_key="LTAI", secret_key="s3cr3t", region="cn-hangzhou",
                code=make_zip(tmp_path / "a.zip"), runtime="python3.10", handler="index.handler",
                environment={"CAMERA_BUCKET": "b"}, secret_environment={"CAMERA_SIGNING_KEY": "k-very-secret-signing-key-0123456789"})

    def run_main():
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                fc_function.main()
        out = capsys.readouterr().out
        return out, json.loads(out[out.index("{"):])

    out, result = run_main()
    assert result["changed"] is True
    assert client.functions["camera-image-query"]["environmentVariables"]["CAMERA_SIGNING_KEY"] == "k-very-secret-signing-key-0123456789"
    assert "k-very-secret-signing-key" not in out
    assert result["function"]["environment"]["CAMERA_BUCKET"] == "b"
    out, result = run_main()
    assert result["changed"] is False
