# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import json

import oss2
import pytest
import tablestore
from Tea.exceptions import TeaException, UnretryableException

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import credentials
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError, call
from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError


def oss_error(status, code):
    return oss2.exceptions.make_exception(type("R", (), {
        "status": status, "headers": {"x-oss-request-id": "OSSREQ"}, "read": lambda self, size=None: (
            "<Error><Code>%s</Code><Message>msg %s</Message><RequestId>OSSREQ</RequestId></Error>" % (code, code)).encode(),
        "request_id": "OSSREQ",
    })())


def tea(code, status):
    return TeaException({"code": code, "message": "msg %s" % code, "data": {"RequestId": "TEAREQ", "statusCode": status}})


CASES = [
    (oss_error(404, "NoSuchBucket"), "NoSuchBucket", "OSSREQ"),
    (tablestore.OTSServiceError(404, "OTSObjectNotExist", "Requested table does not exist.", "OTSREQ"), "OTSObjectNotExist", "OTSREQ"),
    (tea("EntityNotExist.Role", 404), "EntityNotExist.Role", "TEAREQ"),
]


@pytest.mark.parametrize("exc, code, request_id", CASES)
def test_translation_keeps_code_and_request_id(exc, code, request_id, sleeps, raiser):
    with pytest.raises(AliyunError) as info:
        call("describe thing", raiser(exc))
    assert isinstance(info.value, OpsforgeError)
    assert info.value.code == code
    assert info.value.details["request_id"] == request_id
    assert info.value.msg.startswith("describe thing failed (%s): " % code)
    assert info.value.cause is exc
    assert "Traceback" in info.value.fail_kwargs()["exception"]
    assert sleeps == []


@pytest.mark.parametrize("exc, code, request_id", CASES)
def test_not_found_becomes_none(exc, code, request_id, sleeps, raiser):
    assert call("describe", raiser(exc), not_found=(code,)) is None


@pytest.mark.parametrize("exc", [
    oss_error(503, "ServiceUnavailable"), oss_error(429, "Throttling"),
    tablestore.OTSServiceError(503, "OTSServerBusy", "busy"), tablestore.OTSServiceError(403, "OTSQuotaExhausted", "quota"),
    tea("Throttling.User", 400), tea("TooManyRequests", 429), UnretryableException(None, ConnectionError("reset")),
])
def test_throttling_is_retried_with_jittered_backoff(exc, sleeps, raiser):
    assert call("thing", raiser(exc, exc, exc)) == "ok"
    assert len(sleeps) == 3
    assert all(0 <= s <= 20 for s in sleeps)


def test_retries_are_bounded(sleeps, raiser):
    exc = tea("Throttling", 429)
    with pytest.raises(AliyunError, match="Throttling"):
        call("thing", raiser(*([exc] * 10)), retries=3)
    assert len(sleeps) == 3


def test_non_sdk_errors_are_not_swallowed(sleeps, raiser):
    with pytest.raises(KeyError):
        call("thing", raiser(KeyError("bug")))


def test_credentials_from_profile(tmp_path, raiser):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"current": "prod", "profiles": [
        {"name": "prod", "mode": "StsToken", "access_key_id": "STS.a", "access_key_secret": "b", "sts_token": "c", "region_id": "cn-shanghai"},
        {"name": "ram", "mode": "RamRoleArn"},
    ]}))
    creds = credentials({"profile": None}, profile_path=str(path))
    assert (creds.access_key, creds.secret_key, creds.security_token, creds.region) == ("STS.a", "b", "c", "cn-shanghai")
    creds = credentials({"profile": "prod", "region": "cn-beijing"}, profile_path=str(path))
    assert creds.region == "cn-beijing"
    with pytest.raises(AliyunError, match="only AK and StsToken"):
        credentials({"profile": "ram"}, profile_path=str(path))
    with pytest.raises(AliyunError, match="is not in"):
        credentials({"profile": "nope"}, profile_path=str(path))
    with pytest.raises(AliyunError, match="no region"):
        credentials({"access_key": "a", "secret_key": "b"}, profile_path=str(tmp_path / "absent.json"))
