# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for tests that use the lab started by ``make lab-up``."""

from __future__ import annotations

import os
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
# The Lightsail Stubber harness (lightsail_utils) is shared with the playbook-level tests here.
sys.path.insert(0, os.path.join(TESTS, "unit", "plugins", "modules"))

from lab import LabDown, copy_pebble_cas_to_panel, lab_env as _lab_env, pebble_acme_vars  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="session")
def lab():
    """The lab's facts (``.lab/lab.env``). Fails, never skips, when the lab is down:
    ``make test`` starts it, so a missing lab is a real failure."""
    try:
        return _lab_env()
    except LabDown as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def acme(lab, request):
    """The acme_certificate_* variables for the lab's Pebble, its CAs copied into panel_host first
    (``tests/lab.py``). When the test module defines ``cleanup_host()``, it runs before the module's first
    test and after its last, so nothing a failed test left stays on the shared host."""
    cleanup = getattr(request.module, "cleanup_host", None) or (lambda: None)
    copy_pebble_cas_to_panel(lab)
    cleanup()
    yield pebble_acme_vars(lab)
    cleanup()
