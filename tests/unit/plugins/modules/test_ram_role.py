# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ram_role and ram_policy against a fake RAM client that takes and returns the SDK's models."""

import json
import os
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from aliyun_fakes import FakeRam

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import errors, ram
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError
from ansible_collections.opsforge.infra.plugins.modules import ram_policy, ram_role

TRUST = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["fc.aliyuncs.com"]}}]}
# the same document, written differently
TRUST_REORDERED = json.dumps({"Statement": [{"Principal": {"Service": "fc.aliyuncs.com"}, "Action": ["STS:AssumeRole"], "Effect": "allow"}],
                              "Version": "1"})
POLICY = {"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": ["ots:GetRow", "ots:GetRange"], "Resource": ["acs:ots:*:*:instance/camera/table/images"]},
    {"Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:*:camera-test/*"},
]}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(errors, "_sleep", lambda s: None)


def role_params(**kw):
    out = dict(name="camera-query", state="present", assume_role_policy=TRUST, description="query fn", max_session_duration=None,
               policies=[{"name": "camera-query", "type": "Custom"}, {"name": "AliyunLogFullAccess", "type": "System"}], purge_policies=True)
    out.update(kw)
    return out


def policy_params(**kw):
    out = dict(name="camera-query", state="present", policy_document=POLICY, description="query fn", roles=None, purge_roles=True)
    out.update(kw)
    return out


def test_role_lifecycle_with_semantic_trust_comparison():
    client = FakeRam()
    ram.run_policy(client, policy_params(), False)
    result = ram.run_role(client, role_params(), True)
    assert result["changed"] is True and client.roles == {}
    result = ram.run_role(client, role_params(), False)
    assert result["changed"] is True
    assert result["role"]["arn"] == "acs:ram::1234567890123456:role/camera-query"
    assert result["role"]["policies"] == [{"name": "camera-query", "type": "Custom"}, {"name": "AliyunLogFullAccess", "type": "System"}]
    writes = list(client.writes)
    for check in (True, False):
        assert ram.run_role(client, role_params(assume_role_policy=TRUST_REORDERED), check)["changed"] is False
    assert client.writes == writes

    changed = dict(TRUST)
    changed["Statement"] = [dict(TRUST["Statement"][0], Principal={"RAM": ["acs:ram::1234567890123456:role/camera-device-manager"]})]
    result = ram.run_role(client, role_params(assume_role_policy=changed, policies=[{"name": "camera-query", "type": "Custom"}]), False)
    assert result["changed"] is True
    assert result["role"]["assume_role_policy"]["Statement"][0]["Principal"] == {"RAM": ["acs:ram::1234567890123456:role/camera-device-manager"]}
    assert result["role"]["policies"] == [{"name": "camera-query", "type": "Custom"}]
    assert client.writes[len(writes):] == ["update_role", "detach_policy_from_role"]

    assert ram.run_role(client, role_params(state="absent"), False)["changed"] is True
    assert client.roles == {}
    assert ram.run_role(client, role_params(state="absent"), False)["changed"] is False


def test_bad_documents_fail_before_writing():
    client = FakeRam()
    with pytest.raises(AliyunError, match="not valid JSON"):
        ram.run_policy(client, policy_params(policy_document="{nope"), False)
    with pytest.raises(AliyunError, match="Statement"):
        ram.run_role(client, role_params(assume_role_policy={"Version": "1"}), False)
    with pytest.raises(AliyunError, match="required to create role"):
        ram.run_role(client, role_params(assume_role_policy=None), False)
    assert client.writes == []


def test_attaching_a_missing_policy_is_a_clear_error():
    client = FakeRam()
    with pytest.raises(AliyunError) as info:
        ram.run_role(client, role_params(), False)
    assert info.value.code == "EntityNotExist.Policy"
    assert info.value.msg.startswith("attach camera-query failed (EntityNotExist.Policy)")


@pytest.mark.parametrize("module", [ram_role, ram_policy])
def test_modules_main(monkeypatch, capsys, module):
    client = FakeRam()
    monkeypatch.setattr(ram, "ram_client", lambda creds, endpoint=None: client)
    args = dict(name="camera-query", access_key="LTAI", secret_key="hush-hush", security_token="tok-secret", region="cn-hangzhou")
    args["assume_role_policy" if module is ram_role else "policy_document"] = TRUST if module is ram_role else POLICY
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    result = json.loads(out[out.index("{"):])
    assert result["changed"] is True
    assert "hush-hush" not in out and "tok-secret" not in out
