# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a user does with a release, on every run: build the tarball, install it with
ansible-galaxy into an empty collections path, in a fresh venv that holds only the runtime
requirements (requirements.txt), and from a directory outside the repository render every
plugin's docs with ansible-doc and run a smoke playbook twice (the second run changes nothing).

The venv is installed offline from the wheelhouse in .cache/wheelhouse, which ``make wheelhouse``
(a prerequisite of ``make test``) fills with ``pip wheel`` at the versions of the development venv:
the test itself sends nothing outside the machine."""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
WHEELHOUSE = os.path.join(ROOT, ".cache", "wheelhouse")
PLUGIN_DIRS = {"module": "modules", "inventory": "inventory", "callback": "callback", "lookup": "lookup", "filter": "filter"}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def clean_env(**extra):
    """No trace of the development tree: no ansible.cfg, no collections path, no venv on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if os.path.abspath(p) != BIN)
    env.update(extra)
    return env


def sh(cmd, cwd, env, timeout=600):
    proc = subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, "%s\n%s\n%s" % (cmd, proc.stdout[-4000:], proc.stderr[-4000:])
    return proc.stdout


@pytest.fixture(scope="module")
def installed(built_tarball, tmp_path_factory):
    """(venv bin dir, env, work dir) with the tarball installed into an empty collections path."""
    tmp = tmp_path_factory.mktemp("user")
    venv, collections, work = tmp / "venv", tmp / "collections", tmp / "work"
    work.mkdir()
    env = clean_env(HOME=str(tmp), ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1")
    sh(["/usr/bin/python3", "-m", "venv", str(venv)], tmp, env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile", "--no-index", "--find-links", WHEELHOUSE,
           "-r", os.path.join(ROOT, "requirements.txt")]
    proc = subprocess.run(pip, cwd=str(tmp), env=env, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, "the wheelhouse lacks a runtime wheel: run `make wheelhouse` (make test does)\n" + proc.stderr[-3000:]
    vbin = str(venv / "bin")
    env["PATH"] = vbin + os.pathsep + env["PATH"]
    out = sh([os.path.join(vbin, "ansible-galaxy"), "collection", "install", "--offline", "-p", str(collections), str(built_tarball)], work, env)
    assert "opsforge.infra:" in out and "was installed successfully" in out, out
    return vbin, env, work, collections


def test_the_venv_holds_only_the_runtime_set(installed):
    vbin, env, work, _collections = installed
    names = {line.split("==")[0].lower() for line in sh([os.path.join(vbin, "python"), "-m", "pip", "freeze"], work, env).splitlines()}
    for tool in ("pytest", "moto", "hypothesis", "ruff", "ansible-lint", "antsibull-docs"):
        assert tool not in names


def test_ansible_doc_renders_every_plugin_of_the_installed_collection(installed):
    vbin, env, work, collections = installed
    root = collections / "ansible_collections" / "opsforge" / "infra"
    assert (root / "MANIFEST.json").is_file()
    for ptype, folder in PLUGIN_DIRS.items():
        path = root / "plugins" / folder
        names = sorted(p.stem for p in path.glob("*.py") if not p.name.startswith("_")) if path.is_dir() else []
        if not names:
            continue
        out = sh([os.path.join(vbin, "ansible-doc"), "-t", ptype] + ["opsforge.infra.%s" % n for n in names], work, env)
        rendered = re.findall(r"^> (?:MODULE|[A-Z]+ PLUGIN|[A-Z]+) ?\(?\S*opsforge\.infra\.(\w+)", out, re.M)
        headers = set(re.findall(r"opsforge\.infra\.(\w+)", "\n".join(line for line in out.splitlines() if line.startswith("> "))))
        assert headers == set(names), (ptype, sorted(set(names) - headers), rendered[:3])
    roles = sh([os.path.join(vbin, "ansible-doc"), "-t", "role", "-l", "opsforge.infra"], work, env)
    for role in (p.name for p in (root / "roles").iterdir()):
        assert "opsforge.infra.%s" % role in roles, role


class Sink(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", 0))
        Sink.received.append(json.loads(self.rfile.read(length) or b"{}"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


SMOKE = """
- name: Smoke test of an installed opsforge.infra
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    state: "{{ playbook_dir }}/state"
  module_defaults:
    group/opsforge.infra.deploy:
      state_dir: "{{ state }}/deploy"
    group/opsforge.infra.panel:
      root: "{{ state }}/releases"
  tasks:
    - name: Deploy version 1 of the smoke app
      opsforge.infra.deploy_shell:
        app: smoke
        version: "1"
        script: echo "$DEPLOY_VERSION" > "{{ state }}/version"
        health_checks:
          - type: script
            script: test -s "{{ state }}/version"
      register: deploy

    - name: Probe it
      opsforge.infra.health_check:
        type: script
        script: grep -qx 1 "{{ state }}/version"

    - name: Record the release
      opsforge.infra.release_ledger:
        app: smoke
        operation: record
        files: ["{{ state }}/version"]
      when: deploy is changed

    - name: Tell the team, only when something changed
      opsforge.infra.notify:
        kind: generic
        url: "{{ sink }}"
        title: smoke deployed
        text: version 1
      when: deploy is changed
"""


def test_smoke_playbook_twice_from_outside_the_repository(installed):
    vbin, env, work, _collections = installed
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Sink.received.clear()
    try:
        (work / "state").mkdir(exist_ok=True)
        (work / "smoke.yml").write_text(SMOKE)
        cmd = [os.path.join(vbin, "ansible-playbook"), "-i", "localhost,", "smoke.yml",
               "-e", "sink=http://127.0.0.1:%d/hook" % server.server_address[1],
               "-e", "ansible_python_interpreter=%s" % os.path.join(vbin, "python")]
        recaps = []
        for _run in range(2):
            out = sh(cmd, work, env)
            recap = re.search(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=0\s+failed=0", out)
            assert recap, out[-3000:]
            recaps.append(int(recap.group(2)))
    finally:
        server.shutdown()
    assert recaps[0] == 3 and recaps[1] == 0, recaps
    assert len(Sink.received) == 1 and "smoke deployed" in json.dumps(Sink.received[0])
    assert (work / "state" / "version").read_text().strip() == "1"
    assert list((work / "state" / "releases").rglob("*")), "release_ledger wrote nothing"


def test_camera_backend_role_builds_its_packages_from_the_installed_copy(installed, tmp_path):
    """No checkout, no Makefile: the role packages the function sources that the collection ships
    (its packages step; tests/unit/plugins/modules/test_fc_camera_backend_role.py deploys packages)."""
    vbin, env, work, collections = installed
    book = tmp_path / "camera.yml"
    book.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                    "    - {name: packages, ansible.builtin.include_role: {name: opsforge.infra.camera_backend, tasks_from: packages}}\n")
    extra = {"camera_backend_package_dir": str(tmp_path / "fc"), "camera_backend_package_build_options": ["--no-deps"],
             "ansible_python_interpreter": os.path.join(vbin, "python")}
    out = sh([os.path.join(vbin, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(book), "-e", json.dumps(extra)], work, env)
    assert re.search(r"localhost\s+:\s+ok=\d+\s+changed=1\s+unreachable=0\s+failed=0", out), out[-3000:]
    with open(collections / "ansible_collections" / "opsforge" / "infra" / "fc_functions" / "functions.json", encoding="utf-8") as handle:
        functions = sorted(json.load(handle)["functions"])
    assert sorted(p.stem for p in (tmp_path / "fc").glob("*.zip")) == functions
    for name in functions:
        with zipfile.ZipFile(tmp_path / "fc" / ("%s.zip" % name)) as archive:
            assert {"index.py", "camera_common/__init__.py"} <= set(archive.namelist())
    out = sh([os.path.join(vbin, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(book), "-e", json.dumps(extra)], work, env)
    assert re.search(r"localhost\s+:\s+ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", out), out[-3000:]


def test_panel_demo_reads_the_lab_from_outside_the_repository(installed, tmp_path):
    vbin, env, work, _collections = installed
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "lab.env").write_text("LAB_PEBBLE_DIRECTORY=https://127.0.0.1:14000/dir\nLAB_REGISTRY=127.0.0.1:5000\n")
    out = sh([os.path.join(vbin, "ansible-playbook"), "-i", "localhost,", "-c", "local", "--limit", "localhost", "opsforge.infra.demo_panel"],
             work, dict(env, OPSFORGE_LAB_DIR=str(lab)))
    assert re.search(r"localhost\s+:\s+ok=1\s+changed=0\s+unreachable=0\s+failed=0", out), out[-3000:]
