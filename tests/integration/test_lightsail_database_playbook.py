# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_database run by ansible-playbook against a Lightsail JSON endpoint on 127.0.0.1: the master
password reaches the API but never the playbook output (no_log end to end)."""

from __future__ import annotations

import os
import sys

import pytest
from test_lightsail_metric_playbook import FakeLightsail, fake_lightsail

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from lab import run_playbook  # noqa: E402  (tests/lab.py)

PASSWORD = "N3w-Passw0rd-4-Test"
DB = {"name": "app-db", "arn": "arn:aws:lightsail:eu-west-1:123456789012:RelationalDatabase/app-db", "state": "available",
      "relationalDatabaseBlueprintId": "mysql_8_0", "relationalDatabaseBundleId": "micro_2_0", "masterDatabaseName": "app",
      "masterUsername": "dbadmin", "publiclyAccessible": False, "backupRetentionEnabled": True, "tags": [],
      "masterEndpoint": {"address": "ls-x.eu-west-1.rds.amazonaws.com", "port": 3306}}

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/opsforge.infra.lightsail:
      region: eu-west-1
      endpoint_url: "{{ endpoint }}"
      access_key: AKIAEXAMPLEKEY000001
      secret_key: not-a-real-secret-key
  tasks:
    - name: rotate the master password
      opsforge.infra.lightsail_database:
        name: app-db
        master_user_password: "{{ new_password }}"
        update_password: always
      register: db
"""


@pytest.fixture
def endpoint():
    with fake_lightsail() as url:
        yield url


def test_password_sent_to_lightsail_but_never_shown(endpoint):
    pending = dict(DB, pendingModifiedValues={"masterUserPassword": "****"})
    FakeLightsail.queue = [
        (200, {"relationalDatabase": DB}),
        (200, {"masterUserPassword": "old-password-1", "createdAt": 1_793_527_200}),
        (200, {"operations": [{"id": "op-1", "resourceName": "app-db", "status": "Succeeded", "isTerminal": True}]}),
        (200, {"relationalDatabase": pending}),
    ]
    run = run_playbook(PLAYBOOK, inventory="localhost,", args=["-vvv"],
                       extra_vars={"endpoint": endpoint, "new_password": PASSWORD, "ansible_python_interpreter": sys.executable})
    assert run.rc == 0, run.explain()
    result = run.task_results("rotate the master password")[0]
    assert result["changed"] is True and result["actions"] == ["update database app-db (master_user_password)"]
    update = [body for op, body, _auth in FakeLightsail.requests if op == "UpdateRelationalDatabase"][0]
    assert update["masterUserPassword"] == PASSWORD
    assert PASSWORD not in run.stdout and PASSWORD not in run.stderr
    assert "old-password-1" not in run.stdout
    assert result["invocation"]["module_args"]["master_user_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
