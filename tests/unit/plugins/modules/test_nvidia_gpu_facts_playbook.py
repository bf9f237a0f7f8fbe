# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nvidia_gpu_facts through ansible-playbook, with an ``nvidia-smi`` stand-in that prints the
captured XML (no GPU here): the facts a play sees, and the failure when the binary is missing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "nvidia_smi")

PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: GPU facts
      opsforge.infra.nvidia_gpu_facts:
        source: nvidia_smi
        nvidia_smi_path: %(smi)s
    - name: Show
      ansible.builtin.debug:
        msg: >-
          health={{ ansible_facts.nvidia_gpu.health }}
          count={{ ansible_facts.nvidia_gpu.gpu_count }}
          mig={{ ansible_facts.nvidia_gpu.gpus | map(attribute='mig_devices') | flatten | map(attribute='profile') | join(',') }}
          reasons={{ ansible_facts.nvidia_gpu.gpus | map(attribute='health.reasons') | flatten | join(';') }}
"""


def fake_smi(tmp_path, xml, listing=None):
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\nif [ \"$1\" = \"-L\" ]; then cat '%s'; exit 0; fi\ncat '%s'\n" % (
        os.path.join(FIXTURES, listing or "missing.txt"), os.path.join(FIXTURES, xml)))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def play(tmp_path, smi, *extra):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY % {"smi": smi})
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="default")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
           "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)] + list(extra)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, check=False)


def test_mig_host_facts_in_a_play(tmp_path):
    smi = fake_smi(tmp_path, "a100_pcie_40gb_mig.xml", "a100_pcie_40gb_mig.list.txt")
    proc = play(tmp_path, smi, "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "health=healthy count=2 mig=4g.20gb,1g.5gb,1g.5gb reasons=" in proc.stdout
    assert "changed=0" in proc.stdout


def test_faulty_board_reasons_in_a_play(tmp_path):
    proc = play(tmp_path, fake_smi(tmp_path, "tesla_p100_ecc_faults.xml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "health=warning count=1 mig= reasons=2 uncorrectable ECC errors over the board" in proc.stdout, proc.stdout


def test_missing_binary_fails_the_task(tmp_path):
    proc = play(tmp_path, tmp_path / "no-such-nvidia-smi")
    assert proc.returncode == 2
    assert "Failed to find required executable" in proc.stdout
