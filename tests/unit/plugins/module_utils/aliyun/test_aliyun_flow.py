# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``common.run_flow``, the one flow of every Aliyun module: libraries, credentials, client, work."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import fc
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import run_flow
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError
from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary
from ansible_collections.opsforge.infra.plugins.modules import fc_function_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module

ARGS = dict(name="camera-image-query", account_id="1234567890123456", access_key="LTAI", secret_key="s3cr3t", region="cn-hangzhou")


class Module:
    def __init__(self, **params):
        self.params = params
        self.check_mode = True
        self.required = []

    def require(self, library):
        self.required.append(library.pip_name)


def test_libraries_then_credentials_then_client_then_work():
    module = Module(access_key="a", secret_key="b", region="cn-beijing", name="x")
    seen = []

    def connect(creds, params):
        seen.append(("connect", creds.region, params["name"]))
        return "client"

    def work(client, params, check_mode):
        seen.append(("work", client, check_mode))
        return {"changed": False}

    assert run_flow(module, (LazyLibrary("json"), LazyLibrary("oss2")), connect, work) == {"changed": False}
    assert module.required == ["json", "oss2"]
    assert seen == [("connect", "cn-beijing", "x"), ("work", "client", True)]


def test_a_default_region_applies_only_where_none_is_given(monkeypatch):
    monkeypatch.setenv("HOME", "/nonexistent")
    regions = []

    def connect(creds, params):
        regions.append(creds.region)
    run_flow(Module(access_key="a", secret_key="b", region=None), (), connect, lambda *args: {}, default_region="cn-hangzhou")
    run_flow(Module(access_key="a", secret_key="b", region="ap-southeast-1"), (), connect, lambda *args: {}, default_region="cn-hangzhou")
    assert regions == ["cn-hangzhou", "ap-southeast-1"]
    with pytest.raises(AliyunError, match="no region"):
        run_flow(Module(access_key="a", secret_key="b", region=None), (), connect, lambda *args: {})


def test_a_missing_library_fails_the_task_before_any_client_is_built(monkeypatch, capsys):
    monkeypatch.setattr(fc, "LIBRARIES", fc.LIBRARIES + (LazyLibrary("opsforge_no_such_sdk", pip_name="opsforge-no-such-sdk"),))
    built = []
    monkeypatch.setattr(fc, "fc_client", lambda *args: built.append(args))
    result = run_module(capsys, fc_function_info, **ARGS)
    assert result["failed"] is True and "opsforge-no-such-sdk" in result["msg"]
    assert built == []
