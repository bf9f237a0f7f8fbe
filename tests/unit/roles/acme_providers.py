# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drive a DNS-01 provider task file of the acme_certificate role in-process.

``provider_calls()`` reads ``roles/acme_certificate/tasks/providers/<name>.yml`` and renders each task's module arguments
with Ansible's own templating, from the role's defaults plus the given variables, once per loop item: exactly the
arguments the role would pass. ``run_module()`` then runs that module's ``main()`` in this process, so the test can
check the requests it sends at the vendor's boundary (botocore Stubber, a captured HTTP call).
"""

from __future__ import annotations

import importlib
import os
from unittest import mock

import ansible.template as ansible_template
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "acme_certificate")
_OMIT = "__omit_place_holder__acme_providers"
_TASK_KEYS = {"name", "loop", "loop_control", "delegate_to", "when", "register", "no_log", "vars", "changed_when"}


_TRUST = getattr(ansible_template, "trust_as_template", lambda value: value)  # ansible-core < 2.19 trusts every string


def _trusted(value):
    if isinstance(value, str):
        return _TRUST(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def provider_calls(provider, state, challenge_data_dns, **role_vars):
    """[(module FQCN, args)] that the provider task file runs for ``state`` (present/absent)."""
    loader = DataLoader()
    variables = dict(loader.load_from_file(os.path.join(ROLE, "defaults", "main.yml")))
    variables.update(role_vars, inventory_hostname="panel", omit=_OMIT, _acme_certificate_dns_state=state,
                     _acme_certificate_order={"challenge_data_dns": challenge_data_dns}, acme_certificate_dns_provider=provider)
    variables = _trusted(variables)
    templar = Templar(loader=loader, variables=variables)
    calls = []
    for task in loader.load_from_file(os.path.join(ROLE, "tasks", "providers", provider + ".yml")):
        module = [k for k in task if k not in _TASK_KEYS]
        assert len(module) == 1, "a provider task file holds plain module tasks: %r" % list(task)
        items = templar.template(_trusted(task["loop"])) if "loop" in task else [None]
        for item in items:
            templar.available_variables = dict(variables, item=item)
            if "when" in task and not templar.template(_trusted("{{ %s }}" % task["when"])):
                continue
            args = templar.template(_trusted(dict(task[module[0]])))
            calls.append((module[0], {k: v for k, v in args.items() if v != _OMIT}))
    return calls


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


def module_main(fqcn):
    namespace, collection, name = fqcn.split(".")
    return importlib.import_module("ansible_collections.%s.%s.plugins.modules.%s" % (namespace, collection, name)).main


def run_module(fqcn, args, check_mode=False):
    """Run module ``fqcn`` with ``args`` in-process; return its exit or fail JSON (``failed: True``)."""
    params = dict(args, _ansible_check_mode=check_mode, _ansible_diff=True, _ansible_remote_tmp="/tmp",
                  _ansible_keep_remote_files=False)

    def exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        raise ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):
        raise ModuleExit(dict(kwargs, msg=msg, failed=True))

    with patch_module_args(params), mock.patch.object(basic.AnsibleModule, "exit_json", exit_json), \
            mock.patch.object(basic.AnsibleModule, "fail_json", fail_json):
        try:
            module_main(fqcn)()
        except ModuleExit as done:
            return done.result
    raise AssertionError("%s did not call exit_json or fail_json" % fqcn)
