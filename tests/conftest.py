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


# `make test` runs two pytest-xdist workers with `--dist loadgroup`. Every test that uses the lab (its hosts,
# Docker, its servers and ports, the lab locks) is in the group "lab": one worker runs all of them, one after
# the other, in collection order, exactly as a plain `pytest` run does. Everything else is in the group
# "local" and runs on the other worker, at a lower CPU priority (LOCAL_NICE) so that the lab tests, several
# of which measure time (a kill half way through an upload, lock waits, health-check windows), run as fast
# beside it as they do alone; the local tests only take CPU the lab leaves idle.
LAB_GROUP = "lab"
LOCAL_GROUP = "local"
LAB_DIR = os.path.join(ROOT, "tests", "integration") + os.sep
LOCAL_NICE = 10
# A test file elsewhere that imports one of the lab's helpers is a lab test too: tests/lab.py (lab hosts and
# servers), kmock_cluster (ports 20000-20499) and deploy_helpers (ports 18900-18999: its free_port() finds a port
# nobody listens on, which a lab test's Server could take a moment later).
LAB_HELPERS = re.compile(r"^\s*(?:from|import)\s+(?:\S+\.)?(?:lab|kmock_cluster|deploy_helpers)\b", re.M)
_USES_LAB_HELPERS = {}


def _imports_lab_helpers(path):
    if path not in _USES_LAB_HELPERS:
        try:
            with open(path, encoding="utf-8") as handle:
                _USES_LAB_HELPERS[path] = bool(LAB_HELPERS.search(handle.read()))
        except (OSError, UnicodeDecodeError):
            _USES_LAB_HELPERS[path] = False
    return _USES_LAB_HELPERS[path]


def xdist_group(item):
    """``lab`` for a test under tests/integration/, one marked ``lab``, one using the ``lab`` fixture or one whose
    file imports a lab helper; ``local`` for the rest."""
    path = str(item.path)
    if (path.startswith(LAB_DIR) or item.get_closest_marker("lab") or "lab" in getattr(item, "fixturenames", ())
            or _imports_lab_helpers(path)):
        return LAB_GROUP
    return LOCAL_GROUP


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Before xdist reads the groups: ours first, so that no other ``xdist_group`` mark can move a lab test."""
    for item in items:
        item.add_marker(pytest.mark.xdist_group(xdist_group(item)), append=False)


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
    mark = item.get_closest_marker("xdist_group")
    _set_nice(mark.args[0] if mark and mark.args else LAB_GROUP)
