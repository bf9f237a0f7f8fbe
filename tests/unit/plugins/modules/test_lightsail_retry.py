# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ONE retry layer: a call that stays throttled makes a documented number of requests and waits a bounded time.

The module builds its client through amazon.aws's real credential and config path and botocore's real
retry handler runs; only the HTTP send is replaced (botocore's ``before-send`` event), so every request
either retry layer makes is counted, and every sleep either layer takes is recorded.
"""

from __future__ import annotations

import json
import os
import sys
from unittest import mock

import boto3
import pytest
from botocore.awsrequest import AWSResponse

sys.path.insert(0, os.path.dirname(__file__))

from lightsail_utils import ModuleExit

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail import client as client_mod
from ansible_collections.opsforge.infra.plugins.modules import lightsail_key_pair_info


class _Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **_kwargs):
        yield self.body


class ThrottledEndpoint:
    """Answers every request with HTTP 400 ThrottlingException (what Lightsail sends when rate limited)."""

    def __init__(self, ok_after=None):
        self.requests = []
        self.slept = []
        self.ok_after = ok_after

    def send(self, request, **_kwargs):
        self.requests.append(request.headers.get("X-Amz-Target").decode())
        if self.ok_after is not None and len(self.requests) > self.ok_after:
            return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"},
                               _Raw(json.dumps({"keyPairs": []}).encode()))
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    def sleep(self, seconds):
        self.slept.append(seconds)


def run_against(endpoint, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    real_client = boto3.session.Session.client

    def client(session, service_name, *args, **kwargs):
        made = real_client(session, service_name, *args, **kwargs)
        made.meta.events.register("before-send.lightsail", endpoint.send)
        return made

    def done(self, **kwargs):
        raise ModuleExit(kwargs)

    args = {"region": "us-east-1", "access_key": "AKIDTESTTESTTEST", "secret_key": "secret",
            "_ansible_remote_tmp": "/tmp", "_ansible_keep_remote_files": False}
    with patch_module_args(args), \
            mock.patch.object(boto3.session.Session, "client", client), \
            mock.patch.object(basic.AnsibleModule, "exit_json", done), \
            mock.patch.object(basic.AnsibleModule, "fail_json", lambda self, msg, **kw: done(self, msg=msg, failed=True, **kw)), \
            mock.patch("time.sleep", endpoint.sleep):
        try:
            lightsail_key_pair_info.main()
        except ModuleExit as exit_:
            return exit_.result
    raise AssertionError("module did not exit")


@pytest.mark.parametrize("env", [{}, {"AWS_RETRY_MODE": "legacy"}, {"AWS_RETRY_MODE": "standard"}, {"AWS_RETRY_MODE": "adaptive", "AWS_MAX_ATTEMPTS": "10"}],
                         ids=["botocore-default", "legacy", "standard", "adaptive-10"])
def test_a_call_that_stays_throttled_makes_the_documented_requests_and_waits(env, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    endpoint = ThrottledEndpoint()
    result = run_against(endpoint, monkeypatch)
    assert result["failed"] is True and result["error_code"] == "ThrottlingException"
    assert len(endpoint.requests) == client_mod.RETRY_ATTEMPTS == 6
    assert set(endpoint.requests) == {"Lightsail_20161128.GetKeyPairs"}
    assert len(endpoint.slept) == client_mod.RETRY_ATTEMPTS - 1  # every sleep is ours: botocore does not retry
    assert sum(endpoint.slept) <= client_mod.RETRY_MAX_TOTAL_WAIT == 50
    assert all(0 <= pause <= client_mod.RETRY_MAX_DELAY for pause in endpoint.slept)


def test_a_throttled_call_that_recovers_returns_normally(monkeypatch):
    endpoint = ThrottledEndpoint(ok_after=2)
    result = run_against(endpoint, monkeypatch)
    assert result.get("failed") is not True and result["key_pairs"] == []
    assert len(endpoint.requests) == 3 and len(endpoint.slept) == 2


def test_documented_worst_case_matches_the_schedule():
    ceilings = [min(client_mod.RETRY_DELAY * 2 ** n, client_mod.RETRY_MAX_DELAY) for n in range(client_mod.RETRY_ATTEMPTS - 1)]
    assert sum(ceilings) == client_mod.RETRY_MAX_TOTAL_WAIT


def test_inventory_clients_have_botocore_retries_off_too(monkeypatch):
    from ansible.plugins.loader import inventory_loader

    monkeypatch.setenv("AWS_RETRY_MODE", "legacy")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "10")
    plugin = inventory_loader.get("opsforge.infra.lightsail")
    plugin.set_options(direct={"plugin": "opsforge.infra.lightsail"})
    made = plugin.make_client({"name": "x", "access_key": "AKIDTESTTESTTEST", "secret_key": "secret"}, "eu-west-1")
    assert made.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
