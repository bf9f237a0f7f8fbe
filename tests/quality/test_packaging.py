# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Dependency files stay in step: requirements.txt, the EE's runtime list, galaxy.yml and
requirements.yml; and ansible-builder accepts the execution environment definition."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def read_requirements(path):
    reqs = {}
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                name = re.split(r"[<>=!~ ]", line, maxsplit=1)[0].lower()
                reqs[name] = line.replace(" ", "")
    return reqs


def test_ee_runtime_requirements_match_requirements_txt():
    full = read_requirements("requirements.txt")
    ee = read_requirements("meta/ee-requirements.txt")
    for name, spec in ee.items():
        assert full.get(name) == spec, "%s: %s in meta/ee-requirements.txt, %s in requirements.txt" % (name, spec, full.get(name))


def test_requirements_yml_matches_galaxy_dependencies():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    with open(os.path.join(ROOT, "requirements.yml"), encoding="utf-8") as handle:
        reqs = {c["name"]: c["version"] for c in yaml.safe_load(handle)["collections"]}
    assert reqs == galaxy["dependencies"]


def test_bundled_collections_satisfy_galaxy_dependencies():
    from ansible.galaxy.dependency_resolution.versioning import meets_requirements  # pylint: disable=import-outside-toplevel
    import ansible_collections  # pylint: disable=import-outside-toplevel

    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        deps = yaml.safe_load(handle)["dependencies"]
    site = [p for p in ansible_collections.__path__ if "site-packages" in p][0]
    for fqcn, spec in deps.items():
        ns, name = fqcn.split(".")
        import json  # pylint: disable=import-outside-toplevel
        with open(os.path.join(site, ns, name, "MANIFEST.json"), encoding="utf-8") as handle:
            version = json.load(handle)["collection_info"]["version"]
        assert meets_requirements(version, spec), "%s %s does not meet %s" % (fqcn, version, spec)


def test_ansible_builder_accepts_the_ee_definition(tmp_path):
    proc = subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", os.path.join(ROOT, "execution-environment.yml"),
                           "-c", str(tmp_path), "--output-filename", "Containerfile"], capture_output=True, text=True, check=False, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (tmp_path / "Containerfile").read_text()
    assert "ansible-galaxy" in containerfile
    assert (tmp_path / "_build" / "requirements.txt").read_text().count("boto3") == 1
