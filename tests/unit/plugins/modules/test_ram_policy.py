# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ram_policy against FakeRam (the RAM client's methods with the SDK's own models): the policy flow and the
module run in-process."""

from __future__ import annotations

import json

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import errors, ram
from ansible_collections.opsforge.infra.plugins.modules import ram_policy
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.aliyun_fakes import FakeRam
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.test_ram_role import POLICY, policy_params, role_params

AUTH = dict(access_key="LTAI", secret_key="hush-hush", region="cn-hangzhou")


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setattr(errors, "_sleep", lambda s: None)
    client = FakeRam()
    monkeypatch.setattr(ram, "ram_client", lambda creds, endpoint=None: client)
    return client


def test_policy_lifecycle_versions_and_attachments():
    client = FakeRam()
    ram.run_role(client, role_params(policies=[]), False)
    result = ram.run_policy(client, policy_params(roles=["camera-query"]), False)
    assert result["changed"] is True and result["policy"]["roles"] == ["camera-query"]
    reordered = {"Statement": list(reversed(POLICY["Statement"])), "Version": "1"}
    reordered["Statement"][1] = dict(reordered["Statement"][1], Action=["ots:getrange", "ots:getrow"])
    assert ram.run_policy(client, policy_params(policy_document=json.dumps(reordered), roles=["camera-query"]), False)["changed"] is False
    for i in range(6):
        doc = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:PutObject", "Resource": "acs:oss:*:*:b/%d/*" % i}]}
        result = ram.run_policy(client, policy_params(policy_document=doc), False)
        assert result["changed"] is True
    assert result["policy"]["default_version"] == "v7"
    assert len(client.policies["camera-query"]["versions"]) == 5
    result = ram.run_policy(client, policy_params(policy_document=None, roles=[]), False)
    assert result["changed"] is True and result["policy"]["roles"] == []
    assert ram.run_policy(client, policy_params(state="absent"), False)["changed"] is True
    assert client.policies == {}


def test_module_check_mode_then_create_then_idempotent(client, capsys):
    args = dict(name="camera-query", policy_document=POLICY, description="query fn", **AUTH)
    result = run_module(capsys, ram_policy, check=True, diff=True, **args)
    assert result["changed"] is True and client.policies == {} and client.writes == []
    result = run_module(capsys, ram_policy, **args)
    assert result["changed"] is True and result["policy"]["default_version"] == "v1"
    as_json = dict(args)
    as_json["policy_document"] = json.dumps(POLICY)
    assert run_module(capsys, ram_policy, **as_json)["changed"] is False
    assert "hush-hush" not in json.dumps(result)


def test_module_errors_are_clear_and_nothing_is_written(client, capsys):
    result = run_module(capsys, ram_policy, name="camera-query", policy_document="{nope", **AUTH)
    assert result["failed"] is True and "not valid JSON" in result["msg"]
    result = run_module(capsys, ram_policy, name="camera-query", policy_document=POLICY, role=["x"], **AUTH)
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "role" in result["msg"]
    result = run_module(capsys, ram_policy, name="camera-query", policy_document=POLICY, purge_roles="maybe", **AUTH)
    assert result["failed"] is True and "purge_roles" in result["msg"]
    assert client.writes == []
