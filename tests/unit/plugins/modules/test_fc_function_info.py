# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fc_function_info run in-process against FakeFc (the Tea SDK client's methods and models)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import errors, fc
from ansible_collections.opsforge.infra.plugins.modules import fc_function_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.aliyun_fakes import FakeFc, tea_error
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.test_fc_function import make_zip, p

ARGS = dict(name="camera-image-query", account_id="1234567890123456", access_key="LTAI", secret_key="s3cr3t", region="cn-hangzhou")


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setattr(errors, "_sleep", lambda s: None)
    client = FakeFc()
    monkeypatch.setattr(fc, "fc_client", lambda creds, account_id=None, endpoint=None: client)
    return client


def test_absent_then_present_with_its_trigger_in_check_mode_too(client, tmp_path, capsys):
    assert run_module(capsys, fc_function_info, **ARGS)["exists"] is False
    fc.run(client, p(make_zip(tmp_path / "a.zip")), False)
    for check in (False, True):
        result = run_module(capsys, fc_function_info, check=check, **ARGS)
        assert result["exists"] is True and result["changed"] is False
        assert result["function"]["code_checksum"] == str(fc.crc64((tmp_path / "a.zip").read_bytes()))
        assert result["function"]["http_trigger"]["auth_type"] == "function"


def test_a_refusal_by_the_service_fails_with_its_code(client, capsys):
    client.fail_next = [tea_error("AccessDenied", "not authorized to fc:GetFunction", 403)]
    result = run_module(capsys, fc_function_info, **ARGS)
    assert result["failed"] is True and "not authorized to fc:GetFunction" in result["msg"]


def test_bad_input_is_refused_clearly(client, capsys):
    result = run_module(capsys, fc_function_info, trigger="http", **ARGS)
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "trigger" in result["msg"]
    result = run_module(capsys, fc_function_info, **{k: v for k, v in ARGS.items() if k != "name"})
    assert result["failed"] is True and result["msg"] == "missing required arguments: name"
