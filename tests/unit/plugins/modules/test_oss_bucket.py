# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oss_bucket against the real oss2 client, stubbed at the HTTP layer with ``responses``."""

import json
import os
import sys

import pytest
import responses
from ansible.module_utils.testing import patch_module_args

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from aliyun_fakes import OssServer

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import errors, oss
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import Credentials
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError
from ansible_collections.opsforge.infra.plugins.modules import oss_bucket

CREDS = Credentials("LTAIfake", "secretfake", None, "cn-hangzhou")
RULES = [
    {"id": "images", "prefix": "devices/", "expiration_days": 30, "noncurrent_expiration_days": 1, "abort_multipart_days": 1},
    {"id": "archive-markers", "prefix": "archive/", "expired_object_delete_marker": True},
    {"id": "thumbs", "prefix": "thumbnails/", "expiration_days": 7, "noncurrent_expiration_days": 1},
]


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setattr(errors, "_sleep", lambda s: None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield OssServer(mock)


def params(**kw):
    base = dict(name="camera-test", state="present", endpoint=None, storage_class="Standard", acl=None, block_public_access=None,
                versioning=None, encryption=None, lifecycle_rules=None, tags=None, purge_tags=True)
    base.update(kw)
    return base


def full():
    return params(acl="private", block_public_access=True, versioning="enabled", encryption={"algorithm": "AES256", "kms_key_id": None},
                  lifecycle_rules=RULES, tags={"app": "camera"})


def run(p, check=False):
    return oss.run(oss.bucket_client(CREDS, "camera-test"), p, check)


def test_check_create_check_idempotent_absent(server):
    result = run(full(), check=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["bucket"]["versioning"] == "enabled"
    assert server.writes == []

    result = run(full())
    assert result["changed"] is True
    bucket = result["bucket"]
    assert bucket["acl"] == "private" and bucket["block_public_access"] is True and bucket["versioning"] == "enabled"
    assert bucket["encryption"] == {"algorithm": "AES256", "kms_key_id": None}
    assert bucket["tags"] == {"app": "camera"}
    by_id = {r["id"]: r for r in bucket["lifecycle_rules"]}
    assert by_id["images"]["expiration_days"] == 30 and by_id["images"]["noncurrent_expiration_days"] == 1
    assert by_id["archive-markers"]["expired_object_delete_marker"] is True and by_id["archive-markers"]["expiration_days"] is None
    assert by_id["thumbs"]["prefix"] == "thumbnails/" and by_id["thumbs"]["expiration_days"] == 7
    assert "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>" in server.config["lifecycle"]
    assert "<NoncurrentDays>1</NoncurrentDays>" in server.config["lifecycle"]

    writes = len(server.writes)
    again = run(full(), check=True)
    assert again["changed"] is False
    again = run(full())
    assert again["changed"] is False and again["bucket"] == bucket
    assert len(server.writes) == writes

    assert run(params(state="absent"))["changed"] is True
    assert server.exists is False
    assert run(params(state="absent"))["changed"] is False


def test_only_what_differs_is_written(server):
    run(full())
    before = len(server.writes)
    result = run(params(tags={"app": "camera", "env": "prod"}))
    assert result["changed"] is True
    assert server.writes[before:] == [("PUT", "tagging")]
    assert result["diff"]["before"]["tags"] == {"app": "camera"}
    assert result["diff"]["after"]["tags"] == {"app": "camera", "env": "prod"}


def test_unset_options_are_left_alone(server):
    run(full())
    result = run(params())
    assert result["changed"] is False
    assert result["bucket"]["lifecycle_rules"]


def test_empty_rules_remove_the_lifecycle(server):
    run(full())
    result = run(params(lifecycle_rules=[]))
    assert result["changed"] is True and result["bucket"]["lifecycle_rules"] == []
    assert "lifecycle" not in server.config


def test_bad_rules_fail_before_any_write(server):
    bad = dict(RULES[0], expired_object_delete_marker=True)
    with pytest.raises(AliyunError, match="cannot be in one rule"):
        run(params(lifecycle_rules=[bad]))
    with pytest.raises(AliyunError, match="used twice"):
        run(params(lifecycle_rules=[RULES[0], RULES[0]]))
    with pytest.raises(AliyunError, match="has no action"):
        run(params(lifecycle_rules=[{"id": "x"}]))
    assert server.writes == []


@pytest.mark.parametrize("second", [
    {"id": "markers", "prefix": "devices/", "expired_object_delete_marker": True},  # Expiration twice on devices/
    {"id": "all", "prefix": "", "expiration_days": 90},  # "" overlaps every prefix
    {"id": "cam1", "prefix": "devices/cam-1/", "abort_multipart_days": 2},
])
def test_rules_with_the_same_action_on_overlapping_prefixes_fail_before_any_write(server, second):
    first = {"id": "images", "prefix": "devices/", "expiration_days": 30, "abort_multipart_days": 1}
    with pytest.raises(AliyunError, match="overlap"):
        run(params(lifecycle_rules=[first, second]))
    assert server.writes == []


def test_the_fake_refuses_overlapping_rules_as_oss_does(server):
    """The guard above is about what OSS answers: without it the PUT is refused with InvalidArgument."""
    import oss2
    from oss2 import models

    run(params())
    bucket = oss.bucket_client(CREDS, "camera-test")
    rules = [models.LifecycleRule("a", "devices/", status="Enabled", expiration=models.LifecycleExpiration(days=30)),
             models.LifecycleRule("b", "devices/", status="Enabled", expiration=models.LifecycleExpiration(expired_detete_marker=True))]
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.put_bucket_lifecycle(models.BucketLifecycle(rules))
    assert info.value.status == 400 and "Overlap" in info.value.message


def test_throttling_is_retried(server):
    server.fail_next = [(503, "ServiceUnavailable"), (429, "Throttling")]
    result = run(full())
    assert result["changed"] is True and server.exists


def test_access_denied_is_translated(server):
    server.fail_next = [(403, "AccessDenied")]
    with pytest.raises(AliyunError) as info:
        run(full())
    assert info.value.code == "AccessDenied"
    assert "get bucket info failed (AccessDenied)" in info.value.msg
    assert info.value.details["request_id"] == "FAKE0001"


def _main(monkeypatch, capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            oss_bucket.main()
    out = capsys.readouterr().out
    return json.loads(out[out.index("{"):])


def test_module_main_and_no_log(server, monkeypatch, capsys):
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_REGION_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    result = _main(monkeypatch, capsys, name="camera-test", access_key="LTAIfake", secret_key="verysecretvalue", region="cn-hangzhou",
                   versioning="enabled", block_public_access=True)
    assert result["changed"] is True
    assert result["bucket"]["versioning"] == "enabled"
    assert "verysecretvalue" not in json.dumps(result)


def test_module_fails_clearly_without_credentials(server, monkeypatch, capsys):
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_REGION_ID", "ALIBABA_CLOUD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    result = _main(monkeypatch, capsys, name="camera-test")
    assert result["failed"] is True
    assert "no Aliyun credentials" in result["msg"]
    assert server.requests == []


def test_module_env_fallback(server, monkeypatch, capsys):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envsecret")
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")
    result = _main(monkeypatch, capsys, name="camera-test", state="absent")
    assert result["changed"] is False and result.get("failed") is not True
