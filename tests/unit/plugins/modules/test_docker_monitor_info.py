# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker_monitor_info run in-process; the real docker SDK reads a test Engine API on 127.0.0.1."""

from __future__ import annotations

import pytest

from ansible_collections.opsforge.infra.plugins.modules import docker_monitor_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.deploy.deploy_helpers import free_port
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.deploy.docker_engine import Engine, container
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module

APP = {"opsforge.deploy.app": "web", "opsforge.deploy.version": "2.0"}


@pytest.fixture
def engine():
    with Engine([container("web", labels=APP, health="healthy"), container("web-previous", labels=APP, running=False),
                 container("db", restart_count=3)]) as engine:
        yield engine


def test_lists_by_label_with_health_and_stats_in_check_mode_too(engine, capsys):
    for check in (False, True):
        result = run_module(capsys, docker_monitor_info, check=check, docker_host=engine.url, labels={"opsforge.deploy.app": None})
        assert result["changed"] is False
        web, previous = result["containers"]
        assert (web["name"], web["running"], web["health"], web["version"]) == ("web", True, "healthy", "2.0")
        assert web["health_log"] == [{"start": "2026-01-01T00:00:01Z", "exit_code": 0, "output": "ok"}]
        assert web["cpu_percent"] == 4.0 and web["memory"] == {"usage_bytes": 8_000_000, "limit_bytes": 100_000_000, "percent": 8.0}
        assert (previous["name"], previous["running"], previous["cpu_percent"], previous["memory"]) == ("web-previous", False, None, None)
    assert engine.unserved == []


def test_names_with_a_prefix_running_only_without_stats(engine, capsys):
    result = run_module(capsys, docker_monitor_info, docker_host=engine.url, names=["web*", "db"], all="no", stats=False,
                        timeout="5")
    assert [(c["name"], c["restart_count"], c["cpu_percent"]) for c in result["containers"]] == [("db", 3, None), ("web", 0, None)]


def test_an_unreachable_engine_and_bad_input_fail_clearly(capsys):
    url = "tcp://127.0.0.1:%d" % free_port()
    result = run_module(capsys, docker_monitor_info, docker_host=url, timeout=2)
    assert result["failed"] is True and url in result["msg"]
    result = run_module(capsys, docker_monitor_info, docker_host=url, label={"a": "b"})
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "label" in result["msg"]
