# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linters and ansible-test sanity, each as a test so `make test` reports them in one summary."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def run(cmd, timeout=1800, **kwargs):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), PATH=BIN + os.pathsep + os.environ["PATH"])
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, check=False, timeout=timeout, **kwargs)
    return proc.returncode, (proc.stdout + proc.stderr)[-30000:]


def test_ruff():
    rc, out = run([os.path.join(BIN, "ruff"), "check", "."])
    assert rc == 0, out


def test_yamllint():
    rc, out = run([os.path.join(BIN, "yamllint"), "-s", "."])
    assert rc == 0, out


def test_ansible_lint_production_profile():
    rc, out = run([os.path.join(BIN, "ansible-lint"), "--profile", "production", "--offline"])
    assert rc == 0, out


def test_ansible_test_sanity_without_ignores():
    ignores = os.path.join(ROOT, "tests", "sanity")
    if os.path.isdir(ignores):
        for name in os.listdir(ignores):
            with open(os.path.join(ignores, name), encoding="utf-8") as handle:
                entries = [line for line in handle if line.strip() and not line.startswith("#")]
            assert entries == [], "%s has ignore entries" % name
    rc, out = run(["bash", os.path.join(ROOT, "lab", "sanity.sh")], timeout=3000)
    assert rc == 0, out


def test_changelog_fragments_lint():
    rc, out = run([os.path.join(BIN, "antsibull-changelog"), "lint"])
    assert rc == 0, out
