# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a release carries: the licence text every file points to, plugin docs that say they
arrived in 0.1.0, a changelog cut by antsibull-changelog that still lints when new fragments
arrive, and a galaxy.yml version past the last release."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import yaml
from ansible.module_utils.compat.version import LooseVersion

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
FIRST_RELEASE = "0.1.0"
PLUGIN_TYPES = ("modules", "inventory", "callback", "action", "lookup", "filter", "connection")


def plugin_files():
    for ptype in PLUGIN_TYPES:
        folder = os.path.join(ROOT, "plugins", ptype)
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if name.endswith(".py") and not name.startswith("_"):
                    yield ptype, os.path.join(folder, name)


def documentation(path):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    match = re.search(r'^DOCUMENTATION\s*=\s*r?(\'\'\'|""")(.*?)\1', source, re.S | re.M)
    return yaml.safe_load(match.group(2)) if match else None


def galaxy():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def changelog():
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_licence_text_that_the_headers_point_to_is_shipped():
    path = os.path.join(ROOT, "LICENSES", "GPL-3.0-or-later.txt")
    assert os.path.isfile(path), "the SPDX headers point to LICENSES/GPL-3.0-or-later.txt"
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_every_plugin_says_the_release_that_added_it():
    """A plugin listed in the first release says 0.1.0; one added since says the version being prepared."""
    released = changelog()["releases"][FIRST_RELEASE]
    first = {(ptype, p["name"]) for ptype, plugins in released.get("plugins", {}).items() for p in plugins}
    first |= {("modules", m["name"]) for m in released.get("modules", [])}
    upcoming = str(galaxy()["version"])
    wrong = {}
    for ptype, path in plugin_files():
        doc = documentation(path)
        if doc is None:
            continue  # action plugins document through their module
        name = os.path.basename(path)[:-3]
        expected = FIRST_RELEASE if (ptype, name) in first else upcoming
        if str(doc.get("version_added")) != expected:
            wrong[os.path.relpath(path, ROOT)] = (doc.get("version_added"), expected)
    assert wrong == {}


def test_first_release_is_cut_and_lists_every_module():
    releases = changelog()["releases"]
    assert FIRST_RELEASE in releases
    release = releases[FIRST_RELEASE]
    listed = {m["name"] for m in release.get("modules", [])}
    modules = {os.path.basename(p)[:-3] for t, p in plugin_files()
               if t == "modules" and str(documentation(p).get("version_added")) == FIRST_RELEASE}
    assert listed == modules
    assert len(listed) == 61
    with open(os.path.join(ROOT, "CHANGELOG.rst"), encoding="utf-8") as handle:
        rst = handle.read()
    assert "v%s" % FIRST_RELEASE in rst and "opsforge.infra.deploy_shell" in rst


def test_galaxy_version_is_past_every_release():
    """New fragments belong to the next release, so galaxy.yml must already name it."""
    version = galaxy()["version"]
    for released in changelog()["releases"]:
        assert LooseVersion(version) > LooseVersion(released), (version, released)


def test_changelog_lints_with_a_fragment_added_after_the_release(tmp_path):
    tree = tmp_path / "collection"
    tree.mkdir()
    shutil.copy(os.path.join(ROOT, "galaxy.yml"), tree / "galaxy.yml")
    shutil.copytree(os.path.join(ROOT, "changelogs"), tree / "changelogs")
    # No plugins here and none new in this release: a plugin cache at the new version spares the scan.
    (tree / "changelogs" / ".plugin-cache.yaml").write_text(yaml.safe_dump({"objects": {}, "plugins": {}, "version": galaxy()["version"]}))
    (tree / "changelogs" / "fragments" / "zz-later.yml").write_text("bugfixes:\n  - deploy_shell - a later fix (https://example.invalid/1).\n")
    proc = subprocess.run([os.path.join(BIN, "antsibull-changelog"), "lint"], cwd=tree, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"])
    proc = subprocess.run([os.path.join(BIN, "antsibull-changelog"), "release"], cwd=tree, env=env, capture_output=True, text=True, check=False,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    releases = yaml.safe_load((tree / "changelogs" / "changelog.yaml").read_text())["releases"]
    assert FIRST_RELEASE in releases and galaxy()["version"] in releases
    assert "a later fix" in str(releases[galaxy()["version"]])
    assert "a later fix" not in str(releases[FIRST_RELEASE])
