# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tree as a newcomer walks it: rooms of a readable size, each package one concern.

- no file under ``plugins/module_utils/`` is over 450 lines;
- no function or method anywhere under ``plugins/`` is over 60 lines (measured with ``ast``,
  from its ``def`` line to its last line);
- ``_k8s/`` holds Kubernetes API code only: host-side GPU code (NVML, ``nvidia-smi``), webhooks
  and the metering ledger with its invoices live in ``_gpu_host/``, ``_notify/`` and
  ``_metering/``; each such package has one error type derived from the common one;
- ``docs/developing.md`` names every module_utils package, so the layout table is the map;
- every module's ``main()`` is the skeleton: at most three plain statements (build the module,
  optionally check a library, make the one call), no ``try``, ``if`` or loop; a module file defines
  no helper function but ``argument_spec()``: the logic lives in its family's module_utils.
"""

from __future__ import annotations

import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, "plugins")
MODULE_UTILS = os.path.join(PLUGINS, "module_utils")
MAX_FILE_LINES = 450
MAX_FUNCTION_LINES = 60
MAX_MAIN_STATEMENTS = 3
MODULES = os.path.join(PLUGINS, "modules")

# What does not belong in _k8s/, by concern: where it lives instead, the imports that give it
# away, and the module names it went by.
CONCERNS = {
    "_gpu_host": dict(what="host-side GPU code (NVML, nvidia-smi)",
                      imports={"pynvml", "xml.etree.ElementTree", "xml.etree", "subprocess"},
                      names={"gpu_facts", "nvml", "smi", "facts"}),
    "_notify": dict(what="webhooks and notifications",
                    imports={"hmac"},
                    names={"notify", "webhook", "webhooks"}),
    "_metering": dict(what="the usage ledger, metering and invoices",
                      imports={"sqlite3", "csv", "matplotlib"},
                      names={"ledger", "metering", "invoice", "invoices", "usage"}),
}


def python_files(top):
    for directory, _dirs, files in os.walk(top):
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def rel(path):
    return os.path.relpath(path, ROOT)


def parse(path):
    with open(path, encoding="utf-8") as handle:
        return ast.parse(handle.read(), filename=path)


def imported_names(tree):
    """Every module a file imports (``import a.b`` -> ``a.b`` and ``a``; ``from a import b`` -> ``a``, ``a.b``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
            names.update("%s.%s" % (node.module, alias.name) for alias in node.names)
    return names


def test_no_module_utils_file_is_over_450_lines():
    long_files = []
    for path in python_files(MODULE_UTILS):
        with open(path, encoding="utf-8") as handle:
            count = sum(1 for _line in handle)
        if count > MAX_FILE_LINES:
            long_files.append("%s: %d lines" % (rel(path), count))
    assert not long_files, "split these by concern (at most %d lines each):\n%s" % (MAX_FILE_LINES, "\n".join(long_files))


def test_no_function_is_over_60_lines():
    long_functions = []
    for path in python_files(PLUGINS):
        for node in ast.walk(parse(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append("%s:%d %s(): %d lines" % (rel(path), node.lineno, node.name, length))
    assert not long_functions, "split these (at most %d lines each):\n%s" % (MAX_FUNCTION_LINES, "\n".join(long_functions))


def test_k8s_holds_only_kubernetes_api_code():
    misplaced = []
    k8s = os.path.join(MODULE_UTILS, "_k8s")
    for path in python_files(k8s):
        name = os.path.splitext(os.path.basename(path))[0]
        imports = imported_names(parse(path))
        for package, concern in CONCERNS.items():
            found = sorted(imports & concern["imports"])
            if found or name in concern["names"]:
                misplaced.append("%s is %s (%s): it belongs in %s/" % (
                    rel(path), concern["what"], ", ".join(found) or "by its name", package))
    assert not misplaced, "\n".join(misplaced)


def test_each_split_package_exists_with_one_error_type():
    for package in CONCERNS:
        directory = os.path.join(MODULE_UTILS, package)
        assert os.path.isfile(os.path.join(directory, "__init__.py")), "%s/ is not a package" % package
        errors = os.path.join(directory, "errors.py")
        assert os.path.isfile(errors), "%s/ has no errors.py" % package
        classes = [node for node in parse(errors).body if isinstance(node, ast.ClassDef)]
        assert len(classes) == 1, "%s/errors.py defines %d classes, not one error type" % (package, len(classes))
        # Derived from the common error, directly or through its family's type.
        bases = [ast.unparse(base) for base in classes[0].bases]
        assert any(base.endswith("Error") for base in bases), (package, bases)
        with open(errors, encoding="utf-8") as handle:
            assert "_common.errors" in handle.read() or any("K8sError" in base for base in bases), package


def test_developing_md_names_every_module_utils_package():
    with open(os.path.join(ROOT, "docs", "developing.md"), encoding="utf-8") as handle:
        text = handle.read()
    packages = sorted(name for name in os.listdir(MODULE_UTILS)
                      if name.startswith("_") and os.path.isfile(os.path.join(MODULE_UTILS, name, "__init__.py")))
    missing = [name for name in packages if not re.search(r"`(plugins/module_utils/)?%s/`" % re.escape(name), text)]
    assert not missing, "docs/developing.md's layout table does not name %s" % ", ".join(missing)


def main_problems(path):
    """What keeps ``path``'s ``main()`` from being the skeleton, as a list of strings."""
    problems = []
    functions = [node for node in parse(path).body if isinstance(node, ast.FunctionDef)]
    for node in functions:
        if node.name not in ("main", "argument_spec"):
            problems.append("defines %s(): move it to the family's module_utils" % node.name)
    mains = [node for node in functions if node.name == "main"]
    if not mains:
        return problems + ["has no main()"]
    body = mains[0].body
    if len(body) > MAX_MAIN_STATEMENTS:
        problems.append("main() has %d statements (at most %d)" % (len(body), MAX_MAIN_STATEMENTS))
    for statement in body:
        if not isinstance(statement, (ast.Assign, ast.Expr)):
            problems.append("main() line %d is a %s: the module's one call does that" % (
                statement.lineno, type(statement).__name__))
    return problems


def test_every_module_main_is_the_skeleton():
    """Argument spec -> module -> (library check) -> one call -> exit; nothing else in the module file."""
    found = []
    for path in python_files(MODULES):
        if os.path.basename(path) == "__init__.py":
            continue
        found.extend("%s %s" % (rel(path), problem) for problem in main_problems(path))
    assert not found, "\n".join(found)


def test_the_skeleton_rule_catches_a_long_main(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def helper():\n    pass\n\n\ndef main():\n    module = M()\n"
                      "    try:\n        module.run(call)\n    except E:\n        pass\n"
                      "    for w in ():\n        module.warn(w)\n    a = 1\n    module.exit_json()\n")
    problems = main_problems(str(module))
    assert any("defines helper()" in p for p in problems)
    assert any("5 statements" in p for p in problems)
    assert any("Try" in p for p in problems) and any("For" in p for p in problems)
