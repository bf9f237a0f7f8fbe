# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keep every role's defaults and its meta/argument_specs.yml in step (all roles in roles/).

- every variable in defaults/main.yml is documented in the ``main`` entry point, with the same default;
- every documented option that is not required has a default in defaults/main.yml;
- public variables carry the role's name as prefix, private ones in vars/ are ``_<role>_*``;
- every option has a description and a type.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES_DIR = os.path.join(ROOT, "roles")
ROLES = sorted(
    name for name in (os.listdir(ROLES_DIR) if os.path.isdir(ROLES_DIR) else [])
    if os.path.isdir(os.path.join(ROLES_DIR, name, "tasks"))
)


def _load(role, *parts):
    path = os.path.join(ROLES_DIR, role, *parts)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _entry_points(role):
    specs = _load(role, "meta", "argument_specs.yml")
    if specs is None:
        specs = _load(role, "meta", "argument_specs.yaml")
    assert specs is not None, "roles/%s has no meta/argument_specs.yml" % role
    return specs["argument_specs"]


def test_every_role_directory_is_checked():
    """An empty or partial ROLES would let every test below pass without checking anything."""
    folders = sorted(n for n in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, n)))
    assert folders and ROLES == folders, "role folders %s, checked %s" % (folders, ROLES)


@pytest.fixture(scope="module")
def rendered():
    """What ``ansible-doc -t role -j`` shows users for every role (one run for all of them)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "role", "-j"]
                          + ["opsforge.infra.%s" % role for role in ROLES],
                          capture_output=True, text=True, env=env, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _defaults_of(options):
    return {name: option["default"] for name, option in options.items() if "default" in option}


@pytest.mark.parametrize("role", ROLES)
def test_the_docs_show_the_spec_and_the_defaults_users_get(role, rendered):
    """ansible-doc renders every entry point with the spec's options, types and required flags, and the
    defaults it shows are the values of defaults/main.yml."""
    shown = rendered["opsforge.infra.%s" % role]["entry_points"]
    specs = _entry_points(role)
    assert sorted(shown) == sorted(specs)
    for entry, spec in specs.items():
        options = spec.get("options") or {}
        doc = shown[entry].get("options") or {}
        assert sorted(doc) == sorted(options), "roles/%s %s: ansible-doc shows other options" % (role, entry)
        for name, option in options.items():
            assert doc[name].get("type") == option["type"] and bool(doc[name].get("required")) == bool(option.get("required")), name
            assert doc[name].get("description"), "roles/%s %s: %s renders without a description" % (role, entry, name)
    defaults = _load(role, "defaults", "main.yml") or {}
    assert _defaults_of(shown["main"].get("options") or {}) == defaults, "roles/%s: ansible-doc defaults differ from defaults/main.yml" % role


@pytest.mark.parametrize("role", ROLES)
def test_defaults_are_documented_with_the_same_value(role):
    defaults = _load(role, "defaults", "main.yml") or {}
    options = _entry_points(role)["main"].get("options", {})
    undocumented = sorted(set(defaults) - set(options))
    assert not undocumented, "roles/%s: defaults not in meta/argument_specs.yml: %s" % (role, undocumented)
    for name, value in defaults.items():
        assert "default" in options[name], "roles/%s: %s has a default in defaults/main.yml but none in the spec" % (role, name)
        assert options[name]["default"] == value, "roles/%s: %s default differs: spec %r, defaults %r" % (
            role, name, options[name]["default"], value)


@pytest.mark.parametrize("role", ROLES)
def test_documented_optional_options_have_defaults(role):
    defaults = _load(role, "defaults", "main.yml") or {}
    for entry, spec in _entry_points(role).items():
        for name, option in (spec.get("options") or {}).items():
            assert option.get("description"), "roles/%s %s: %s has no description" % (role, entry, name)
            assert option.get("type"), "roles/%s %s: %s has no type" % (role, entry, name)
            if entry == "main" and not option.get("required"):
                assert name in defaults, "roles/%s: optional %s is documented but has no default in defaults/main.yml" % (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_variable_names_carry_the_role_prefix(role):
    defaults = _load(role, "defaults", "main.yml") or {}
    bad = sorted(name for name in defaults if not name.startswith(role + "_"))
    assert not bad, "roles/%s: public variables without the %s_ prefix: %s" % (role, role, bad)
    for entry, spec in _entry_points(role).items():
        bad = sorted(name for name in (spec.get("options") or {}) if not name.startswith(role + "_"))
        assert not bad, "roles/%s %s: options without the %s_ prefix: %s" % (role, entry, role, bad)
    private = _load(role, "vars", "main.yml") or {}
    bad = sorted(name for name in private if not name.startswith("_" + role + "_"))
    assert not bad, "roles/%s: vars/main.yml names must start with _%s_: %s" % (role, role, bad)


@pytest.mark.parametrize("role", ROLES)
def test_choices_contain_the_default(role):
    for entry, spec in _entry_points(role).items():
        for name, option in (spec.get("options") or {}).items():
            if "choices" in option and "default" in option:
                assert option["default"] in option["choices"], "roles/%s %s: default of %s not in its choices" % (role, entry, name)
