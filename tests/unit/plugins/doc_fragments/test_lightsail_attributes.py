# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every Lightsail module takes its check_mode/diff_mode/idempotent attributes from one doc fragment.

A module may override one attribute with module-specific details, but never repeats the fragment's
text: the rendered attributes are complete for every module.
"""

from __future__ import annotations

import glob
import os

import pytest
import yaml

from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

from ansible_collections.opsforge.infra.plugins.doc_fragments.lightsail import ModuleDocFragment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
MODULES = sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "lightsail_*.py")))
FRAGMENTS = {
    "opsforge.infra.lightsail.attributes": yaml.safe_load(ModuleDocFragment.ATTRIBUTES)["attributes"],
    "opsforge.infra.lightsail.info_attributes": yaml.safe_load(ModuleDocFragment.INFO_ATTRIBUTES)["attributes"],
}


def _own_documentation(path):
    with open(path) as handle:
        source = handle.read()
    return yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])


@pytest.mark.parametrize("path", MODULES, ids=os.path.basename)
def test_module_extends_the_attributes_fragment_of_its_kind(path):
    doc = _own_documentation(path)
    wanted = "opsforge.infra.lightsail.info_attributes" if path.endswith("_info.py") else "opsforge.infra.lightsail.attributes"
    used = [f for f in doc["extends_documentation_fragment"] if f in FRAGMENTS]
    assert used == [wanted]
    for name, value in (doc.get("attributes") or {}).items():
        assert value != FRAGMENTS[wanted].get(name), "%s repeats the fragment's %s attribute" % (os.path.basename(path), name)


@pytest.mark.parametrize("path", MODULES, ids=os.path.basename)
def test_rendered_attributes_are_complete(path):
    doc = get_docstring(path, fragment_loader=fragment_loader, collection_name="opsforge.infra")[0]
    assert set(doc["attributes"]) == {"check_mode", "diff_mode", "idempotent"}
    for value in doc["attributes"].values():
        assert value["description"] and value["support"] in ("full", "partial", "none")
