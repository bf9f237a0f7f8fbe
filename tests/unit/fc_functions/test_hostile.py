# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An attacker with a device (or an owner account) of their own: no read across devices.

OSS is stubbed at the HTTP level (``responses``), Tablestore faked at the OTSClient boundary.
"""

import base64
import copy
import json
import re
import urllib.parse

import pytest
import responses
from camera_common import security
from camera_harness import BUCKET, PUBLIC_BASE, SIGNING_KEY, Camera, Context, event_fixture, oss_v1_url_signature_ok
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEY = "devices/cam-1/1795341600000-a1b2c3.jpg"
THUMB = "thumbnails/devices/cam-1/1795341600000-a1b2c3.jpg"
FOREIGN = "devices/cam-2/1795341600000-a1b2c3.jpg"
SETTINGS = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def report(camera, secret, body):
    return camera.call("upload_handler", camera.device_event("cam-1", secret, "/images", body))


# ------------------------------------------------------------ object types
@pytest.mark.parametrize("object_type", ["Normal", "Multipart"])
def test_normal_and_multipart_objects_are_recorded(camera, object_type):
    secret = camera.register("cam-1")
    camera.stub_object(KEY, object_type=object_type)
    assert report(camera, secret, {"object_key": KEY})[0] == 201


@pytest.mark.parametrize("object_type", ["Symlink", "Appendable", "", "Normal "])
def test_symlinks_and_appendable_objects_are_refused(camera, object_type):
    secret = camera.register("cam-1")
    camera.stub_object(KEY, size=777, object_type=object_type)
    status, payload = report(camera, secret, {"object_key": KEY})
    assert (status, payload["error"]) == (403, "ObjectRefused")
    assert camera.ots.tables["images"].rows == {}
    assert "777" not in json.dumps(payload)


def test_a_symlinked_thumbnail_is_refused(camera):
    secret = camera.register("cam-1")
    camera.stub_object(KEY)
    camera.stub_object(THUMB, object_type="Symlink")
    status, payload = report(camera, secret, {"object_key": KEY, "thumbnail_key": THUMB})
    assert (status, payload["error"]) == (403, "ObjectRefused")
    assert camera.ots.tables["images"].rows == {}


def test_missing_symlinked_and_foreign_objects_get_one_answer(camera):
    """No existence oracle: a symlink to an object that exists, one to nothing, and a foreign key look alike."""
    secret = camera.register("cam-1")
    answers = []
    for key, stub in ((KEY, dict(object_type="Symlink")), ("devices/cam-1/1795341600001-b.jpg", dict(status=404)), (FOREIGN, None)):
        if stub is not None:
            camera.stub_object(key, **stub)
        status, payload = report(camera, secret, {"object_key": key})
        payload.pop("request_id", None)
        answers.append((status, payload))
    assert answers[0] == answers[1] == answers[2], answers
    assert answers[0][0] == 403


@pytest.mark.parametrize("name", ["ObjectCreated:PutSymlink", "ObjectCreated:AppendObject", "ObjectCreated:CopyObject"])
def test_oss_events_other_than_uploads_are_refused(camera, name):
    camera.register("cam-1")
    event = copy.deepcopy(event_fixture("oss_object_created.json"))
    event["events"][0]["eventName"] = name
    status, payload = camera.call("upload_handler", event)
    assert payload == {"recorded": [], "refused": 1}
    assert camera.ots.tables["images"].rows == {}


# ------------------------------------------------------------ signed URLs
def seed_one(camera):
    camera.register("cam-1", owner="owner-1")
    camera.services.store.create_image("cam-1", "1795341600000-a1b2c3", {
        "device_id": "cam-1", "has_motion": False, "created_at": 1795341600000, "oss_path_original": KEY, "oss_path_thumbnail": THUMB})


def test_urls_are_signed_with_credentials_that_read_only_the_device_prefix(camera):
    seed_one(camera)
    status, payload = camera.call("image_query", camera.owner_event("GET", "/images", "owner-1", query={"device_id": "cam-1"}))
    assert status == 200, payload
    (call,) = camera.sts_calls
    assert call["role_arn"] == camera.config.reader_role_arn
    policy = json.loads(call["policy"])
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["oss:GetObject"]
    assert statement["Resource"] == ["acs:oss:*:*:%s/devices/cam-1/*" % BUCKET, "acs:oss:*:*:%s/thumbnails/devices/cam-1/*" % BUCKET]
    (image,) = payload["images"]
    for name, key in (("original_url", KEY), ("thumbnail_url", THUMB)):
        url = image[name]
        assert url.startswith(PUBLIC_BASE + urllib.parse.quote(key, safe="")), url  # people get the public endpoint
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert query["OSSAccessKeyId"] == ["STS.session1"]
        assert query["security-token"] == ["token1"]
        assert oss_v1_url_signature_ok(url, key, "secret1", "token1"), url  # signed by that session's secret


def test_signed_url_is_what_oss2_would_sign(camera, monkeypatch):
    """The small signer gives OSS's V1 query signature (checked against the oss2 SDK)."""
    import oss2

    seed_one(camera)
    status, payload = camera.call("image_query", camera.owner_event("GET", "/images", "owner-1", query={"device_id": "cam-1"}))
    url = payload["images"][0]["original_url"]
    expires = int(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["Expires"][0])
    assert expires == int(camera.clock.now) + camera.config.url_seconds
    monkeypatch.setattr(oss2.auth.time, "time", lambda: camera.clock.now)
    bucket = oss2.Bucket(oss2.StsAuth("STS.session1", "secret1", "token1"), "https://oss-cn-hangzhou.aliyuncs.com", BUCKET)
    expected = bucket.sign_url("GET", KEY, camera.config.url_seconds)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query) == urllib.parse.parse_qs(urllib.parse.urlsplit(expected).query)
    assert url.split("?")[0] == expected.split("?")[0]


# ------------------------------------------------------------ owner identity
def test_an_owner_header_is_not_an_identity(camera):
    camera.register("cam-1", owner="owner-1")
    for gateway in (True, False):
        event = camera.owner_event("GET", "/images", None, query={"device_id": "cam-1"}, gateway=gateway)
        event["headers"]["X-Camera-Owner"] = "owner-1"
        status, payload = camera.call("image_query", event)
        assert (status, payload["error"]) == (401, "NoOwner")


@pytest.mark.parametrize("token", [
    security.make_owner_token("x" * 48, "owner-1", 1795341600 + 3600),  # another key
    security.make_owner_token(SIGNING_KEY, "owner-1", 1795341600 - 1),  # expired
    "owner-1", "", "a.b", "a.b.c",
    security.make_cursor(SIGNING_KEY, "cam-1", "owner-1", "1795341600000-a1b2c3", [], 1795341600 + 3600),  # a cursor is not a token
])
def test_forged_expired_or_foreign_owner_tokens_are_refused(camera, token):
    camera.register("cam-1", owner="owner-1")
    status, payload = camera.call("image_query", camera.owner_event("GET", "/images", None, query={"device_id": "cam-1"}, token=token))
    assert (status, payload["error"]) == (401, "NoOwner")


def test_owner_token_tool_issues_what_the_functions_accept(camera, monkeypatch, capsys):
    import importlib.util
    import os

    from camera_harness import FC

    spec = importlib.util.spec_from_file_location("camera_owner_token", os.path.join(FC, "owner_token.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setenv("CAMERA_SIGNING_KEY", SIGNING_KEY)
    assert tool.main(["--owner", "owner-7", "--days", "30"], now=camera.clock.now) == 0
    token = capsys.readouterr().out.strip()
    camera.register("cam-7", owner="owner-1")
    status, payload = camera.call("device_manager", camera.owner_event("POST", "/register", None, {"device_id": "cam-8"}, token=token))
    assert status == 201, payload
    assert camera.ots.tables["devices"].rows[("cam-8",)]["owner_id"] == "owner-7"


# ------------------------------------------------------------ hostile bytes
def test_deeply_nested_json_body_is_400(camera):
    secret = camera.register("cam-1")
    body = ("[" * 20000 + "]" * 20000).encode()
    event = camera.device_event("cam-1", secret, "/images")
    event["body"] = base64.b64encode(body).decode()
    status, payload = camera.call("upload_handler", event)
    assert status in (400, 401), payload
    nested = b'{"object_key":' + b"[" * 20000 + b"]" * 20000 + b"}"
    status, payload = camera.call("device_manager", camera.owner_event("POST", "/register", "owner-1", None))
    raw = camera.owner_event("POST", "/register", "owner-1", None)
    raw["body"] = base64.b64encode(nested).decode()
    status, payload = camera.call("device_manager", raw)
    assert status == 400, payload


def test_deeply_nested_event_is_400(camera):
    raw = b'{"a":' + b"[" * 20000 + b"]" * 20000 + b"}"
    result = camera.handlers["image_query"].handler(raw, Context(), services=camera.services)
    assert result["statusCode"] == 400


@pytest.mark.parametrize("where", ["path", "header", "query", "body"])
def test_lone_surrogates_are_400(camera, where):
    secret = camera.register("cam-1")
    event = camera.device_event("cam-1", secret, "/images", {"object_key": KEY})
    if where == "path":
        event["rawPath"] = "/\udc80/images"
    elif where == "header":
        event["headers"]["X-Camera-Nonce"] = "nonce-\udc80-aaaaaaaaaa"
    elif where == "query":
        event["queryParameters"] = {"device_id": "cam\ud800"}
    else:
        event["isBase64Encoded"] = False
        event["body"] = '{"object_key": "\udc80"}'
    for name in ("upload_handler", "image_query", "device_manager"):
        raw = json.dumps(event).encode()  # ensure_ascii keeps the lone surrogate as \\udc80
        result = camera.handlers[name].handler(raw, Context(), services=camera.services)
        assert 400 <= result["statusCode"] < 500, (name, result)


ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


def fresh():
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.start()
    camera = Camera(mock)
    secret1 = camera.register("cam-1", owner="owner-1")
    camera.register("cam-2", owner="owner-2")
    camera.services.store.create_image("cam-2", "1795341600000-secret", {
        "device_id": "cam-2", "has_motion": True, "created_at": 1795341600000, "oss_path_original": "devices/cam-2/1795341600000-secret.jpg"})
    # every HEAD answers "a normal object": only the handlers' own checks stand between cam-1 and cam-2
    mock.add(responses.HEAD, re.compile(r"https://.*"), headers={"Content-Length": "10", "x-oss-object-type": "Normal"})
    return camera, mock, secret1


@SETTINGS
@given(path=st.one_of(ANY_TEXT, st.sampled_from(["/images", "/token", "/register", "/images/../token"])),
       headers=st.dictionaries(st.one_of(ANY_TEXT, st.sampled_from(["X-Camera-Device", "X-Camera-Owner", "X-Camera-Owner-Token"])),
                               st.one_of(ANY_TEXT, st.sampled_from(["cam-2", "owner-2"])), max_size=4),
       query=st.dictionaries(st.sampled_from(["device_id", "cursor", "start", "end", "limit", "motion"]),
                             st.one_of(ANY_TEXT, st.just("cam-2")), max_size=4),
       body=st.one_of(st.binary(max_size=120), ANY_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
                      st.just(json.dumps({"object_key": FOREIGN, "device_id": "cam-2"}).encode())),
       base64_body=st.booleans(), signed=st.booleans(), method=st.sampled_from(["GET", "POST", "PUT", "get"]))
def test_hostile_requests_never_5xx_and_never_another_devices_data(path, headers, query, body, base64_body, signed, method):
    camera, mock, secret = fresh()
    try:
        if signed and path.startswith("/"):
            event = camera.device_event("cam-1", secret, path, method=method)
            raw_body = body
            ts, nonce = event["headers"]["X-Camera-Timestamp"], event["headers"]["X-Camera-Nonce"]
            try:
                event["headers"]["X-Camera-Signature"] = security.sign(secret, method, path, ts, nonce, raw_body)
            except UnicodeEncodeError:
                pass
        else:
            event = camera.owner_event(method, path, "owner-1", query=query)
        event["headers"].update(headers)
        event["queryParameters"] = query
        if base64_body:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            event["body"], event["isBase64Encoded"] = body.decode("utf-8", "surrogateescape"), False
        raw = json.dumps(event).encode()
        for name in ("device_manager", "upload_handler", "image_query"):
            result = camera.handlers[name].handler(raw, Context(), services=camera.services)
            assert result["statusCode"] < 500, (name, result)
            assert "cam-2" not in result["body"] or "secret" not in result["body"], (name, result)
            assert "devices/cam-2/" not in result["body"], (name, result)
        assert set(camera.ots.tables["images"].rows) <= {("cam-2", "1795341600000-secret"), ("cam-1", "1795341600000-a1b2c3")}
        for call in camera.sts_calls:
            assert "cam-2" not in call["policy"]
    finally:
        mock.stop()
        mock.reset()


@SETTINGS
@given(raw=st.one_of(st.binary(max_size=200), st.text(st.characters(codec=None, exclude_categories=()), max_size=60).map(
    lambda t: t.encode("utf-8", "surrogatepass")), st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n)))
def test_raw_event_bytes_never_5xx(raw):
    camera, mock, dummy = fresh()
    try:
        for name in ("device_manager", "upload_handler", "image_query"):
            result = camera.handlers[name].handler(raw, Context(), services=camera.services)
            assert "statusCode" not in result or 400 <= result["statusCode"] < 500, (name, raw, result)
    finally:
        mock.stop()
        mock.reset()
