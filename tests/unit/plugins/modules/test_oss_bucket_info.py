# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oss_bucket_info run in-process with the real oss2 client against OssServer (``responses``)."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import errors
from ansible_collections.opsforge.infra.plugins.modules import oss_bucket_info
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.aliyun_fakes import OssServer
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.test_oss_bucket import full, run

ARGS = dict(name="camera-test", access_key="LTAIfake", secret_key="verysecretvalue", region="cn-hangzhou")


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setattr(errors, "_sleep", lambda s: None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield OssServer(mock)


def test_absent_then_present_reads_only(server, capsys):
    result = run_module(capsys, oss_bucket_info, **ARGS)
    assert result["exists"] is False and result["bucket"] == {} and result["changed"] is False
    run(full())
    writes = len(server.writes)
    for check in (False, True):
        result = run_module(capsys, oss_bucket_info, check=check, **ARGS)
        assert result["exists"] is True and result["bucket"]["versioning"] == "enabled"
        assert result["bucket"]["tags"] == {"app": "camera"}
        assert "verysecretvalue" not in json.dumps(result)
    assert len(server.writes) == writes


def test_access_denied_fails_with_its_code(server, capsys):
    server.fail_next = [(403, "AccessDenied")]
    result = run_module(capsys, oss_bucket_info, **ARGS)
    assert result["failed"] is True and "AccessDenied" in result["msg"]


def test_bad_input_is_refused_clearly(server, monkeypatch, capsys):
    result = run_module(capsys, oss_bucket_info, bucket="camera-test", **{k: v for k, v in ARGS.items() if k != "name"})
    assert result["failed"] is True and result["msg"] == "missing required arguments: name"
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_REGION_ID", "ALIBABA_CLOUD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    result = run_module(capsys, oss_bucket_info, name="camera-test")
    assert result["failed"] is True and "no Aliyun credentials" in result["msg"] and server.requests == []
