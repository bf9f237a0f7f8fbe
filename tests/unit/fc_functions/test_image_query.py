# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import pytest
from camera_common import security
from camera_harness import oss_v1_url_signature_ok

BASE_MS = 1795341600000


def seed(camera, device_id, count, motion_every=0, owner="owner-1", start_ms=BASE_MS, step_ms=1000):
    if ("%s" % device_id,) not in camera.ots.tables["devices"].rows:
        camera.register(device_id, owner=owner)
    store = camera.services.store
    for i in range(count):
        ms = start_ms - i * step_ms
        row_key = "%013d-img%04d" % (ms, i)
        store.create_image(device_id, row_key, {
            "device_id": device_id, "has_motion": bool(motion_every and i % motion_every == 0),
            "oss_path_original": "devices/%s/%s.jpg" % (device_id, row_key),
            "oss_path_thumbnail": "thumbnails/devices/%s/%s.jpg" % (device_id, row_key),
            "created_at": ms, "image_size": 1000 + i,
        })


def query(camera, owner="owner-1", **params):
    params = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
    return camera.call("image_query", camera.owner_event("GET", "/images", owner, query=params))


def test_newest_first_with_signed_urls(camera):
    seed(camera, "cam-1", 3)
    status, payload = query(camera, device_id="cam-1")
    assert status == 200, payload
    ids = [img["image_id"] for img in payload["images"]]
    assert ids == sorted(ids, reverse=True)
    assert ids[0] == "%013d-img0000" % BASE_MS
    first = payload["images"][0]
    assert first["original_url"].startswith("https://camera-test.oss-cn-hangzhou.aliyuncs.com/devices%2Fcam-1%2F")
    # signed with the read session image_query assumed (the harness's STS answers secret1/token1)
    key = "devices/cam-1/%s.jpg" % ids[0]
    assert oss_v1_url_signature_ok(first["original_url"], key, "secret1", "token1")
    assert oss_v1_url_signature_ok(first["thumbnail_url"], "thumbnails/" + key, "secret1", "token1")
    assert not oss_v1_url_signature_ok(first["original_url"], key, "another-secret", "token1")
    assert payload["next_cursor"] is None


def test_time_range_is_inclusive_and_exact(camera):
    seed(camera, "cam-1", 10)
    status, payload = query(camera, device_id="cam-1", start=BASE_MS - 5000, end=BASE_MS - 2000)
    assert [img["created_at"] for img in payload["images"]] == [BASE_MS - 2000, BASE_MS - 3000, BASE_MS - 4000, BASE_MS - 5000]


def test_paging_walks_everything_once(camera):
    camera.ots.scan_budget = 7  # the service stops early; the code must keep going
    seed(camera, "cam-1", 53)
    seen, cursor = [], None
    for _page in range(20):
        params = dict(device_id="cam-1", limit=10)
        if cursor:
            params["cursor"] = cursor
        status, payload = query(camera, **params)
        assert status == 200, payload
        assert len(payload["images"]) <= 10
        seen.extend(img["image_id"] for img in payload["images"])
        cursor = payload["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 53 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_motion_filter(camera):
    camera.ots.scan_budget = 4
    seed(camera, "cam-1", 30, motion_every=5)
    status, payload = query(camera, device_id="cam-1", motion=True, limit=100)
    assert status == 200
    assert len(payload["images"]) == 6
    assert all(img["has_motion"] for img in payload["images"])
    status, payload = query(camera, device_id="cam-1", motion=False, limit=100)
    assert len(payload["images"]) == 24


def test_other_owner_gets_404_like_a_missing_device(camera):
    seed(camera, "cam-1", 3, owner="owner-1")
    status, payload = query(camera, owner="owner-2", device_id="cam-1")
    missing_status, missing = query(camera, owner="owner-2", device_id="nope")
    assert status == missing_status == 404
    assert payload["error"] == missing["error"] and payload["message"] == missing["message"]
    assert "images" not in payload


def test_no_owner_is_401(camera):
    seed(camera, "cam-1", 1)
    assert query(camera, owner=None, device_id="cam-1")[0] == 401


def test_cursor_is_bound_to_device_owner_and_query(camera):
    seed(camera, "cam-1", 30, owner="owner-1")
    seed(camera, "cam-2", 30, owner="owner-1")
    status, payload = query(camera, device_id="cam-1", limit=5)
    cursor = payload["next_cursor"]
    assert cursor
    assert "cam-1" not in cursor.split(".")[1]
    for params in (dict(device_id="cam-2", limit=5), dict(device_id="cam-1", limit=6), dict(device_id="cam-1", limit=5, motion=True)):
        status, payload = query(camera, cursor=cursor, **params)
        assert (status, payload.get("error")) == (400, "InvalidCursor"), params
    camera.register("cam-9", owner="owner-2")
    assert query(camera, owner="owner-2", device_id="cam-1", limit=5, cursor=cursor)[0] == 404


def test_forged_tampered_and_expired_cursors(camera):
    seed(camera, "cam-1", 30)
    bound = [BASE_MS - 30 * 24 * 3600 * 1000, BASE_MS, 5, None]
    forged = security.make_cursor("x" * 48, "cam-1", "owner-1", "%013d-img0003" % BASE_MS, bound, camera.clock.now + 100)
    status, dummy = query(camera, device_id="cam-1", limit=5, end=BASE_MS, cursor=forged)
    assert status == 400
    status, payload = query(camera, device_id="cam-1", limit=5, end=BASE_MS)
    cursor = payload["next_cursor"]
    body, mac = cursor.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    assert query(camera, device_id="cam-1", limit=5, end=BASE_MS, cursor=tampered)[0] == 400
    camera.clock.now += 3601
    assert query(camera, device_id="cam-1", limit=5, end=BASE_MS, cursor=cursor)[0] == 400


@pytest.mark.parametrize("params", [
    dict(limit=0), dict(limit=101), dict(limit="ten"), dict(start="-1"), dict(end="1e9"),
    dict(start=BASE_MS, end=BASE_MS - 1), dict(motion="yes"), dict(device_id="../x"), dict(cursor="nope"),
])
def test_bad_parameters_are_400(camera, params):
    seed(camera, "cam-1", 1)
    merged = dict(device_id="cam-1")
    merged.update(params)
    status, payload = query(camera, **merged)
    assert status == 400, payload
    assert payload["message"]


class MovingClock:
    """Every read of the clock is one millisecond later: pages are never asked for at the same instant."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        self.now += 0.001
        return self.now


@pytest.mark.parametrize("window", [{}, {"start": BASE_MS - 60000}, {"end": BASE_MS}])
def test_paging_with_the_default_window_and_a_moving_clock(camera, window):
    seed(camera, "cam-1", 25)
    camera.services.clock = MovingClock(camera.clock.now)
    status, payload = query(camera, device_id="cam-1", limit=10, **window)
    assert status == 200, payload
    seen = [img["image_id"] for img in payload["images"]]
    # an image that arrives after page 1 was served belongs to a later query, not to page 2
    camera.services.store.create_image("cam-1", "%013d-late" % (BASE_MS + 5), {"device_id": "cam-1", "created_at": BASE_MS + 5})
    cursor = payload["next_cursor"]
    while cursor:
        camera.services.clock.now += 120  # the owner reads page 1 for two minutes
        status, payload = query(camera, device_id="cam-1", limit=10, cursor=cursor, **window)
        assert status == 200, payload
        seen.extend(img["image_id"] for img in payload["images"])
        cursor = payload["next_cursor"]
    assert seen == ["%013d-img%04d" % (BASE_MS - i * 1000, i) for i in range(25)]


def test_a_cursor_does_not_change_an_explicit_window(camera):
    seed(camera, "cam-1", 25)
    status, payload = query(camera, device_id="cam-1", limit=5, end=BASE_MS)
    cursor = payload["next_cursor"]
    assert query(camera, device_id="cam-1", limit=5, cursor=cursor)[0] == 400  # page 1 had end=, page 2 has none
    assert query(camera, device_id="cam-1", limit=5, end=BASE_MS - 1, cursor=cursor)[0] == 400
