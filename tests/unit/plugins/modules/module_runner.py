# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's ``main()`` in-process, as the gpu_* module tests do, and return what Ansible would get."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


def run_module(capsys, module, check=False, diff=False, **args):
    """``module.main()`` with ``args``; its JSON result (``failed: true`` and ``msg`` on fail_json).

    ``warnings`` lists what the module passed to ``warn()`` (in a test process Ansible shows those on the
    controller's display instead of putting them in the result).
    """
    capsys.readouterr()
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    warned = []
    real_warn = basic.AnsibleModule.warn

    def warn(self, warning, **kwargs):
        warned.append(warning)
        real_warn(self, warning, **kwargs)

    with patch_module_args(args), mock.patch.object(basic.AnsibleModule, "warn", warn):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    result = json.loads(out[out.index("{"):])
    result.setdefault("warnings", warned)
    return result


def inject_api(monkeypatch, module, api):
    """Make ``module.get_api`` return ``api`` (a FakeApi), dry-running in check mode as the server would."""
    def fake_get_api(mod, api_client=None, retries=3):
        api.dry_run = mod.check_mode
        return api

    monkeypatch.setattr(module, "get_api", fake_get_api)
