# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the repository importable as ``ansible_collections.opsforge.infra``.

The repository root is the collection root; ``.build/collections`` holds a symlink
``ansible_collections/opsforge/infra -> ../../../..`` so both Python imports in tests
and ``ansible-playbook`` (``ANSIBLE_COLLECTIONS_PATH``) see the working tree.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")


def _ensure_tree():
    link_dir = os.path.join(COLLECTIONS, "ansible_collections", "opsforge")
    link = os.path.join(link_dir, "infra")
    if not os.path.lexists(link):
        os.makedirs(link_dir, exist_ok=True)
        os.symlink(os.path.join("..", "..", "..", ".."), link)


_ensure_tree()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS)
os.environ.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
