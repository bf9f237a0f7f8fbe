# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import json
import urllib.parse
import urllib.request

import pytest
import responses
from alibabacloud_tea_openapi.utils import Utils as OpenApiUtils
from camera_common import security


def test_register_returns_secret_once_and_stores_only_its_hash(camera):
    secret = camera.register("cam-1", owner="owner-1")
    rows = camera.ots.tables["devices"].rows
    stored = rows[("cam-1",)]
    assert stored["owner_id"] == "owner-1"
    assert stored["status"] == "active"
    assert secret not in json.dumps(stored)
    assert stored["secret_hash"] == security.fingerprint(secret)


def test_register_twice_is_a_conflict_and_keeps_the_first_owner(camera):
    camera.register("cam-1", owner="owner-1")
    status, payload = camera.call("device_manager", camera.owner_event("POST", "/register", "intruder", {"device_id": "cam-1"}))
    assert status == 409
    assert payload["error"] == "DeviceExists"
    assert camera.ots.tables["devices"].rows[("cam-1",)]["owner_id"] == "owner-1"


@pytest.mark.parametrize("device_id", ["", "../etc", "cam/1", "a" * 65, "cam 1", "cam*", None, 5, "cämera"])
def test_register_refuses_bad_device_ids(camera, device_id):
    status, payload = camera.call("device_manager", camera.owner_event("POST", "/register", "owner-1", {"device_id": device_id}))
    assert status == 400
    assert payload["error"] == "InvalidDeviceId"
    assert camera.ots.tables["devices"].rows == {}


def test_register_without_gateway_identity_is_401(camera):
    status, payload = camera.call("device_manager", camera.owner_event("POST", "/register", None, {"device_id": "cam-1"}))
    assert status == 401
    assert payload["error"] == "NoOwner"


@pytest.mark.parametrize("webhook, reason", [
    ({"type": "feishu", "url": "http://open.feishu.cn/open-apis/bot/v2/hook/x", "secret": "12345678"}, "https"),
    ({"type": "feishu", "url": "https://127.0.0.1/hook", "secret": "12345678"}, "https"),
    ({"type": "dingtalk", "url": "https://oapi.dingtalk.com.evil.example/robot/send", "secret": "12345678"}, "https"),
    ({"type": "slack", "url": "https://hooks.slack.com/x", "secret": "12345678"}, "type"),
    ({"type": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=x"}, "secret"),
])
def test_register_refuses_webhooks_that_are_not_the_bots_hosts(camera, webhook, reason):
    status, payload = camera.call("device_manager", camera.owner_event("POST", "/register", "owner-1", {"device_id": "cam-1", "webhook": webhook}))
    assert status == 400
    assert reason in payload["message"]


def test_token_gives_a_15_minute_token_limited_to_the_device_prefix(camera):
    secret = camera.register("cam-1")
    status, payload = camera.call("device_manager", camera.device_event("cam-1", secret, "/token"))
    assert status == 200, payload
    assert payload["prefix"] == "devices/cam-1/"
    assert payload["credentials"]["security_token"] == "token1"
    (call,) = camera.sts_calls
    assert call["seconds"] == 900
    assert call["role_arn"] == "acs:ram::1234567890123456:role/camera-device-upload"
    policy = json.loads(call["policy"])
    (statement,) = policy["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Action": ["oss:PutObject"],
        "Resource": ["acs:oss:*:*:camera-test/devices/cam-1/*", "acs:oss:*:*:camera-test/thumbnails/devices/cam-1/*"],
    }


def test_token_with_plain_body_through_http_trigger(camera):
    secret = camera.register("cam-1")
    status, dummy = camera.call("device_manager", camera.device_event("cam-1", secret, "/token", base64_body=False))
    assert status == 200


def test_token_replay_is_refused(camera):
    secret = camera.register("cam-1")
    event = camera.device_event("cam-1", secret, "/token")
    assert camera.call("device_manager", event)[0] == 200
    status, payload = camera.call("device_manager", event)
    assert status == 401
    assert payload["error"] == "Replay"
    assert len(camera.sts_calls) == 1


@pytest.mark.parametrize("skew", [-301, 301, -10000])
def test_stale_requests_are_refused(camera, skew):
    secret = camera.register("cam-1")
    status, payload = camera.call("device_manager", camera.device_event("cam-1", secret, "/token", timestamp=camera.clock.now + skew))
    assert status == 401
    assert payload["error"] == "StaleRequest"
    assert camera.sts_calls == []


def test_wrong_secret_and_other_devices_secret_are_refused(camera):
    secret1 = camera.register("cam-1")
    camera.register("cam-2")
    for event in (camera.device_event("cam-1", "0" * 64, "/token"), camera.device_event("cam-2", secret1, "/token")):
        status, payload = camera.call("device_manager", event)
        assert status == 401
        assert payload["error"] == "Unauthorized"
    assert camera.sts_calls == []


def test_tampered_body_or_path_is_refused(camera):
    secret = camera.register("cam-1")
    event = camera.device_event("cam-1", secret, "/token", body={"a": 1})
    event["body"] = "eyJhIjogMn0="  # {"a": 2}
    assert camera.call("device_manager", event)[0] == 401
    event = camera.device_event("cam-1", secret, "/register")
    event["rawPath"] = "/token"
    event["requestContext"]["http"]["path"] = "/token"
    assert camera.call("device_manager", event)[0] == 401


def test_unregistered_device_is_refused(camera):
    status, dummy = camera.call("device_manager", camera.device_event("ghost", "0" * 64, "/token"))
    assert status == 401


def test_a_leaked_device_table_cannot_sign(camera):
    camera.register("cam-1")
    row = camera.ots.tables["devices"].rows[("cam-1",)]
    for guess in (row["secret_hash"], row["salt"]):
        assert camera.call("device_manager", camera.device_event("cam-1", guess, "/token"))[0] == 401


def test_unknown_route_and_method(camera):
    assert camera.call("device_manager", camera.owner_event("POST", "/nope", "owner-1", {}))[0] == 404
    assert camera.call("device_manager", camera.owner_event("GET", "/register", "owner-1"))[0] == 405


def test_garbage_events_are_400_not_500(camera):
    handler = camera.handlers["device_manager"].handler
    for raw in (b"", b"\xff\xfe", b"[]", b"null", b'{"foo": 1}', b'{"httpMethod": 5, "path": "/token"}'):
        result = handler(raw, None, services=camera.services)
        assert result["statusCode"] == 400, raw


def test_production_services_refuse_long_lived_keys(monkeypatch, camera):
    from camera_common import runtime

    monkeypatch.setattr(runtime, "_CONFIG", [camera.config])
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIlonglived")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
    result = camera.handlers["device_manager"].handler(b'{"httpMethod": "POST", "path": "/token"}', None)
    assert result["statusCode"] == 500
    assert json.loads(result["body"])["error"] == "Misconfigured"


class _Creds:
    access_key_id = "STS.function"
    access_key_secret = "fn-secret"
    security_token = "fn-token"


class _FcContext:
    request_id = "req-prod"
    credentials = _Creds()


def test_production_clients_use_the_function_role_credentials(monkeypatch, camera):
    import oss2
    import tablestore
    from camera_common import runtime

    monkeypatch.setattr(runtime, "_CONFIG", [camera.config])
    services = runtime.Services.production(_FcContext())
    assert isinstance(services.store.client, tablestore.OTSClient)
    # the OSS HEAD is signed with the function role's credentials exactly as oss2 would sign it
    key = "devices/cam-1/1795341600000-a1b2c3.jpg"
    with responses.RequestsMock() as mock:
        mock.add(responses.HEAD, "https://camera-test.oss-cn-hangzhou-internal.aliyuncs.com/" + urllib.parse.quote(key, safe=""),
                 headers={"Content-Length": "5", "x-oss-object-type": "Normal"})
        assert services.head_object(key)[0] == 200
        ours = mock.calls[0].request.headers
        bucket = oss2.Bucket(oss2.StsAuth("STS.function", "fn-secret", "fn-token"), camera.config.oss_endpoint, "camera-test")
        monkeypatch.setattr(oss2.utils, "http_date", lambda *a: ours["Date"])
        bucket.head_object(key)
        theirs = mock.calls[1].request.headers
    assert ours["Authorization"] == theirs["Authorization"] and ours["Authorization"].startswith("OSS STS.function:")
    assert ours["x-oss-security-token"] == theirs["x-oss-security-token"] == "fn-token"
    seen = []

    class Answer:
        def __init__(self, body):
            self.body = body

        def read(self):
            return self.body

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def urlopen(request, timeout):
        seen.append(request)
        return Answer(json.dumps({"RequestId": "r", "Credentials": {
            "AccessKeyId": "STS.dev", "AccessKeySecret": "s", "SecurityToken": "t", "Expiration": "2026-11-22T10:15:00Z"}}).encode())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    policy = security.device_upload_policy("camera-test", "cam-1")
    creds = services.assume_role(camera.config.device_role_arn, "device-cam-1", policy, 900)
    assert creds == {"access_key_id": "STS.dev", "access_key_secret": "s", "security_token": "t", "expiration": "2026-11-22T10:15:00Z"}
    (request,) = seen
    assert request.full_url == "https://sts.cn-hangzhou.aliyuncs.com/"  # the public endpoint unless CAMERA_STS_ENDPOINT says otherwise
    params = dict(urllib.parse.parse_qsl(request.data.decode()))
    assert params["Policy"] == policy and params["DurationSeconds"] == "900" and params["RoleSessionName"] == "device-cam-1"
    assert params["RoleArn"] == camera.config.device_role_arn and params["Action"] == "AssumeRole" and params["Version"] == "2015-04-01"
    assert params["AccessKeyId"] == "STS.function" and params["SecurityToken"] == "fn-token"
    # the signature is the one the STS SDK computes for the same parameters
    signature = params.pop("Signature")
    assert signature == OpenApiUtils.get_rpcsignature(params, "POST", "fn-secret")
