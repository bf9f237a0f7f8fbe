# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The non-Lightsail families take their repeated attributes and shared options from doc fragments
(plugins/doc_fragments/{deploy,aliyun,gpu,panel}.py), as Lightsail does (test_lightsail_attributes.py).

A module may override an attribute with its own wording but never repeats a fragment's entry, and every
module renders complete attributes.
"""

from __future__ import annotations

import glob
import os

import pytest
import yaml
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

from ansible_collections.opsforge.infra.plugins.doc_fragments import aliyun, deploy, gpu, panel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
MODULES = sorted(p for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
                 if not os.path.basename(p).startswith("lightsail_"))
FAMILY = {"deploy": deploy, "docker": deploy, "health": deploy, "fc": aliyun, "oss": aliyun, "ots": aliyun, "ram": aliyun,
          "gpu": gpu, "panel": panel}
FRAGMENTS = {}
for family, source in (("deploy", deploy), ("aliyun", aliyun), ("gpu", gpu), ("panel", panel)):
    for var in ("ATTRIBUTES", "INFO_ATTRIBUTES", "DOCKER", "STATE_DIR", "FC", "OSS", "PROMETHEUS"):
        if hasattr(source.ModuleDocFragment, var):
            FRAGMENTS["opsforge.infra.%s.%s" % (family, var.lower())] = yaml.safe_load(getattr(source.ModuleDocFragment, var))


def _own_documentation(path):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    return yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])


def _name(path):
    return os.path.basename(path)[:-3]


@pytest.mark.parametrize("path", [p for p in MODULES if _name(p).split("_")[0] in FAMILY and _name(p).endswith("_info")], ids=_name)
def test_info_modules_extend_their_familys_info_attributes(path):
    family = FAMILY[_name(path).split("_")[0]].__name__.rsplit(".", 1)[1]
    assert "opsforge.infra.%s.info_attributes" % family in _own_documentation(path).get("extends_documentation_fragment", [])


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_repeats_a_fragment_it_extends(path):
    doc = _own_documentation(path)
    for slug in doc.get("extends_documentation_fragment") or []:
        for key in ("attributes", "options"):
            for entry, value in ((FRAGMENTS.get(slug) or {}).get(key) or {}).items():
                assert (doc.get(key) or {}).get(entry) != value, "%s repeats %s of %s" % (_name(path), entry, slug)


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_rendered_attributes_are_complete(path):
    doc = get_docstring(path, fragment_loader=fragment_loader, collection_name="opsforge.infra")[0]
    assert {"check_mode", "diff_mode", "idempotent"} <= set(doc["attributes"])
    for value in doc["attributes"].values():
        assert value["description"] and value["support"] in ("full", "partial", "none")
