# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as users meet it: action groups, ansible-doc, the built artifact."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
MODULES_DIR = os.path.join(ROOT, "plugins", "modules")

# Which action group a module belongs to, by name. A module that matches no rule must be
# listed in UNGROUPED with the reason it has no group.
GROUP_RULES = [
    ("lightsail_", "lightsail"),
    ("gpu_", "k8s"),
    ("oss_", "aliyun"),
    ("ots_", "aliyun"),
    ("fc_", "aliyun"),
    ("ram_", "aliyun"),
    ("deploy_", "deploy"),
    ("release_ledger", "panel"),
    ("panel_status_info", "panel"),
    ("panel_apps", "panel"),
]
# A group's members must share the options set through it (tests/quality/test_action_groups.py).
UNGROUPED = {
    "nvidia_gpu_facts": "runs on a GPU host, talks to no API with shared credentials",
    "notify": "webhook sender used by every family; it has no credentials to share",
    "health_check": "probes a URL, port or script; shares no option with the deploy modules (no state_dir)",
    "docker_monitor_info": "reads a Docker engine; shares no option with the deploy modules (no state_dir)",
    "nginx_site_config": "shares no option with the panel ledger modules (no root)",
    "panel_certificate_info": "shares no option with the panel ledger modules (no root)",
    "systemd_unit_file": "shares no option with the panel ledger modules (no root)",
    "panel_claim": "shares no option with the panel ledger modules (no root)",
    "panel_lock": "shares no option with the panel ledger modules (no root)",
}


def modules():
    return sorted(f[:-3] for f in os.listdir(MODULES_DIR) if f.endswith(".py") and not f.startswith("_"))


def runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def group_members(group):
    return [m for m in runtime()["action_groups"][group] if isinstance(m, str)]


def expected_group(name):
    for prefix, group in GROUP_RULES:
        if name.startswith(prefix):
            return group
    return None


def test_runtime_requires_ansible():
    assert runtime()["requires_ansible"] == ">=2.17.0"


def test_groups_extend_the_amazon_and_kubernetes_groups():
    groups = runtime()["action_groups"]
    extends = {g: [e for m in v if isinstance(m, dict) for e in m.get("metadata", {}).get("extend_group", [])] for g, v in groups.items()}
    assert extends["lightsail"] == ["amazon.aws.aws"]
    assert extends["k8s"] == ["kubernetes.core.k8s"]
    assert {"lightsail", "k8s", "aliyun", "deploy", "panel"} <= set(groups)


@pytest.mark.parametrize("name", modules())
def test_module_is_in_its_action_group(name):
    groups = runtime()["action_groups"]
    member_of = sorted(g for g, v in groups.items() if name in v)
    want = expected_group(name)
    if want is None:
        if name in UNGROUPED:
            assert member_of == [], "%s is listed as ungrouped but is in %s" % (name, member_of)
            return
        # A family of its own (e.g. panel modules) is fine if it has a group.
        assert len(member_of) == 1, "%s matches no family rule and is in no group; add it to a group or UNGROUPED" % name
        return
    assert member_of == [want], "%s must be in group %s, is in %s" % (name, want, member_of)


def test_groups_name_only_existing_modules():
    existing = set(modules())
    for group, members in runtime()["action_groups"].items():
        for member in members:
            if isinstance(member, str):
                assert member in existing, "group %s lists %s, which is not a module" % (group, member)


def test_ansible_doc_renders_every_plugin():
    """ansible-doc's metadata dump of the whole collection: no plugin may fail to document."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "--metadata-dump", "--no-fail-on-errors", "opsforge.infra"],
                          capture_output=True, text=True, env=env, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    dump = json.loads(proc.stdout)["all"]
    errors = {"%s %s" % (ptype, name): doc["error"] for ptype, plugins in dump.items() for name, doc in plugins.items() if "error" in doc}
    assert errors == {}
    documented = {name.split(".")[-1] for name in dump["module"]}
    assert documented == set(modules())
    for ptype in ("inventory", "callback", "lookup", "filter"):
        folder = os.path.join(ROOT, "plugins", ptype)
        if os.path.isdir(folder):
            files = {f[:-3] for f in os.listdir(folder) if f.endswith(".py") and not f.startswith("_")}
            assert files <= {n.split(".")[-1] for n in dump.get(ptype, {})}, ptype


@pytest.mark.parametrize("name", ["lightsail_instance", "gpu_environment", "deploy_docker", "oss_bucket"])
def test_ansible_doc_text_for_a_module_of_each_family(name):
    if name not in modules():
        pytest.fail("%s is missing" % name)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "opsforge.infra.%s" % name], capture_output=True, text=True, env=env,
                          check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "EXAMPLES:" in proc.stdout and "RETURN VALUES:" in proc.stdout


def test_galaxy_build_leaves_out_what_is_not_the_collection(built_tarball):
    with tarfile.open(built_tarball) as tar:
        names = tar.getnames()
    top = {n.split("/", 1)[0] for n in names}
    for excluded in ("terraform", "benchmarks", "lab", "mk", ".lab", ".venv", ".build", ".cache", ".git", "collections"):
        assert excluded not in top, excluded
    assert {"MANIFEST.json", "FILES.json", "README.md", "meta", "plugins", "LICENSES", "CHANGELOG.rst"} <= top
    assert "plugins/modules/lightsail_instance.py" in names
    assert not [n for n in names if "__pycache__" in n]


def module_attributes():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "--metadata-dump", "--no-fail-on-errors", "-t", "module", "opsforge.infra"],
                          capture_output=True, text=True, env=env, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    dump = json.loads(proc.stdout)["all"]["module"]
    return {n.split(".")[-1]: {k: v.get("support") for k, v in d["doc"].get("attributes", {}).items()} for n, d in dump.items()}


def readme_line(prefix):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        lines = [line for line in handle if line.startswith("- %s" % prefix)]
    assert len(lines) == 1, "README.md needs one line starting with '- %s'" % prefix
    return lines[0]


def test_readme_says_what_the_module_attributes_say():
    """The README's check mode / diff / idempotence claims match every module's attributes."""
    attrs = module_attributes()
    assert {n for n, a in attrs.items() if a.get("check_mode") != "full"} == set()
    assert "every module." in readme_line("Check mode:")

    def named(line):
        return set(re.findall(r"`([a-z0-9_]+)`", line))

    no_diff = {n for n, a in attrs.items() if a.get("diff_mode") == "none"}
    diff_line = readme_line("Diff mode:")
    assert named(diff_line) == {n for n in no_diff if not n.endswith("_info")} | {"_info"}, diff_line
    idem = readme_line("Idempotent")
    assert {n for n, a in attrs.items() if a.get("idempotent") == "none"} == {"notify"} and "except `notify`" in idem
    partial = {n for n, a in attrs.items() if a.get("idempotent") == "partial"}
    assert named(idem) - {"notify", "changed=0"} == partial, idem


# Top-level folders that are in the repository but not in the built artifact, and what tests them.
EXCLUDED_TOPS = ("terraform", "benchmarks", "lab", "mk")


def test_galaxy_build_ships_no_tests_of_excluded_code(built_tarball):
    """A test in the tarball must not exercise a top-level folder that the tarball leaves out."""
    with tarfile.open(built_tarball) as tar:
        names = set(tar.getnames())
        tests = {n: tar.extractfile(n).read().decode() for n in names if n.startswith("tests/unit/") and n.endswith(".py")}
    for excluded in EXCLUDED_TOPS:
        assert not [n for n in names if n.split("/", 1)[0] == excluded], excluded
        pattern = re.compile(r"""(ROOT|os\\.path\\.dirname\\([^)]*\\))\\s*,\\s*["']%s["']|tests/unit/%s/""" % (excluded, excluded))
        users = sorted(n for n, text in tests.items() if pattern.search(text) or n.startswith("tests/unit/%s/" % excluded))
        assert users == [], "%s is not shipped but these shipped tests use it: %s" % (excluded, users)


def test_shipped_playbooks_and_roles_reach_nothing_outside_the_collection(built_tarball):
    """``{{ playbook_dir }}/../X`` and ``{{ role_path }}/../../X`` must name something the tarball has."""
    with tarfile.open(built_tarball) as tar:
        names = set(tar.getnames())
        yamls = {n: tar.extractfile(n).read().decode() for n in names if n.endswith((".yml", ".yaml")) and n.startswith(("playbooks/", "roles/"))}
    wrong = []
    for name, text in yamls.items():
        for anchor, ups, target in re.findall(r"\{\{\s*(playbook_dir|role_path)\s*\}\}((?:/\.\.)+)/([\w.-]+)", text):
            base = "playbooks" if anchor == "playbook_dir" else "/".join(name.split("/")[:2])
            parts = base.split("/")[: len(base.split("/")) - ups.count("..")] + [target]
            if not parts[0] or "/".join(parts) not in names:
                wrong.append("%s: {{ %s }}%s/%s" % (name, anchor, ups, target))
    assert wrong == []


def test_camera_backend_sources_ship_with_the_role(built_tarball):
    """The role deploys fc_functions/*: the tarball has what build_packages.py needs for every function."""
    with open(os.path.join(ROOT, "roles", "camera_backend", "vars", "main.yml"), encoding="utf-8") as handle:
        functions = yaml.safe_load(handle)["_camera_backend_functions"]
    with tarfile.open(built_tarball) as tar:
        names = set(tar.getnames())
    needed = {"fc_functions/build_packages.py", "fc_functions/functions.json", "fc_functions/shared/camera_common/__init__.py"}
    needed |= {"fc_functions/%s/index.py" % f for f in functions} | {"fc_functions/%s/requirements.txt" % f for f in functions}
    assert needed <= names, sorted(needed - names)
