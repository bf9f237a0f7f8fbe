# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a module's tests are: one ``tests/unit/plugins/modules/test_<module>.py`` per module that runs
the module itself, and one ``tests/unit/plugins/module_utils/<family>/`` per module_utils family."""

from __future__ import annotations

import collections
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = os.path.join(ROOT, "plugins", "modules")
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")
UNIT = os.path.join(ROOT, "tests", "unit", "plugins")


def _modules():
    return sorted(n[:-3] for n in os.listdir(MODULES) if n.endswith(".py") and not n.startswith("_"))


def _families():
    return sorted(n[1:] for n in os.listdir(MODULE_UTILS)
                  if n.startswith("_") and not n.startswith("__") and os.path.isdir(os.path.join(MODULE_UTILS, n)))


def test_every_module_has_its_own_test_file_that_runs_it():
    missing, not_run = [], []
    for module in _modules():
        path = os.path.join(UNIT, "modules", "test_%s.py" % module)
        if not os.path.isfile(path):
            missing.append(module)
            continue
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        imported = re.search(r"plugins\.modules(\.%s\b| import [^\n]*\b%s\b)" % (module, module), text)
        if not (imported and re.search(r"\.main\(|run_module\(|run_read_only\(", text)):
            not_run.append(module)
    assert missing == [], "modules without tests/unit/plugins/modules/test_<module>.py: %s" % missing
    assert not_run == [], "test files that never import and run their module's main(): %s" % not_run


def test_every_module_utils_family_has_a_test_folder_with_tests():
    missing = []
    for family in _families():
        folder = os.path.join(UNIT, "module_utils", family)
        if not (os.path.isdir(folder) and any(n.startswith("test_") and n.endswith(".py") for n in os.listdir(folder))):
            missing.append("tests/unit/plugins/module_utils/%s/" % family)
    assert missing == [], "module_utils families without a test folder: %s" % missing


def test_module_utils_tests_live_in_their_family_folder():
    flat = sorted(n for n in os.listdir(os.path.join(UNIT, "module_utils")) if n.endswith(".py"))
    assert flat == [], "put these under tests/unit/plugins/module_utils/<family>/: %s" % flat


def test_test_file_names_are_unique():
    """pytest imports test files without packages (rootdir-relative, ``prepend``): two files with the
    same basename cannot both be collected."""
    seen = collections.defaultdict(list)
    for top, dirs, files in os.walk(os.path.join(ROOT, "tests")):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("output", "__pycache__")]
        for name in files:
            if name.startswith("test_") and name.endswith(".py"):
                seen[name].append(os.path.relpath(os.path.join(top, name), ROOT))
    assert {n: p for n, p in seen.items() if len(p) > 1} == {}
