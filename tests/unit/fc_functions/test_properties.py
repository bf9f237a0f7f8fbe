# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests: malformed and hostile input never gives a 500, never another device's
data, never an OSS path or a session policy outside the device's prefix."""

import base64
import json
import re

import responses
from camera_common import security
from camera_harness import Camera
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40))
json_values = st.recursive(
    json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12
)
hostile_text = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["../", "..%2f", "cam-1/../cam-2", "cam-2", "cam-1\x00", "cam-1\n", "*", "cam-1/*", "\u202ecam", "%s" % ("a" * 65), "", " "]),
)
hostile_keys = st.one_of(
    hostile_text,
    st.builds(
        lambda d, ms, sfx, ext: "devices/%s/%s-%s.%s" % (d, ms, sfx, ext),
        hostile_text, st.text("0123456789", max_size=14), hostile_text, st.sampled_from(["jpg", "png", "exe", "jpg/../x"]),
    ),
)


def fresh():
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.start()
    camera = Camera(mock)
    camera.register("cam-1", owner="owner-1")
    camera.register("cam-2", owner="owner-2")
    store = camera.services.store
    for device in ("cam-1", "cam-2"):
        for i in range(5):
            key = "%013d-x%d" % (1795341600000 - i, i)
            store.create_image(device, key, {"device_id": device, "has_motion": bool(i % 2), "created_at": 1795341600000 - i,
                                             "oss_path_original": "devices/%s/%s.jpg" % (device, key)})
    return camera, mock


@SETTINGS
@given(event=st.one_of(json_values, st.dictionaries(st.sampled_from(["httpMethod", "path", "headers", "queryParameters", "body", "isBase64Encoded",
                                                                     "rawPath", "requestContext", "events"]), json_values, max_size=7)))
def test_any_event_shape_never_500(event):
    camera, mock = fresh()
    try:
        for name in ("device_manager", "upload_handler", "image_query"):
            result = camera.handlers[name].handler(json.dumps(event).encode(), None, services=camera.services)
            if "statusCode" in result:
                assert result["statusCode"] < 500, (name, event, result)
                assert "Traceback" not in result["body"]
    finally:
        mock.stop()
        mock.reset()


@SETTINGS
@given(params=st.dictionaries(st.sampled_from(["device_id", "start", "end", "limit", "motion", "cursor"]), hostile_text, max_size=6),
       owner=st.sampled_from(["owner-1", "owner-2", "", "owner-1 ", "*"]))
def test_query_never_500_and_never_other_devices_data(params, owner):
    camera, mock = fresh()
    try:
        event = camera.owner_event("GET", "/images", owner, query=params)
        status, payload = camera.call("image_query", event)
        assert status < 500
        if status == 200:
            device = payload["device_id"]
            assert (device, owner) in (("cam-1", "owner-1"), ("cam-2", "owner-2"))
            for img in payload["images"]:
                assert img["oss_path_original"].startswith("devices/%s/" % device)
    finally:
        mock.stop()
        mock.reset()


REPORTS = st.fixed_dictionaries({"object_key": hostile_keys, "thumbnail_key": st.one_of(st.none(), hostile_keys), "has_motion": json_scalars})


@SETTINGS
@given(body=st.one_of(json_values, REPORTS))
def test_device_reports_never_500_and_never_leave_the_prefix(body):
    camera, mock = fresh()
    try:
        mock.add(responses.HEAD, re.compile(r"https://camera-test\.oss-cn-hangzhou-internal\.aliyuncs\.com/.*"),
                 headers={"Content-Length": "10", "x-oss-object-type": "Normal"})
        secret = camera.register("cam-3", owner="owner-3")
        status, payload = camera.call("upload_handler", camera.device_event("cam-3", secret, "/images", body))
        assert status < 500, payload
        for (device, _dummy), row in camera.ots.tables["images"].rows.items():
            assert row.get("oss_path_original", "").startswith("devices/%s/" % device)
            thumb = row.get("oss_path_thumbnail")
            assert thumb is None or thumb.startswith("thumbnails/devices/%s/" % device)
        if status not in (200, 201):
            assert not any(device == "cam-3" for device, _dummy in camera.ots.tables["images"].rows)
    finally:
        mock.stop()
        mock.reset()


@SETTINGS
@given(headers=st.dictionaries(st.sampled_from(["X-Camera-Device", "X-Camera-Timestamp", "X-Camera-Nonce", "X-Camera-Signature"]), hostile_text),
       body=st.binary(max_size=200))
def test_unsigned_or_forged_device_requests_get_no_token(headers, body):
    camera, mock = fresh()
    try:
        event = camera.device_event("cam-1", "0" * 64, "/token")
        event["headers"].update(headers)
        event["body"] = base64.b64encode(body).decode()
        status, dummy = camera.call("device_manager", event)
        assert status in (400, 401)
        assert camera.sts_calls == []
    finally:
        mock.stop()
        mock.reset()


@SETTINGS
@given(device_id=st.text(max_size=80))
def test_session_policy_only_for_safe_ids_and_always_inside_the_prefix(device_id):
    if not security.valid_device_id(device_id):
        try:
            security.device_upload_policy("camera-test", device_id)
        except Exception as exc:
            assert getattr(exc, "status", None) == 400
            return
        raise AssertionError("policy built for %r" % device_id)
    policy = json.loads(security.device_upload_policy("camera-test", device_id))
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["oss:PutObject"]
    assert statement["Resource"] == ["acs:oss:*:*:camera-test/devices/%s/*" % device_id, "acs:oss:*:*:camera-test/thumbnails/devices/%s/*" % device_id]


@SETTINGS
@given(key=hostile_keys, device_id=st.sampled_from(["cam-1", "cam-2"]))
def test_parse_image_key_never_accepts_a_foreign_path(key, device_id):
    try:
        match = security.parse_image_key(key, device_id)
    except Exception as exc:
        assert getattr(exc, "status", None) == 403
        return
    assert key.startswith("devices/%s/" % device_id)
    assert ".." not in key and "//" not in key and "\n" not in key
    assert security.row_key_for(match) in key
