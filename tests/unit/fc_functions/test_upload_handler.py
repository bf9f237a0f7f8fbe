# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import copy
import json
import urllib.parse

import pytest
from camera_harness import event_fixture

KEY = "devices/cam-1/1795341600000-a1b2c3.jpg"
THUMB = "thumbnails/devices/cam-1/1795341600000-a1b2c3.jpg"
FEISHU = {"type": "feishu", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/abc", "secret": "feishu-secret"}
DINGTALK = {"type": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=abc", "secret": "SECabcdef"}


def report(camera, secret, body, device_id="cam-1"):
    return camera.call("upload_handler", camera.device_event(device_id, secret, "/images", body))


def test_report_records_metadata_with_size_from_oss(camera):
    secret = camera.register("cam-1")
    camera.stub_object(KEY, size=48213)
    camera.stub_object(THUMB, size=1200)
    status, payload = report(camera, secret, {"object_key": KEY, "thumbnail_key": THUMB, "has_motion": False, "image_size": 1})
    assert status == 201, payload
    assert payload == {"device_id": "cam-1", "image_id": "1795341600000-a1b2c3", "created": True, "notified": None}
    row = camera.ots.tables["images"].rows[("cam-1", "1795341600000-a1b2c3")]
    assert row == {
        "device_id": "cam-1", "has_motion": False, "oss_path_original": KEY, "oss_path_thumbnail": THUMB,
        "created_at": 1795341600000, "image_size": 48213,
    }


def test_retried_upload_keeps_one_row(camera):
    secret = camera.register("cam-1")
    camera.stub_object(KEY)
    assert report(camera, secret, {"object_key": KEY})[0] == 201
    status, payload = report(camera, secret, {"object_key": KEY, "has_motion": True})
    assert status == 200
    assert payload["created"] is False
    assert list(camera.ots.tables["images"].rows) == [("cam-1", "1795341600000-a1b2c3")]
    assert camera.ots.tables["images"].rows[("cam-1", "1795341600000-a1b2c3")]["has_motion"] is True


def test_object_that_was_not_uploaded_is_refused(camera):
    secret = camera.register("cam-1")
    camera.stub_object(KEY, status=404)
    status, payload = report(camera, secret, {"object_key": KEY})
    assert status == 403
    assert payload["error"] == "ObjectRefused"  # the answer of a foreign key: no existence oracle
    assert camera.ots.tables["images"].rows == {}


def test_oss_outage_is_503(camera):
    secret = camera.register("cam-1")
    camera.stub_object(KEY, status=503)
    assert report(camera, secret, {"object_key": KEY})[0] == 503


@pytest.mark.parametrize("key", [
    "devices/cam-2/1795341600000-a1b2c3.jpg",
    "devices/cam-1/../cam-2/1795341600000-a1b2c3.jpg",
    "devices/cam-1/1795341600000-a1b2c3.jpg/../../x.jpg",
    "/devices/cam-1/1795341600000-a1b2c3.jpg",
    "thumbnails/devices/cam-1/1795341600000-a1b2c3.jpg",
    "devices/cam-1/sub/1795341600000-a1b2c3.jpg",
    "devices/cam-1/1795341600000-a1b2c3.exe",
    "devices/cam-1/1795341600000-a1b2c3.jpg\n",
    None, 12,
])
def test_keys_outside_the_device_prefix_are_refused(camera, key):
    secret = camera.register("cam-1")
    status, payload = report(camera, secret, {"object_key": key})
    assert status == 403
    assert payload["error"] == "ObjectRefused"
    assert camera.ots.tables["images"].rows == {}


def test_thumbnail_of_another_device_is_refused(camera):
    secret = camera.register("cam-1")
    status, dummy = report(camera, secret, {"object_key": KEY, "thumbnail_key": "thumbnails/devices/cam-2/1795341600000-a1b2c3.jpg"})
    assert status == 403


def test_motion_sends_a_signed_feishu_message_once(camera):
    secret = camera.register("cam-1", webhook=FEISHU)
    camera.stub_object(KEY)
    status, payload = report(camera, secret, {"object_key": KEY, "has_motion": True})
    assert status == 201
    assert payload["notified"] is True
    ((url, body),) = camera.sent
    assert url == FEISHU["url"]
    assert body["timestamp"] == str(int(camera.clock.now))
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(("%s\n%s" % (body["timestamp"], FEISHU["secret"])).encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert "cam-1" in body["content"]["text"]
    report(camera, secret, {"object_key": KEY, "has_motion": True})  # retry: no second message
    assert len(camera.sent) == 1


def test_motion_sends_a_signed_dingtalk_message(camera):
    secret = camera.register("cam-1", webhook=DINGTALK)
    camera.stub_object(KEY)
    report(camera, secret, {"object_key": KEY, "has_motion": True})
    ((url, body),) = camera.sent
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["access_token"] == ["abc"]
    assert query["timestamp"] == [str(int(camera.clock.now * 1000))]
    import base64
    import hashlib
    import hmac

    to_sign = "%s\n%s" % (query["timestamp"][0], DINGTALK["secret"])
    assert query["sign"] == [base64.b64encode(hmac.new(DINGTALK["secret"].encode(), to_sign.encode(), hashlib.sha256).digest()).decode()]
    assert body["msgtype"] == "text"


@pytest.mark.parametrize("result", [OSError("connection refused"), (500, b"oops"), (200, b'{"code": 19021, "msg": "sign match fail"}'), (200, b"not json")])
def test_failed_notification_never_fails_the_upload(camera, result, caplog):
    secret = camera.register("cam-1", webhook=DINGTALK)
    camera.stub_object(KEY)
    if isinstance(result, Exception):
        camera.send_error = result
    else:
        camera.send_result = result
    status, payload = report(camera, secret, {"object_key": KEY, "has_motion": True})
    assert status == 201
    expected = result == (200, b"not json")
    assert payload["notified"] is expected
    assert ("cam-1", "1795341600000-a1b2c3") in camera.ots.tables["images"].rows


def test_oss_event_records_a_row(camera):
    camera.register("cam-1")
    status, payload = camera.call("upload_handler", event_fixture("oss_object_created.json"))
    assert status == 200
    assert payload == {"recorded": ["1795341600000-a1b2c3"], "refused": 0}
    row = camera.ots.tables["images"].rows[("cam-1", "1795341600000-a1b2c3")]
    assert row["image_size"] == 48213
    assert row["has_motion"] is False


def test_oss_event_then_report_merge_into_one_row(camera):
    secret = camera.register("cam-1")
    camera.call("upload_handler", event_fixture("oss_object_created.json"))
    camera.stub_object(KEY)
    camera.stub_object(THUMB)
    status, payload = report(camera, secret, {"object_key": KEY, "has_motion": True, "thumbnail_key": THUMB})
    assert status == 200 and payload["created"] is False
    assert camera.ots.tables["images"].rows[("cam-1", "1795341600000-a1b2c3")]["has_motion"] is True
    camera.call("upload_handler", event_fixture("oss_object_created.json"))  # late duplicate event
    assert camera.ots.tables["images"].rows[("cam-1", "1795341600000-a1b2c3")]["has_motion"] is True


@pytest.mark.parametrize("mutate", [
    lambda r: r["oss"]["object"].update(key="devices/cam-1/../../etc/passwd"),
    lambda r: r["oss"]["object"].update(key="devices/ghost/1795341600000-a1b2c3.jpg"),
    lambda r: r["oss"]["bucket"].update(name="other-bucket"),
    lambda r: r.update(eventName="ObjectRemoved:DeleteObject"),
    lambda r: r.update(oss=None),
])
def test_oss_event_refuses_what_is_not_ours(camera, mutate):
    camera.register("cam-1")
    event = copy.deepcopy(event_fixture("oss_object_created.json"))
    mutate(event["events"][0])
    status, payload = camera.call("upload_handler", event)
    assert status == 200
    assert payload == {"recorded": [], "refused": 1}
    assert camera.ots.tables["images"].rows == {}


def test_report_needs_a_device_signature(camera):
    camera.register("cam-1")
    event = camera.owner_event("POST", "/images", "owner-1", {"object_key": KEY})
    status, payload = camera.call("upload_handler", event)
    assert status == 401
    assert json.dumps(payload).find("Traceback") == -1


def test_oss_event_during_a_tablestore_outage_raises_so_fc_retries(camera):
    import tablestore

    camera.register("cam-1")

    def down(*args, **kwargs):
        raise tablestore.OTSServiceError(503, "OTSServerUnavailable", "Server is unavailable")

    camera.ots.get_row = down
    with pytest.raises(RuntimeError, match="Unavailable"):
        camera.call("upload_handler", event_fixture("oss_object_created.json"))
