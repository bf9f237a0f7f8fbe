# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX-ready playbooks as a job template runs them: deploy_shell.yml v1 and v2 on the deploy host reached
over SSH (deploy_ssh, as users reach theirs), then the one rollback command (deploy_rollback.yml) brings v1 back
and the records say so."""

from __future__ import annotations

import json
import os

import pytest

from lab import ROOT, run_playbook
from lab import deploy_sh as sh

APP = "opsforge-deploy-test-playbooks"
STATE_DIR = "/var/lib/opsforge-deploy-test/playbooks"
SERVE = "/srv/%s" % APP
SCRIPT = "mkdir -p %s && printf 'version=%%s\\n' \"$DEPLOY_VERSION\" > %s/version" % (SERVE, SERVE)


def playbook(name):
    return os.path.join(ROOT, "playbooks", name)


@pytest.fixture
def clean(lab):
    sh("rm -rf %s %s" % (STATE_DIR, SERVE))
    yield
    sh("rm -rf %s %s" % (STATE_DIR, SERVE))


def records():
    out = sh("cat %s/records/%s.jsonl" % (STATE_DIR, APP)).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_deploy_playbooks_and_the_one_rollback_command(clean):
    common = dict(deploy_hosts="deploy_ssh", deploy_app=APP, deploy_state_dir=STATE_DIR, deploy_script=SCRIPT,
                  deploy_rollback_script=SCRIPT)
    for version in ("1", "2"):
        run = run_playbook(playbook("deploy_shell.yml"), extra_vars=dict(common, deploy_version=version))
        assert run.rc == 0 and run.changed("deploy_ssh") == 1, run.explain()
    assert sh("cat %s/version" % SERVE).stdout == "version=2\n"

    rollback = dict(deploy_hosts="deploy_ssh", deploy_app=APP, deploy_state_dir=STATE_DIR)
    run = run_playbook(playbook("deploy_rollback.yml"), extra_vars=rollback)
    assert run.rc == 0 and run.changed("deploy_ssh") == 1, run.explain()
    assert sh("cat %s/version" % SERVE).stdout == "version=1\n"
    report = run.task_results("Report", host="deploy_ssh")
    assert report and "is on 1" in report[0]["msg"], run.explain()
    kept = records()
    assert [(r["command_type"], r["version"], r["status"]) for r in kept] == [
        ("shell", "1", "success"), ("shell", "2", "success"), ("rollback", "1", "success")]
    # the deploy of v2 names the rollback that undid it (so it is never a rollback target again)
    assert kept[1]["rolled_back_by"] == kept[2]["deploy_id"] and "rolled_back_by" not in kept[0]
    assert [h["status"] for h in kept[2]["history"]][-2:] == ["rolling_back", "success"]

    # a deploy_app that has no deploys: a clear failure, nothing run on the host
    run = run_playbook(playbook("deploy_rollback.yml"), extra_vars=dict(rollback, deploy_app=APP + "-none"))
    assert run.rc != 0 and APP + "-none" in run.failed_messages(), run.explain()
    assert sh("cat %s/version" % SERVE).stdout == "version=1\n"
