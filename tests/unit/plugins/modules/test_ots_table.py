# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ots_table against the OTSClient-boundary fake (real tablestore model classes and errors)."""

import json
import os
import sys

import pytest
import tablestore
from ansible.module_utils.testing import patch_module_args

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from aliyun_fakes import FakeOTSClient

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import errors, ots
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError
from ansible_collections.opsforge.infra.plugins.modules import ots_table

IMAGES = dict(
    name="images", state="present", instance="camera", endpoint=None,
    primary_key=[{"name": "partition_key", "type": "STRING"}, {"name": "row_key", "type": "STRING"}],
    defined_columns=[{"name": "has_motion", "type": "BOOLEAN"}, {"name": "created_at", "type": "INTEGER"}],
    time_to_live=2592000, max_versions=1, max_time_deviation=86400, reserved_read=0, reserved_write=0,
)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(errors, "_sleep", lambda s: None)


def p(**kw):
    out = dict(IMAGES)
    out.update(kw)
    return out


def test_check_create_idempotent_update_absent():
    client = FakeOTSClient()
    result = ots.run(client, p(), True)
    assert result["changed"] is True and client.tables == {}
    result = ots.run(client, p(), False)
    assert result["changed"] is True
    table = result["table"]
    assert table["primary_key"] == IMAGES["primary_key"]
    assert [c["name"] for c in table["defined_columns"]] == ["created_at", "has_motion"]
    assert table["time_to_live"] == 2592000 and table["max_versions"] == 1
    assert ots.run(client, p(), True)["changed"] is False
    assert ots.run(client, p(), False)["changed"] is False
    creates = [c for c in client.calls if c[0] != "describe_table"]
    result = ots.run(client, p(time_to_live=86400 * 7), False)
    assert result["changed"] is True
    assert result["diff"]["before"]["time_to_live"] == 2592000 and result["table"]["time_to_live"] == 604800
    assert client.calls[len(creates):] == [("update_table", "images")]
    assert ots.run(client, p(state="absent"), False)["changed"] is True
    assert "images" not in client.tables
    assert ots.run(client, p(state="absent"), False)["changed"] is False


def test_primary_key_change_fails_before_writing():
    client = FakeOTSClient()
    ots.run(client, p(), False)
    writes = list(client.calls)
    with pytest.raises(AliyunError, match="primary key of table images cannot change"):
        ots.run(client, p(primary_key=[{"name": "device_id", "type": "STRING"}], time_to_live=-1), False)
    with pytest.raises(AliyunError, match="defined columns of table images differ"):
        ots.run(client, p(defined_columns=[{"name": "x", "type": "STRING"}]), False)
    assert client.calls == writes


def test_bad_input_fails_before_writing():
    client = FakeOTSClient()
    with pytest.raises(AliyunError, match="at least 86400"):
        ots.run(client, p(time_to_live=60), False)
    with pytest.raises(AliyunError, match="1 to 4 primary key"):
        ots.run(client, p(primary_key=[{"name": "k%d" % i, "type": "STRING"} for i in range(5)]), False)
    with pytest.raises(AliyunError, match="unique"):
        ots.run(client, p(defined_columns=[{"name": "row_key", "type": "STRING"}]), False)
    with pytest.raises(AliyunError, match="primary_key is required"):
        ots.run(client, p(primary_key=None), False)
    assert client.tables == {}


def test_server_busy_is_retried_and_errors_translated():
    client = FakeOTSClient()
    real = client.describe_table
    state = {"n": 0}

    def flaky(name):
        state["n"] += 1
        if state["n"] < 3:
            raise tablestore.OTSServiceError(503, "OTSServerBusy", "Server is busy.", "req-1")
        return real(name)

    client.describe_table = flaky
    assert ots.run(client, p(), False)["changed"] is True

    def denied(name):
        raise tablestore.OTSServiceError(403, "OTSAuthFailed", "Signature mismatch", "req-2")

    client.describe_table = denied
    with pytest.raises(AliyunError) as info:
        ots.run(client, p(), False)
    assert info.value.code == "OTSAuthFailed" and info.value.details["request_id"] == "req-2"
    assert "describe table images failed (OTSAuthFailed): Signature mismatch" == info.value.msg


def test_module_main(monkeypatch, capsys):
    client = FakeOTSClient()
    monkeypatch.setattr(ots, "ots_client", lambda creds, instance, endpoint=None: client)
    args = dict(name="devices", instance="camera", access_key="LTAI", secret_key="s3cr3t-value", region="cn-hangzhou",
                primary_key=[{"name": "device_id"}])
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            ots_table.main()
    out = capsys.readouterr().out
    result = json.loads(out[out.index("{"):])
    assert result["changed"] is True
    assert result["table"]["primary_key"] == [{"name": "device_id", "type": "STRING"}]
    assert result["table"]["time_to_live"] == -1
    assert "s3cr3t-value" not in out
