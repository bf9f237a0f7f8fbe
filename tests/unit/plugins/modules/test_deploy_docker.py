# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_docker run in-process: check mode and input checks against a test Engine API on 127.0.0.1 (the real
docker SDK); real deploys, rollbacks and zero downtime run against the lab's engine
(tests/integration/test_deploy_docker_lab.py)."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker import DOCKER_OPTIONS, DockerDeployment
from ansible_collections.opsforge.infra.plugins.modules import deploy_docker
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.deploy.deploy_helpers import free_port
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.deploy.docker_engine import Engine, container
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module

IMAGE = "127.0.0.1:5000/opsforge/testapp:2.0"
IMAGE_ID = "sha256:" + "2" * 64


def args(engine, tmp_path, **extra):
    out = dict(app="web", image=IMAGE, port="8080", docker_host=engine.url, state_dir=str(tmp_path / "state"))
    out.update(extra)
    return out


def live(tmp_path, **labels):
    """The container a deploy of IMAGE with ``args()`` leaves (its config hash label computed by the module's code)."""
    params = dict((k, v.get("default")) for k, v in DOCKER_OPTIONS.items())
    params.update(app="web", image=IMAGE, port=8080, state_dir=str(tmp_path / "state"))
    config_hash = DockerDeployment(params).config_hash(IMAGE_ID)
    return container("web", image=IMAGE, image_id=IMAGE_ID, labels=dict({"opsforge.deploy.version": "2.0",
                                                                         "opsforge.deploy.config_hash": config_hash}, **labels))


@pytest.fixture
def images():
    return {IMAGE: {"Id": IMAGE_ID, "RepoDigests": ["127.0.0.1:5000/opsforge/testapp@sha256:" + "3" * 64]}}


def test_check_mode_on_an_empty_host_predicts_a_deploy_and_touches_nothing(tmp_path, images, capsys):
    with Engine([], images) as engine:
        result = run_module(capsys, deploy_docker, check=True, diff=True, **args(engine, tmp_path))
    assert result["changed"] is True and result["diff"] == {"before": {"image": None, "version": None},
                                                            "after": {"image": IMAGE, "version": "2.0"}}
    assert result["deploy"]["strategy"] == "stop_first" and result["deploy"]["container"] is None
    assert engine.unserved == [] and not (tmp_path / "state").exists()


def test_check_mode_sees_the_same_image_and_config_as_up_to_date(tmp_path, images, capsys):
    with Engine([live(tmp_path)], images) as engine:
        same = run_module(capsys, deploy_docker, check=True, **args(engine, tmp_path))
        other = run_module(capsys, deploy_docker, check=True, **args(engine, tmp_path, env={"A": "1"}))
    assert same["changed"] is False and same["deploy"]["container"]["name"] == "web"
    assert other["changed"] is True and other["deploy"]["previous_version"] == "2.0"
    assert engine.unserved == []


def test_bad_input_is_refused_before_the_engine_is_asked(tmp_path, capsys):
    with Engine() as engine:
        result = run_module(capsys, deploy_docker, **args(engine, tmp_path, health_checks=[{"prot": 8080}]))
        assert result["failed"] is True and "health_checks.prot" in result["msg"]
        result = run_module(capsys, deploy_docker, **args(engine, tmp_path, env={"A": "1"}, secret_env={"A": "2"}))
        assert result["failed"] is True and "both env and secret_env" in result["msg"]
        result = run_module(capsys, deploy_docker, **args(engine, tmp_path, strategy="blue_green"))
        assert result["failed"] is True and "strategy" in result["msg"] and "zero_downtime" in result["msg"]
    assert engine.unserved == [] and not (tmp_path / "state").exists()


def test_an_unreachable_engine_fails_clearly(tmp_path, capsys):
    url = "tcp://127.0.0.1:%d" % free_port()
    result = run_module(capsys, deploy_docker, check=True, app="web", image=IMAGE, docker_host=url, timeout=2,
                        state_dir=str(tmp_path / "state"))
    assert result["failed"] is True and url in result["msg"]
