# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shell deploy flow, run locally in a temporary state dir with a local HTTP server as the app."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.shell import SHELL_OPTIONS, ShellDeployment

sys.path.insert(0, os.path.dirname(__file__))
from deploy_helpers import Server  # noqa: E402


def params(tmp_path, **kw):
    out = dict((k, v.get("default")) for k, v in SHELL_OPTIONS.items())
    out.update(app="web", state_dir=str(tmp_path / "state"), workdir=str(tmp_path))
    out.update(kw)
    return out


SCRIPT = 'echo "version=$DEPLOY_VERSION" > current; echo deployed $DEPLOY_VERSION; echo "token=$TOKEN"'
ROLLBACK = 'echo "version=$DEPLOY_VERSION" > current; echo rolled back to $DEPLOY_VERSION'


def deploy(tmp_path, check_mode=False, **kw):
    return ShellDeployment(params(tmp_path, **kw), check_mode=check_mode).run()


def current(tmp_path):
    return (tmp_path / "current").read_text().strip()


def test_deploy_then_idempotent_then_check_mode(tmp_path):
    res = deploy(tmp_path, check_mode=True, version="1", script=SCRIPT)
    assert res["changed"] and not (tmp_path / "current").exists() and not (tmp_path / "state").exists()
    res = deploy(tmp_path, version="1", script=SCRIPT, secret_env=dict(TOKEN="hunter22"))
    assert res["changed"] and current(tmp_path) == "version=1"
    record = res["deploy"]
    assert record["status"] == "success" and record["effective_version"] == "1"
    assert [h["status"] for h in record["history"]] == ["pending", "executing", "script_running", "script_running", "success"]
    assert "hunter22" not in record["logs"] and "token=********" in record["logs"]
    assert res["diff"] == dict(before=dict(version=None), after=dict(version="1"))
    assert res["deploy_event"]["callback_id"] == record["deploy_id"] and res["deploy_event"]["success"]
    again = deploy(tmp_path, version="1", script=SCRIPT)
    assert again["changed"] is False
    assert deploy(tmp_path, check_mode=True, version="1", script=SCRIPT)["changed"] is False
    assert deploy(tmp_path, check_mode=True, version="2", script=SCRIPT)["diff"]["after"]["version"] == "2"
    assert current(tmp_path) == "version=1"
    assert not os.path.exists(st.Store(str(tmp_path / "state")).lock_path("web"))


@pytest.mark.parametrize("bad,status,needle", [
    (dict(script="echo boom >&2; exit 7"), "failed", "exited 7"),
    (dict(script="sleep 20", timeout=1), "timeout", "timed out"),
    (dict(script=SCRIPT), "failed", "health check failed: HTTP 500"),
])
def test_failed_v3_rolls_back_to_v2(tmp_path, bad, status, needle):
    # The "app" answers 500 while version 3 is current, like a release that came up broken.
    with Server(status=lambda n: 500 if current(tmp_path) == "version=3" else 200, body=b"ok") as srv:
        checks = [dict(port=srv.port, retries=0, delay=0)]
        deploy(tmp_path, version="1", script=SCRIPT, rollback_script=ROLLBACK, health_checks=checks)
        deploy(tmp_path, version="2", script=SCRIPT, rollback_script=ROLLBACK, health_checks=checks)
        assert current(tmp_path) == "version=2"
        kw = dict(version="3", rollback_script=ROLLBACK, health_checks=checks)
        kw.update(bad)
        with pytest.raises(DeployError) as err:
            deploy(tmp_path, **kw)
    record = err.value.details["deploy"]
    assert needle in err.value.msg and "rollback to 2: rolled_back" in err.value.msg
    assert err.value.details["rolled_back"] is True
    assert record["status"] == status and record["effective_version"] == "2"
    assert record["rollback"]["status"] == "rolled_back" and record["rollback"]["target_version"] == "2"
    assert record["rollback"]["health"] and record["rollback"]["health"][0]["success"]
    statuses = [h["status"] for h in record["history"]]
    assert "rolling_back" in statuses and "rolled_back" in statuses and statuses[-1] == status
    assert current(tmp_path) == "version=2"
    store = st.Store(str(tmp_path / "state"))
    assert store.last_success("web")["version"] == "2"
    assert store.read_status("web")["status"] == status
    assert not os.path.exists(store.lock_path("web"))


def test_bad_input_changes_nothing(tmp_path):
    with pytest.raises(DeployError, match="dangerous"):
        deploy(tmp_path, version="1", script="rm -rf / --no-preserve-root")
    with pytest.raises(DeployError, match="run_as user"):
        deploy(tmp_path, version="1", script="true", run_as="no-such-user-x")
    with pytest.raises(DeployError, match="both env and secret_env"):
        deploy(tmp_path, version="1", script="true", env=dict(A="1"), secret_env=dict(A="2"))
    assert not (tmp_path / "state").exists()


def test_second_deploy_refused_while_locked(tmp_path):
    store = st.Store(str(tmp_path / "state"))
    st.DeployLock(store, "web", "web-first").acquire()
    with pytest.raises(DeployError) as err:
        deploy(tmp_path, version="1", script=SCRIPT)
    assert "web-first" in err.value.msg and err.value.details["lock_owner"]["deploy_id"] == "web-first"
    assert not (tmp_path / "current").exists()
