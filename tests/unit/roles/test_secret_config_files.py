# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""systemd_app treats a config file as secret when it says ``secret: true`` or its content comes from Ansible Vault.

Evaluates the role's own ``_systemd_app_secret_files`` / ``_systemd_app_plain_files`` (roles/systemd_app/vars/main.yml)
in a localhost play with a real vault-encrypted variable, passed on through another variable as app_release does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)

PLAY = """
- hosts: localhost
  gather_facts: false
  vars_files: [%(vars)s, secrets.yml]
  vars:
    systemd_app_name: shop
    systemd_app_config_dir: /etc/opsforge/apps/shop
    app_files:
      - {dest: vaulted.ini, content: "{{ vault_db }}"}
      - {dest: marked.ini, content: "x", secret: true}
      - {dest: plain.ini, content: plain}
      - {dest: unmarked.ini, content: "x", secret: false}
    systemd_app_config_files: "{{ app_files }}"
  tasks:
    - ansible.builtin.debug:
        msg: "RESULT{{ {'secret': _systemd_app_secret_files | map(attribute='dest') | list,
                       'plain': _systemd_app_plain_files | map(attribute='dest') | list} | to_json }}RESULT"
"""


def test_secret_and_vaulted_files_are_secret(tmp_path):
    (tmp_path / "pass").write_text("pw\n")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_LOCALHOST_WARNING="0")
    vaulted = subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt_string", "--vault-password-file", str(tmp_path / "pass"),
                              "password=hunter2", "--name", "vault_db"], env=env, capture_output=True, text=True, check=True).stdout
    (tmp_path / "secrets.yml").write_text(vaulted)
    (tmp_path / "play.yml").write_text(PLAY % dict(vars=os.path.join(ROOT, "roles", "systemd_app", "vars", "main.yml")))
    out = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "--vault-password-file",
                          str(tmp_path / "pass"), str(tmp_path / "play.yml")], cwd=str(tmp_path), env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout.split("RESULT")[1].replace('\\"', '"'))
    assert result == dict(secret=["marked.ini", "vaulted.ini"], plain=["plain.ini", "unmarked.ini"])
