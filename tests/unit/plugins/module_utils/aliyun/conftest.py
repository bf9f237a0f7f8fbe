# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pieces of the Aliyun error tests: no real sleeps between retries, and a call that fails a given number of times."""

from __future__ import annotations

import pytest


@pytest.fixture
def sleeps(monkeypatch):
    """The pauses ``errors.call`` would have slept between retries, recorded instead of slept."""
    # Imported here: a conftest is loaded before the collection loader that the test files' imports set up.
    from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import errors

    recorded = []
    monkeypatch.setattr(errors, "_sleep", recorded.append)
    return recorded


@pytest.fixture
def raiser():
    """``raiser(*excs, result="ok")``: a call that raises each of ``excs`` in turn, then returns ``result``."""
    def make(*excs, result="ok"):
        pending = list(excs)

        def func():
            if pending:
                raise pending.pop(0)
            return result

        return func

    return make
