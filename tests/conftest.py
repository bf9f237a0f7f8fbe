# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the repository importable as ``ansible_collections.opsforge.infra``; split the suite over two workers.

The repository root is the collection root; ``.build/collections`` holds a symlink
``ansible_collections/opsforge/infra -> ../../../..`` so both Python imports in tests
and ``ansible-playbook`` (``ANSIBLE_COLLECTIONS_PATH``) see the working tree.
"""

from __future__ import annotations

import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")


def _ensure_tree():
    link_dir = os.path.join(COLLECTIONS, "ansible_collections", "opsforge")
    link = os.path.join(link_dir, "infra")
    if not os.path.lexists(link):
        os.makedirs(link_dir, exist_ok=True)
        try:
            os.symlink(os.path.join("..", "..", "..", ".."), link)
        except FileExistsError:  # the other xdist worker made it first
            pass


_ensure_tree()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS)
os.environ.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))


# `make test` runs two pytest-xdist workers with `--dist loadgroup`, and the scheduler below makes two groups of
# whole test files. "lab": the files under tests/integration/ and every file that imports a lab helper or uses the
# `lab` mark; one worker runs all of them, one after the other, in collection order, exactly as a plain `pytest`
# run does. "local": the rest, on the other worker, at a lower CPU priority (LOCAL_NICE) so that the lab tests,
# several of which measure time (a kill half way through an upload, lock waits, health-check windows), run as
# fast beside it as they do alone; the local tests only take the CPU the lab leaves idle.
# (xdist's own loadgroup reads `xdist_group` marks through a node id suffix that pytest 9.2 no longer lets it set,
# so the groups are decided here, from the file, where both the controller and the workers can see them.)
LAB_GROUP = "lab"
LOCAL_GROUP = "local"
LOCAL_NICE = 10
# A file outside tests/integration/ is a lab test file when it imports one of the lab's helpers -- tests/lab.py
# (lab hosts and servers), kmock_cluster (ports 20000-20499) or deploy_helpers (ports 18900-18999: its
# free_port() finds a port nobody listens on, which a lab test's Server could take a moment later) -- or says
# `pytest.mark.lab`.
LAB_SOURCE = re.compile(r"^\s*(?:from|import)\s+(?:\S+\.)?(?:lab|kmock_cluster|deploy_helpers)\b|\bmark\.lab\b", re.M)
_GROUPS = {}


def suite_group(path):
    """``lab`` or ``local`` for the test file at ``path`` (absolute, or relative to the repository root)."""
    path = os.path.join(ROOT, path)
    if path not in _GROUPS:
        if os.path.relpath(path, ROOT).startswith(os.path.join("tests", "integration") + os.sep):
            _GROUPS[path] = LAB_GROUP
        else:
            try:
                with open(path, encoding="utf-8") as handle:
                    _GROUPS[path] = LAB_GROUP if LAB_SOURCE.search(handle.read()) else LOCAL_GROUP
            except (OSError, UnicodeDecodeError):
                _GROUPS[path] = LAB_GROUP
    return _GROUPS[path]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup``: one unit of work per group, so each group runs whole, in order, on one worker."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling  # pylint: disable=import-outside-toplevel

    class SuiteGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return suite_group(os.path.join(str(config.rootpath), nodeid.split("::", 1)[0]))

    return SuiteGroupScheduling(config, log)


_BASE_NICE = []


def _set_nice(group):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if not _BASE_NICE:
        _BASE_NICE.append(os.getpriority(os.PRIO_PROCESS, 0))
    want = _BASE_NICE[0] + (LOCAL_NICE if group == LOCAL_GROUP else 0)
    if os.getpriority(os.PRIO_PROCESS, 0) != want:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, want)
        except OSError:  # back to the base priority needs root; then the worker stays lower
            pass


if os.environ.get("PYTEST_XDIST_WORKER"):
    # Hypothesis' per-example deadline (200 ms) and its too-slow health check measure the machine, not the
    # code: on the lower-priority worker an example may wait for the CPU. The properties are checked as before.
    from hypothesis import HealthCheck, settings

    settings.register_profile("xdist-worker", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("xdist-worker")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _set_nice(suite_group(str(item.path)))
