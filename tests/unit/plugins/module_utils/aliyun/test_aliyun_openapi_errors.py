# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The exceptions of alibabacloud-tea-openapi 0.4 (ClientException, ServerException, ThrottlingException,
all darabonba ``ResponseException``s) through the family's one translation, whichever client raised them.

The FC and RAM clients are the real SDK clients, signing and sending real HTTP requests to a fake
service on 127.0.0.1 that answers with the services' JSON error bodies.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from alibabacloud_fc20230330.client import Client as FcClient
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from alibabacloud_tea_openapi.models import Config

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import errors, fc, ram
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError, call


class FakeService:
    """Answers each request with the next (status, body, headers) of ``answers``; records the paths."""

    def __init__(self):
        self.answers = []
        self.paths = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.paths.append(self.path)
                status, body, headers = fake.answers.pop(0)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def error(self, status, code, message, headers=None):
        self.answers.append((status, {"Code": code, "Message": message, "RequestId": "REQ-%d" % status}, headers or {}))

    def config(self):
        return Config(access_key_id="LTAI-test", access_key_secret="secret", region_id="cn-hangzhou",
                      endpoint=self.endpoint, protocol="http", read_timeout=5000, connect_timeout=5000)


@pytest.fixture
def service():
    fake = FakeService()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_a_refusal_from_the_fc_client_is_an_aliyun_error_with_code_and_message(service, sleeps):
    service.error(403, "AccessDenied", "not authorized to fc:GetFunction")
    with pytest.raises(AliyunError) as info:
        fc.FcFunctionManager(FcClient(service.config()), "camera").describe()
    error = info.value
    assert error.code == "AccessDenied"
    assert error.msg.startswith("get function camera failed (AccessDenied): ")
    assert "not authorized to fc:GetFunction" in error.msg
    assert error.details == {"error_code": "AccessDenied", "http_status": 403, "request_id": "REQ-403"}
    assert isinstance(error.cause, ClientException)
    assert service.paths and sleeps == []


def test_not_found_from_the_fc_and_ram_clients_is_none(service):
    service.error(404, "FunctionNotFound", "function 'camera' does not exist")
    assert fc.FcFunctionManager(FcClient(service.config()), "camera").describe() is None
    service.error(404, "EntityNotExist.Role", "The role does not exist: camera.")
    assert ram.describe_role(RamClient(service.config()), "camera") is None
    assert len(service.paths) == 2


def test_a_server_error_from_the_ram_client_is_retried_then_reported(service, sleeps):
    for _attempt in range(3):
        service.error(503, "ServiceUnavailable", "try later")
    with pytest.raises(AliyunError) as info:
        call("get role camera", RamClient(service.config()).get_role, ram.RAM_MODELS.GetRoleRequest(role_name="camera"), retries=2)
    assert info.value.code == "ServiceUnavailable" and info.value.details["http_status"] == 503
    assert "try later" in info.value.msg
    assert isinstance(info.value.cause, ServerException)
    assert len(sleeps) == 2 and len(service.paths) == 3


@pytest.mark.parametrize("exc, throttled", [
    (ClientException(status_code=400, code="InvalidParameter", message="bad", request_id="R1"), False),
    (ServerException(status_code=500, code="InternalError", message="oops", request_id="R1"), True),
    (ThrottlingException(status_code=400, code="Throttling.User", message="slow down", request_id="R1", retry_after=1), True),
])
def test_each_openapi_exception_is_translated_and_throttling_retried(exc, throttled, sleeps, raiser):
    assert errors.is_sdk_error(exc)
    assert errors.is_throttling(exc) is throttled
    with pytest.raises(AliyunError) as info:
        call("do thing", raiser(*([exc] * 3)), retries=2)
    assert info.value.code == exc.code and info.value.details["request_id"] == "R1"
    assert info.value.msg == "do thing failed (%s): %s" % (exc.code, exc.message)
    assert info.value.details["http_status"] == exc.status_code
    assert len(sleeps) == (2 if throttled else 0)
