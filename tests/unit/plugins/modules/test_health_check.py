# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""health_check run in-process against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.modules import health_check
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.deploy.deploy_helpers import Server, free_port
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module


def test_quoted_numbers_are_converted_and_a_healthy_app_passes_in_check_mode_too(capsys):
    with Server(body=b"ok version=2") as srv:
        for check in (False, True):
            result = run_module(capsys, health_check, check=check, port=str(srv.port), path="/health", status_codes=["200"],
                                body_regex="version=2", retries="0", delay="0", timeout="5")
            assert result["changed"] is False
            assert result["health"]["success"] is True and result["health"]["attempts"] == 1
            assert result["health"]["target"] == "http://127.0.0.1:%d/health" % srv.port
    assert [r["path"] for r in srv.requests] == ["/health", "/health"]


def test_an_unhealthy_app_fails_with_what_it_saw_unless_told_not_to(capsys):
    with Server(status=503, body=b"down") as srv:
        result = run_module(capsys, health_check, port=srv.port, retries=1, delay=0)
        assert result["failed"] is True and result["msg"].startswith("health check failed: ") and "503" in result["msg"]
        assert result["health"]["attempts"] == 2
        result = run_module(capsys, health_check, port=srv.port, retries=0, delay=0, fail_on_unhealthy=False)
    assert not result.get("failed") and result["health"]["success"] is False


def test_a_closed_tcp_port_fails(capsys):
    result = run_module(capsys, health_check, type="tcp", port=free_port(), retries=0, delay=0, timeout=2)
    assert result["failed"] is True and result["health"]["check_type"] == "tcp" and result["health"]["success"] is False


def test_bad_input_is_refused_clearly(capsys):
    result = run_module(capsys, health_check, port="eighty")
    assert result["failed"] is True and "port" in result["msg"] and "int" in result["msg"]
    result = run_module(capsys, health_check, prot=80)
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "prot" in result["msg"]
    result = run_module(capsys, health_check, type="http")
    assert result["failed"] is True and result["msg"] == "an http health check needs url or port"
