# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Smoke tests of every lab piece through Ansible, and proof that each check fails loudly
when its server is down (playbooks/demo_lab.yml pointed at dead endpoints)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from lab import ROOT, run_playbook

DEMO_LAB = os.path.join(ROOT, "playbooks", "demo_lab.yml")


def test_lab_end_to_end(lab):
    run = run_playbook(DEMO_LAB)
    assert run.rc == 0, run.explain()
    systemd = run.task_results("Ask systemd how the system is", host="panel_host")
    assert systemd and systemd[0]["stdout"] == "running"
    catalog = run.task_results("List the registry's repositories")[0]["json"]["repositories"]
    assert {"opsforge/testapp", "opsforge/unhealthy", "opsforge/crash"} <= set(catalog)
    served = run.task_results("The app answers HTTP with its version")[0]
    assert served["content"].strip() == "version=2.0"
    directory = run.task_results("Fetch Pebble's ACME directory over TLS, trusting only the lab CA")[0]["json"]
    assert directory["newOrder"].startswith("https://127.0.0.1:14000/")
    # The app container was removed again.
    names = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True, check=True).stdout
    assert "opsforge-demo-lab-app" not in names.split()


def test_systemd_hosts_run_systemd(lab):
    for container in (lab["LAB_PANEL_CONTAINER"], lab["LAB_DEPLOY_CONTAINER"]):
        state = subprocess.run(["docker", "exec", container, "systemctl", "is-system-running"],
                               capture_output=True, text=True, check=False).stdout.strip()
        assert state == "running", "%s: %s" % (container, state)


def _failed_task(run):
    """(task name, message) of the first failed or unreachable task."""
    for play in run.data["plays"]:
        for task in play["tasks"]:
            for res in task["hosts"].values():
                if res.get("failed") or res.get("unreachable"):
                    return task["task"]["name"], res.get("msg", "")
    return None, None


@pytest.mark.parametrize(
    "what, extra_vars, failing_task, message",
    [
        ("registry down", {"demo_lab_registry": "127.0.0.1:1"}, "List the registry's repositories", "Connection refused"),
        ("pebble down", {"demo_lab_pebble_url": "https://127.0.0.1:1/dir"},
         "Fetch Pebble's ACME directory over TLS, trusting only the lab CA", "Connection refused"),
        ("app never answers", {"demo_lab_image": "127.0.0.1:5000/opsforge/crash:1.0", "demo_lab_app_port": 21081},
         "The app answers HTTP with its version", "Connection refused"),
    ],
)
def test_each_check_fails_loudly_when_its_server_is_down(lab, what, extra_vars, failing_task, message):
    run = run_playbook(DEMO_LAB, extra_vars=extra_vars)
    try:
        assert run.rc != 0, "%s: the playbook passed\n%s" % (what, run.explain())
        task, msg = _failed_task(run)
        assert task == failing_task, run.explain()
        assert message in msg, msg
    finally:
        subprocess.run(["docker", "rm", "-f", "opsforge-demo-lab-app"], capture_output=True, check=False)


def test_unreachable_systemd_host_fails_loudly(lab, tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(textwrap.dedent("""\
        all:
          hosts:
            ghost_host:
              ansible_host: opsforge-lab-ghost
              ansible_connection: community.docker.docker
    """))
    run = run_playbook(DEMO_LAB, extra_vars={"demo_lab_host": "ghost_host"}, inventory=str(inventory))
    assert run.rc != 0
    assert run.stats["ghost_host"]["unreachable"] == 1, run.explain()
    task, msg = _failed_task(run)
    assert task == "Gathering Facts", run.explain()
    # The docker connection reports the missing container as an unreachable host.
    assert "Failed to create temporary directory" in msg, run.explain()


def test_ssh_hosts_reached_the_way_users_reach_theirs(lab):
    """Each lab host answers over SSH on its own 127.0.0.1 port (each port reaches its own host) with key auth only, through
    Ansible's ssh connection with pipelining (inventory group lab_ssh_hosts)."""
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible"), "-i", os.path.join(ROOT, "lab", "inventory.yml"),
         "lab_ssh_hosts", "-m", "ansible.builtin.command", "-a", "hostname"],
        capture_output=True, text=True, check=False, timeout=300, cwd=ROOT,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "panel_ssh | CHANGED | rc=0 >>\npanel-host" in proc.stdout
    assert "deploy_ssh | CHANGED | rc=0 >>\ndeploy-host" in proc.stdout
    # Password logins are refused: a client without the key gets no shell.
    port = lab["LAB_SSH_PORT_DEPLOY"]
    nokey = subprocess.run(["ssh", "-p", port, "-o", "BatchMode=yes", "-o", "PubkeyAuthentication=no",
                            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                            "root@127.0.0.1", "true"], capture_output=True, text=True, check=False, timeout=60)
    assert nokey.returncode == 255 and "Permission denied" in nokey.stderr
