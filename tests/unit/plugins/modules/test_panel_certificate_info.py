# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""panel_certificate_info run in-process on a host made by the certstate tests (real keys, CSR and chain,
verified by the real openssl; every reason one by one: module_utils/panel/test_panel_certificate_state.py)."""

from __future__ import annotations

import os

from ansible_collections.opsforge.infra.plugins.modules import panel_certificate_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.panel.test_panel_certificate_state import host  # noqa: F401  pylint: disable=unused-import
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module


def test_a_current_host_reads_current_in_check_mode_too(host, capsys):  # noqa: F811
    for check in (False, True):
        result = run_module(capsys, panel_certificate_info, check=check, **host)
        assert result["changed"] is False and result["current"] is True and result["reasons"] == []
        assert result["days_left"] in (89, 90) and result["serial"]


def test_quoted_numbers_are_converted_and_say_why_a_renewal_is_due(host, capsys):  # noqa: F811
    result = run_module(capsys, panel_certificate_info, **dict(host, remaining_days="91", key_size="2048"))
    assert result["current"] is False
    assert any("is due for renewal" in reason and "renew under 91" in reason for reason in result["reasons"]), result["reasons"]


def test_a_missing_key_is_a_reason_not_a_traceback(host, capsys):  # noqa: F811
    os.unlink(host["key_path"])
    result = run_module(capsys, panel_certificate_info, **host)
    assert not result.get("failed") and result["current"] is False
    assert "certificate key %s is missing" % host["key_path"] in result["reasons"]


def test_bad_input_is_refused_clearly(host, capsys):  # noqa: F811
    result = run_module(capsys, panel_certificate_info, **dict(host, key_type="DSA"))
    assert result["failed"] is True and "key_type" in result["msg"] and "ECC, RSA" in result["msg"]
    args = dict(host, csr_pth=host.pop("csr_path"))
    result = run_module(capsys, panel_certificate_info, **args)
    assert result["failed"] is True and "csr_path" in result["msg"]
