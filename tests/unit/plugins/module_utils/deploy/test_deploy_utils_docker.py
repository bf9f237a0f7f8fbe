# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure parts of the docker deploy (no engine): strategy, config hash, secrets, nginx upstream, stats maths."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker import DOCKER_OPTIONS, DockerDeployment
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.monitor import cpu_percent, memory
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.nginx import current_servers, render_upstream, switch_upstream

sys.path.insert(0, os.path.dirname(__file__))


def params(**kw):
    out = dict((k, v.get("default")) for k, v in DOCKER_OPTIONS.items())
    out.update(app="web", image="127.0.0.1:5000/opsforge/testapp:2.0", state_dir="/nonexistent")
    out.update(kw)
    return out


def test_strategy_and_version():
    assert DockerDeployment(params(port=8080)).resolve_strategy() == "stop_first"
    assert DockerDeployment(params()).resolve_strategy() == "start_first"
    assert DockerDeployment(params(network_mode="bridge", published_ports={"8080/tcp": 18080})).resolve_strategy() == "stop_first"
    assert DockerDeployment(params(strategy="zero_downtime", port=1, port_range=[1, 2])).resolve_strategy() == "zero_downtime"
    assert DockerDeployment(params()).target_version() == "2.0"
    assert DockerDeployment(params(image="reg:5000/app@sha256:abc")).target_version() == "reg:5000/app@sha256:abc"
    assert DockerDeployment(params(version="v9")).target_version() == "v9"


def test_config_hash_changes_with_config_not_with_zero_downtime_port():
    a = DockerDeployment(params(port=8080, env=dict(A="1")))
    assert a.config_hash("sha256:1") == DockerDeployment(params(port=8080, env=dict(A="1"))).config_hash("sha256:1")
    assert a.config_hash("sha256:1") != a.config_hash("sha256:2")
    assert a.config_hash("sha256:1") != DockerDeployment(params(port=8080, env=dict(A="2"))).config_hash("sha256:1")
    zd = dict(strategy="zero_downtime", port_range=[18000, 18010])
    assert DockerDeployment(params(port=1, **zd)).config_hash("x") == DockerDeployment(params(port=2, **zd)).config_hash("x")


def test_secrets_masked_in_spec():
    dep = DockerDeployment(params(port=8080, env=dict(A="1"), secret_env=dict(TOKEN="hunter2")))
    dep.image_id = "sha256:1"
    spec = dep.create_spec(8080, "web-new")
    assert spec["environment"] == dict(A="1", TOKEN="hunter2", PORT="8080")
    assert dep.masked(spec)["environment"]["TOKEN"] == "********" and spec["environment"]["TOKEN"] == "hunter2"


@pytest.mark.parametrize("kw,msg", [
    (dict(env=dict(A="1"), secret_env=dict(A="2")), "both env and secret_env"),
    (dict(strategy="zero_downtime", port=1, port_range=[5, 1]), "port_range"),
    (dict(strategy="zero_downtime", port=1, port_range=[1, 5], network_mode="bridge"), "network_mode=host"),
    (dict(labels={"opsforge.deploy.version": "x"}), "reserved"),
])
def test_bad_input(kw, msg):
    with pytest.raises(DeployError, match=msg):
        DockerDeployment(params(**kw)).validate()


def test_upstream_switch_restores_on_failed_test(tmp_path):
    path = str(tmp_path / "web.conf")
    with open(path, "w") as handle:
        handle.write(render_upstream("web", ["127.0.0.1:18001"]))
    old = switch_upstream("web", ["127.0.0.1:18002"], path, ["true"], ["true"])
    assert old == ["127.0.0.1:18001"] and current_servers(path) == ["127.0.0.1:18002"]
    assert "upstream opsforge_web {" in open(path).read()
    with pytest.raises(DeployError, match="old file restored"):
        switch_upstream("web", ["127.0.0.1:18003"], path, ["false"], ["true"])
    assert current_servers(path) == ["127.0.0.1:18002"]
    with pytest.raises(DeployError, match="reload failed"):
        switch_upstream("web", ["127.0.0.1:18004"], path, ["true"], ["false"])


def test_stats_maths():
    stats = dict(cpu_stats=dict(cpu_usage=dict(total_usage=300), system_cpu_usage=2000, online_cpus=2),
                 precpu_stats=dict(cpu_usage=dict(total_usage=100), system_cpu_usage=1000),
                 memory_stats=dict(usage=1000, limit=4000, stats=dict(inactive_file=200)))
    assert cpu_percent(stats) == 40.0
    assert memory(stats) == dict(usage_bytes=800, limit_bytes=4000, percent=20.0)
    assert cpu_percent(dict(cpu_stats={}, precpu_stats={})) == 0.0 and memory(dict(memory_stats={})) is None
