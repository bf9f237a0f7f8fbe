# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role options that are lists of dicts have typed suboptions, so a typo is Ansible's own clear error.

The role argument validation runs before the first task, on the controller: these plays target localhost and
never reach a host.
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
BIN = os.path.dirname(sys.executable)

LIST_OF_DICTS = {
    "systemd_app": ["systemd_app_config_files"],
    "nginx_site": ["nginx_site_upstreams", "nginx_site_locations"],
    "app_release": ["app_release_config_files", "app_release_upstreams", "app_release_apps",
                    "app_release_apps.config_files", "app_release_apps.upstreams"],
}


def _options(role):
    with open(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def _option(role, dotted):
    """The spec of ``option`` or ``option.suboption`` of ``role``'s main entry point."""
    first, *rest = dotted.split(".")
    spec = _options(role)[first]
    for name in rest:
        spec = spec["options"][name]
    return spec


@pytest.mark.parametrize("role,option", [(r, o) for r, opts in LIST_OF_DICTS.items() for o in opts])
def test_list_of_dict_options_have_typed_suboptions(role, option):
    spec = _option(role, option)
    assert spec.get("elements") == "dict"
    subs = spec.get("options")
    assert subs, "roles/%s: %s has no suboptions" % (role, option)
    for name, sub in subs.items():
        assert sub.get("type") and sub.get("description"), "roles/%s: %s.%s needs a type and a description" % (role, option, name)


def _run_role(tmp_path, role, role_vars):
    play = [dict(hosts="localhost", gather_facts=False, roles=[dict(role="opsforge.infra." + role)])]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    # only the argument validation runs (it is tagged always): valid variables never reach a task on this machine
    return subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path),
                           "--tags", "opsforge-argument-validation-only", "-e", json.dumps(role_vars)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("role,role_vars,typo", [
    ("nginx_site", dict(nginx_site_name="shop", nginx_site_server_names=["shop.example.com"],
                        nginx_site_upstreams=[dict(sever="127.0.0.1:8080")]), "sever"),
    ("nginx_site", dict(nginx_site_name="shop", nginx_site_server_names=["shop.example.com"],
                        nginx_site_upstreams=[dict(server="127.0.0.1:8080")], nginx_site_locations=[dict(pth="/")]), "pth"),
    ("systemd_app", dict(systemd_app_name="shop", systemd_app_exec_start="/bin/true",
                         systemd_app_config_files=[dict(dest="a.ini", contnet="x")]), "contnet"),
    ("app_release", dict(app_release_name="shop", app_release_port=8080, app_release_exec_start="/bin/true",
                         app_release_domains=["shop.example.com"], app_release_config_files=[dict(dset="a.ini", content="x")]), "dset"),
    ("app_release", dict(app_release_apps=[dict(name="shop", port=8080, exec_start="/bin/true", domains=["shop.example.com"],
                                                config_files=[dict(dest="a.ini", contnet="x")])]), "contnet"),
    ("app_release", dict(app_release_apps=[dict(name="shop", port=8080, exec_start="/bin/true", domains=["shop.example.com"],
                                                upstreams=[dict(sever="127.0.0.1:8080")])]), "sever"),
])
def test_a_typo_in_a_list_of_dicts_is_ansibles_own_error(tmp_path, role, role_vars, typo):
    out = _run_role(tmp_path, role, role_vars)
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "Validating arguments against arg spec" in text, text
    assert "Validation of arguments failed" in text and ".%s. Supported parameters include" % typo in text, text


def test_well_spelled_lists_of_dicts_pass_the_validation(tmp_path):
    app = dict(name="shop", port=8080, exec_start="/bin/true", domains=["shop.example.com"],
               config_files=[dict(dest="a.ini", content="x", mode="0600", owner="root", group="root", secret=True),
                             dict(dest="b.ini", src="b.ini.j2")],
               upstreams=[dict(server="127.0.0.1:8080", weight=2, max_fails=3, fail_timeout="10s"),
                          dict(server="127.0.0.1:8081", backup=True)])
    out = _run_role(tmp_path, "app_release", dict(app_release_apps=[app]))
    text = out.stdout + out.stderr
    assert out.returncode == 0 and "Validating arguments against arg spec" in text, text
