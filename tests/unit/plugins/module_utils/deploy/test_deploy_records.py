# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What reaches records, status files and results: masking, typed sub-options, rollback records, since."""

from __future__ import annotations

import json
import os
import sys

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import records
from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker import DOCKER_OPTIONS, DockerDeployment
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.rollback import ROLLBACK_OPTIONS, RollbackDeployment
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.shell import SHELL_OPTIONS, ShellDeployment

sys.path.insert(0, os.path.dirname(__file__))
from deploy_helpers import Server  # noqa: E402

SECRET = "hunter22-secret"


def defaults(spec, **kw):
    out = dict((k, v.get("default")) for k, v in spec.items())
    out.update(kw)
    return out


def on_disk(state_dir):
    """Every byte the deploy state holds (status files, records, locks)."""
    text = ""
    for base, _dirs, files in os.walk(state_dir):
        for name in files:
            with open(os.path.join(base, name)) as handle:
                text += handle.read()
    return text


def shell(tmp_path, version, **kw):
    params = defaults(SHELL_OPTIONS, app="web", version=version, state_dir=str(tmp_path / "state"), workdir=str(tmp_path),
                      script='echo "$DEPLOY_VERSION" > current', rollback_script='echo "back $TOKEN"; echo "$DEPLOY_VERSION" > current')
    params.update(kw)
    return ShellDeployment(params).run()


def rollback(tmp_path, **kw):
    params = defaults(ROLLBACK_OPTIONS, app="web", state_dir=str(tmp_path / "state"))
    params.update(kw)
    return RollbackDeployment(params).run()


# ---- one masking path -----------------------------------------------------------------------------
def test_manual_rollback_script_output_is_masked(tmp_path):
    shell(tmp_path, "1")
    shell(tmp_path, "2")
    res = rollback(tmp_path, secret_env=dict(TOKEN=SECRET))
    assert (tmp_path / "current").read_text().strip() == "1"
    assert "back ********" in res["deploy"]["logs"]
    assert SECRET not in json.dumps(res) and SECRET not in on_disk(str(tmp_path / "state"))


class _NotFound(Exception):
    pass


_NotFound.__name__ = "NotFound"


class FakeContainer:
    def __init__(self, name, env):
        self.name, self.id, self.env = name, "c-" + name, env
        self.attrs = dict(Config=dict(Labels={}, Image="img"), State=dict(Running=False, Status="exited", ExitCode=1),
                          RestartCount=0, Image="sha256:1")

    def start(self):
        pass

    def reload(self):
        pass

    def logs(self, tail=20):
        return ("starting with token=%s\ncrash\n" % self.env.get("TOKEN")).encode()

    def remove(self, force=False):
        pass


class FakeClient:
    def __init__(self):
        client = self

        class Images:
            def pull(self, repo, tag=None, auth_config=None):
                return type("Image", (), dict(id="sha256:1", attrs={}))()

        class Containers:
            def get(self, name):
                raise _NotFound(name)

            def create(self, **spec):
                client.created = FakeContainer(spec["name"], spec["environment"])
                return client.created

        self.images, self.containers = Images(), Containers()


def test_crashed_container_output_is_masked(tmp_path):
    params = defaults(DOCKER_OPTIONS, app="web", image="reg/app:1", state_dir=str(tmp_path / "state"),
                      secret_env=dict(TOKEN=SECRET), start_timeout=5)
    with pytest.raises(DeployError) as err:
        DockerDeployment(params, client=FakeClient(), sleep=lambda s: None).run()
    assert "crashed" in err.value.msg and "token=********" in err.value.msg
    assert SECRET not in err.value.msg and SECRET not in json.dumps(err.value.details)
    assert SECRET not in on_disk(str(tmp_path / "state"))


# ---- typed sub-options -------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [SHELL_OPTIONS, DOCKER_OPTIONS, ROLLBACK_OPTIONS])
def test_health_checks_are_typed(spec):
    args = dict(app="web", version="1", script="true", image="x",
                health_checks=[dict(port="8080", timeout="5", retries="2", delay="0.5", status_codes=["200", 204])])
    args = dict((k, v) for k, v in args.items() if k in spec)
    result = ArgumentSpecValidator(spec).validate(args)
    assert not result.error_messages
    check = result.validated_parameters["health_checks"][0]
    assert (check["port"], check["timeout"], check["retries"], check["delay"]) == (8080, 5.0, 2, 0.5)
    assert check["status_codes"] == [200, 204] and check["type"] == "http"
    bad = ArgumentSpecValidator(spec).validate(dict(args, health_checks=[dict(prot=8080)]))
    assert any("prot" in msg for msg in bad.error_messages)
    bad = ArgumentSpecValidator(spec).validate(dict(args, health_checks=[dict(port="eighty")]))
    assert any("port" in msg and "int" in msg for msg in bad.error_messages)


def test_status_codes_as_strings_pass_a_healthy_app(tmp_path):
    with Server(status=200) as srv:
        args = ArgumentSpecValidator(SHELL_OPTIONS).validate(dict(
            app="web", version="1", script="true", state_dir=str(tmp_path / "s"),
            health_checks=[dict(port=str(srv.port), status_codes=["200"], retries="0")])).validated_parameters
        res = ShellDeployment(args).run()
    assert res["deploy"]["status"] == "success"


# ---- rollback records ----------------------------------------------------------------------------
def test_rollback_has_its_own_id_and_references_what_it_undoes(tmp_path):
    shell(tmp_path, "1")
    second = shell(tmp_path, "2")["deploy"]
    res = rollback(tmp_path, deploy_id=second["deploy_id"])
    mine = res["deploy"]
    assert mine["deploy_id"] != second["deploy_id"] and mine["rollback_of"] == second["deploy_id"]
    assert res["deploy_event"]["callback_id"] == mine["deploy_id"]
    store = st.Store(str(tmp_path / "state"))
    undone = store.find_record(second["deploy_id"], "web")
    assert undone["status"] == "success" and undone["version"] == "2" and undone["rolled_back_by"] == mine["deploy_id"]
    assert [r["deploy_id"] for r in store.records("web")][-1] == mine["deploy_id"]
    again = rollback(tmp_path, deploy_id=second["deploy_id"])
    assert again["changed"] is False


def test_rollback_of_a_deploy_that_is_not_current_is_refused_unless_forced(tmp_path):
    shell(tmp_path, "1")
    second = shell(tmp_path, "2")["deploy"]
    shell(tmp_path, "3")
    with pytest.raises(DeployError, match="not the current deploy"):
        rollback(tmp_path, deploy_id=second["deploy_id"])
    assert (tmp_path / "current").read_text().strip() == "3"
    res = rollback(tmp_path, deploy_id=second["deploy_id"], force=True)
    assert res["deploy"]["rollback_of"] == second["deploy_id"] and (tmp_path / "current").read_text().strip() == "1"


# ---- deploy_info: since and statuses -------------------------------------------------------------------
def _records(store):
    for i, started in enumerate(["2026-01-01T09:59:59.900000Z", "2026-01-01T10:00:00.500000Z", "2026-01-01T11:30:00.000000Z"]):
        store.add_record(dict(deploy_id="web-%d" % i, app="web", started=started, status="success", command_type="shell"))


@pytest.mark.parametrize("since,expected", [
    ("2026-01-01 10:00:00.4", ["web-2", "web-1"]),
    ("2026-01-01T10:00:00.6Z", ["web-2"]),
    ("2026-01-01T11:00:00+01:00", ["web-2", "web-1"]),
    ("2026-01-01T12:00:00+01:00", ["web-2"]),
    ("2026-01-01", ["web-2", "web-1", "web-0"]),
])
def test_since_is_a_timestamp(tmp_path, since, expected):
    store = st.Store(str(tmp_path))
    _records(store)
    query = dict(app="web", deploy_id=None, command_type=None, status=None, version=None, since=since, limit=0)
    found = records.select_records(store, query)
    assert [r["deploy_id"] for r in found] == expected


@pytest.mark.parametrize("kw,needle", [(dict(since="yesterday"), "since"), (dict(status=["sucess"]), "sucess")])
def test_bad_filters_are_refused(tmp_path, kw, needle):
    store = st.Store(str(tmp_path))
    _records(store)
    query = dict(app="web", deploy_id=None, command_type=None, status=None, version=None, since=None, limit=0)
    query.update(kw)
    with pytest.raises(DeployError, match=needle):
        records.select_records(store, query)
