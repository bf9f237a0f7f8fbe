# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Dependency files say what is true: requirements.txt holds the runtime set only (the test
tools live in requirements-test.txt), downstream execution environments get exactly that set
from meta/execution-environment.yml, our own EE definition installs the built collection, and
the floors are the lowest releases that really work."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml
from ansible.galaxy.dependency_resolution.versioning import meets_requirements

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
# The runtime set minus what a controller gets from its Ansible distribution (an EE brings
# ansible-core itself and the dependency collections from requirements.yml) and minus what only
# managed hosts need.
CONTROLLER_DISTRIBUTION = {"ansible", "ansible-core"}
MANAGED_HOST_ONLY = {"nvidia-ml-py"}
TEST_TOOLS = {"pytest", "moto", "hypothesis", "ruff", "yamllint", "ansible-lint", "kmock", "responses", "antsibull-changelog",
              "antsibull-docs", "mistune", "ansible-builder", "pytest-ansible", "kubernetes-validate", "python-hcl2"}


def parse_requirements(path):
    """name -> (spec without spaces, marker or None); includes (-r) are not followed."""
    reqs = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split(" #", 1)[0].split("\t#", 1)[0].strip()
            if not line or line.startswith(("#", "-")):
                continue
            spec, _sep, marker = line.partition(";")
            name = re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower()
            reqs[name] = (spec.replace(" ", ""), marker.strip() or None)
    return reqs


def runtime():
    return parse_requirements(os.path.join(ROOT, "requirements.txt"))


def galaxy():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def run(cmd, **kwargs):
    """Run a tool as a user would: outside the repository, without its ansible.cfg."""
    kwargs.setdefault("timeout", 300)
    kwargs.setdefault("cwd", "/")
    env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH")}
    env["PATH"] = BIN + os.pathsep + os.environ["PATH"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, **kwargs)
    assert proc.returncode == 0, "%s\n%s%s" % (cmd, proc.stdout, proc.stderr)
    return proc.stdout


def test_requirements_txt_holds_no_test_tools():
    assert set(runtime()) & TEST_TOOLS == set()


def test_test_requirements_add_the_tools_on_top_of_the_runtime_set():
    path = os.path.join(ROOT, "requirements-test.txt")
    with open(path, encoding="utf-8") as handle:
        includes = [line.split()[1] for line in handle if line.startswith("-r ")]
    assert includes == ["requirements.txt"]
    tools = parse_requirements(path)
    assert TEST_TOOLS <= set(tools)
    assert set(tools) & set(runtime()) == set(), "a package is listed in both files"


def test_makefile_venv_installs_runtime_and_test_requirements():
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as handle:
        makefile = handle.read()
    rule = re.search(r"^\$\(VENV\)/\.installed:(.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert rule, "no $(VENV)/.installed rule"
    assert set(rule.group(1).split()) >= {"requirements.txt", "requirements-test.txt"}, "venv is not rebuilt when a list changes"
    assert "-r requirements-test.txt" in rule.group(2)


def test_ee_requirements_are_exactly_the_runtime_set():
    ee = parse_requirements(os.path.join(ROOT, "meta", "ee-requirements.txt"))
    want = {name: spec for name, spec in runtime().items() if name not in CONTROLLER_DISTRIBUTION | MANAGED_HOST_ONLY}
    assert ee == want


def test_requirements_yml_matches_galaxy_dependencies():
    with open(os.path.join(ROOT, "requirements.yml"), encoding="utf-8") as handle:
        reqs = {c["name"]: c["version"] for c in yaml.safe_load(handle)["collections"]}
    assert reqs == galaxy()["dependencies"]


def test_downstream_ee_introspection_reads_only_the_runtime_set(built_tarball, tmp_path):
    """What ansible-builder does with the installed collection in any user's EE build."""
    collections = tmp_path / "collections"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections), str(built_tarball)])
    out = run([os.path.join(BIN, "ansible-builder"), "introspect", str(collections)])
    found = yaml.safe_load(out)
    python = [line.split(" #", 1)[0].strip() for line in found["python"]]
    with open(os.path.join(ROOT, "meta", "ee-requirements.txt"), encoding="utf-8") as handle:
        want = [line.split(" #", 1)[0].strip() for line in handle if line.strip() and not line.startswith("#")]
    assert python == want
    with open(os.path.join(ROOT, "meta", "ee-bindep.txt"), encoding="utf-8") as handle:
        want_system = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    assert [line.split(" #", 1)[0].strip() for line in found["system"]] == want_system


@pytest.fixture(scope="module")
def ee_context(built_tarball, tmp_path_factory):
    """``ansible-builder create`` of execution-environment.yml next to a freshly built tarball,
    laid out as the repository has it after ``make build``."""
    src = tmp_path_factory.mktemp("ee-src")
    shutil.copy(os.path.join(ROOT, "execution-environment.yml"), src)
    shutil.copy(os.path.join(ROOT, "requirements.yml"), src)
    shutil.copytree(os.path.join(ROOT, "meta"), src / "meta")
    shutil.copy(built_tarball, src)
    context = tmp_path_factory.mktemp("ee-context")
    run([os.path.join(BIN, "ansible-builder"), "create", "-f", str(src / "execution-environment.yml"), "-c", str(context),
         "--output-filename", "Containerfile"], cwd=str(src))
    return context


def test_ee_build_context_lists_exactly_the_runtime_set(ee_context):
    listed = parse_requirements(str(ee_context / "_build" / "requirements.txt"))
    assert set(listed) == set(runtime()) - CONTROLLER_DISTRIBUTION - MANAGED_HOST_ONLY
    assert set(listed) & TEST_TOOLS == set()
    galaxy_reqs = yaml.safe_load((ee_context / "_build" / "requirements.yml").read_text())
    assert {c["name"]: c["version"] for c in galaxy_reqs["collections"]} == galaxy()["dependencies"]


def test_ee_installs_the_built_collection(ee_context, built_tarball, tmp_path):
    """The galaxy stage's RUN lines, replayed here against the build context: the image's
    collections path then holds opsforge.infra at galaxy.yml's version."""
    shipped = list((ee_context / "_build").rglob("opsforge-infra-*.tar.gz"))
    assert [p.name for p in shipped] == [built_tarball.name]
    containerfile = (ee_context / "Containerfile").read_text()
    galaxy_stage = containerfile.split("FROM base AS galaxy", 1)[1].split("FROM base AS builder", 1)[0]
    installs = [line[4:] for line in galaxy_stage.splitlines() if line.startswith("RUN ") and "opsforge-infra-" in line]
    assert len(installs) == 1, galaxy_stage
    command = installs[0].replace("/usr/share/ansible/collections", str(tmp_path / "collections")).replace("/build/", str(ee_context / "_build") + "/")
    run(["bash", "-c", command], cwd=str(ee_context / "_build"))
    with open(tmp_path / "collections" / "ansible_collections" / "opsforge" / "infra" / "MANIFEST.json", encoding="utf-8") as handle:
        assert json.load(handle)["collection_info"]["version"] == galaxy()["version"]


# --- floors -------------------------------------------------------------------------------

def floors():
    """What the wheels at our floors declare (tests/quality/derive_floors.py wrote it from PyPI's metadata)."""
    with open(os.path.join(ROOT, "tests", "quality", "data", "floors.json"), encoding="utf-8") as handle:
        return json.load(handle)


def test_bundled_collections_of_the_installed_ansible_satisfy_galaxy_dependencies():
    import ansible_collections  # pylint: disable=import-outside-toplevel

    site = [p for p in ansible_collections.__path__ if "site-packages" in p][0]
    for fqcn, spec in galaxy()["dependencies"].items():
        with open(os.path.join(site, *fqcn.split("."), "MANIFEST.json"), encoding="utf-8") as handle:
            version = json.load(handle)["collection_info"]["version"]
        assert meets_requirements(version, spec), "%s %s does not meet %s" % (fqcn, version, spec)


def test_ansible_floor_is_the_lowest_release_whose_collections_meet_galaxy_yml():
    spec, marker = runtime()["ansible"]
    floor = re.search(r">=([0-9.]+)", spec).group(1)
    data = floors()["ansible"]
    assert data["floor"] == floor, "floors.json is for another floor: rerun tests/quality/derive_floors.py"
    deps = galaxy()["dependencies"]
    assert set(data[floor]["bundled"]) == set(deps), "rerun tests/quality/derive_floors.py"
    assert all(meets_requirements(v, deps[c]) for c, v in data[floor]["bundled"].items()), data[floor]
    below = data["below"]
    assert not all(meets_requirements(v, deps[c]) for c, v in data[below]["bundled"].items()), \
        "ansible %s already meets galaxy.yml: the floor %s is too high" % (below, floor)
    # The ansible package needs a newer Python than ansible-core's floor: requirements.txt says so.
    assert marker == 'python_version >= "%s"' % data[floor]["requires_python"].lstrip(">=")


def test_python_floor_is_ansible_core_floor_requirement():
    spec, _marker = runtime()["ansible-core"]
    floor = re.search(r">=([0-9.]+)", spec).group(1)
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["requires_ansible"] == ">=%s" % floor
    data = floors()["ansible-core"]
    assert data["floor"] == floor, "floors.json is for another floor: rerun tests/quality/derive_floors.py"
    python = data[floor]["requires_python"].lstrip(">=")
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert "ansible-core %s or newer and Python %s or newer on the controller" % (floor[:-2], python) in readme
    assert "Python 3.9" not in readme


def test_galaxy_build_ships_requirements_the_ee_reads(built_tarball):
    with tarfile.open(built_tarball) as tar:
        names = set(tar.getnames())
    assert {"meta/execution-environment.yml", "meta/ee-requirements.txt", "meta/ee-bindep.txt", "requirements.txt"} <= names
    assert "requirements-test.txt" not in names
