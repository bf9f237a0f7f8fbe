# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fake Aliyun for modules that run in their own processes (ansible-playbook).

Put this directory on PYTHONPATH and set OPSFORGE_ALIYUN_FAKE_STATE to a file: every module
process then talks to the same fakes as the unit tests (oss2 over ``responses``, Tablestore
at the OTSClient boundary, FC and RAM clients with the SDK models), and the fakes' state is
loaded from and saved to that file, so a whole playbook sees one consistent cloud.
"""

import os

import sys

STATE = os.environ.get("OPSFORGE_ALIYUN_FAKE_STATE")
# Only module processes (AnsiballZ files, or stdin with pipelining): never ansible-playbook itself,
# whose exit would otherwise save a stale copy over the modules' state.
_PROGRAM = os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "-")

if STATE and (_PROGRAM.startswith("AnsiballZ_") or _PROGRAM in ("-", "")):
    import atexit
    import pickle

    HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.dirname(HERE))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), "fc_functions"))

    import responses
    import tablestore
    from alibabacloud_fc20230330 import client as fc_client_module
    from alibabacloud_ram20150501 import client as ram_client_module
    from aliyun_fakes import FakeFc, FakeRam, OssServer
    from fake_ots import FakeOTSClient

    _state = {}
    if os.path.exists(STATE):
        with open(STATE, "rb") as handle:
            _state = pickle.load(handle)

    _ots = FakeOTSClient()
    _ots.tables = _state.get("ots_tables", {})
    _fc = FakeFc()
    _fc.functions = _state.get("fc_functions", {})
    _fc.triggers = _state.get("fc_triggers", {})
    _ram = FakeRam()
    _ram.roles = _state.get("ram_roles", {})
    _ram.policies = _state.get("ram_policies", {})
    _ram.attachments = _state.get("ram_attachments", set())
    _mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    _mock.start()
    _oss = OssServer(_mock, bucket=os.environ["OPSFORGE_ALIYUN_FAKE_BUCKET"])
    for key, value in _state.get("oss", {}).items():
        setattr(_oss, key, value)

    tablestore.OTSClient = lambda *args, **kwargs: _ots
    fc_client_module.Client = lambda config: _fc
    ram_client_module.Client = lambda config: _ram

    @atexit.register
    def _save():
        writes = _state.get("writes", []) + [c for c in _fc.calls if not c.startswith("get_")] + _ram.writes
        writes += ["ots:%s" % c[0] for c in _ots.calls if c[0] != "describe_table"] + ["oss:%s %s" % w for w in _oss.writes]
        data = dict(
            ots_tables=_ots.tables, fc_functions=_fc.functions, fc_triggers=_fc.triggers, ram_roles=_ram.roles, ram_policies=_ram.policies,
            ram_attachments=_ram.attachments, writes=writes,
            oss={k: getattr(_oss, k) for k in ("exists", "acl", "storage_class", "config")},
        )
        with open(STATE, "wb") as handle:
            pickle.dump(data, handle)
