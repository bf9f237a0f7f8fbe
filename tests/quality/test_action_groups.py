# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action groups work with module_defaults: every member of a group accepts the options its
members share, and for each group a real ansible-playbook run sets a default through
``group/opsforge.infra.<group>`` and sees a member use it. Traffic goes to 127.0.0.1 only:
AWS and Kubernetes get a closed local port (the error names the address the default gave),
Aliyun the SDK-model fakes of the unit tests."""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
ALIYUN_SITE = os.path.join(ROOT, "tests", "unit", "plugins", "modules", "aliyun_site")


def groups():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return {g: [m for m in v if isinstance(m, str)] for g, v in yaml.safe_load(handle)["action_groups"].items()}


@functools.cache
def module_options():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "--metadata-dump", "--no-fail-on-errors", "-t", "module", "opsforge.infra"],
                          capture_output=True, text=True, env=env, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    dump = json.loads(proc.stdout)["all"]["module"]
    return {name.split(".")[-1]: set(doc["doc"].get("options", {})) for name, doc in dump.items()}


def shared_options(group):
    return set.intersection(*(module_options()[m] for m in groups()[group]))


# The option each group's test sets through module_defaults.
DEFAULTED = {"lightsail": "endpoint_url", "k8s": "host", "aliyun": "region", "deploy": "state_dir", "panel": "root"}


def test_every_group_is_exercised():
    assert set(DEFAULTED) == set(groups())


@pytest.mark.parametrize("group", sorted(DEFAULTED))
def test_members_share_the_option_the_group_is_for(group):
    """module_defaults on a group passes the option to every member; one that lacks it fails."""
    lacking = sorted(m for m in groups()[group] if DEFAULTED[group] not in module_options()[m])
    assert lacking == [], "%s: these members have no option %s" % (group, DEFAULTED[group])
    assert shared_options(group), group


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def module_args(result):
    """The arguments the module really ran with (what module_defaults filled in shows here)."""
    assert "invocation" in result, result
    return result["invocation"]["module_args"]


def ignoring(task):
    return dict(task, ignore_errors=True)


@pytest.fixture(scope="module")
def plays(tmp_path_factory):
    """One ansible-playbook run with one play per case, each with its own module_defaults.
    Returns {play name: {task name: result}} and the scratch directory the plays wrote to."""
    tmp = tmp_path_factory.mktemp("groups")
    (tmp / "app.conf").write_text("v1\n")
    aws = "http://127.0.0.1:%d" % closed_port()
    k8s = "http://127.0.0.1:%d" % closed_port()
    cases = {
        "lightsail": ({"group/opsforge.infra.lightsail": {"endpoint_url": aws, "region": "eu-central-1"}},
                      [ignoring({"name": "ours", "opsforge.infra.lightsail_static_ip_info": {}}),
                       ignoring({"name": "amazon", "amazon.aws.aws_az_info": {}})]),
        "amazon.aws": ({"group/amazon.aws.aws": {"endpoint_url": aws}},
                       [ignoring({"name": "ours", "opsforge.infra.lightsail_static_ip_info": {}})]),
        "k8s": ({"group/opsforge.infra.k8s": {"host": k8s, "validate_certs": False}},
                [ignoring({"name": "ours", "opsforge.infra.gpu_node_info": {}}),
                 ignoring({"name": "kubernetes", "kubernetes.core.k8s_info": {"kind": "Node"}})]),
        "aliyun": ({"group/opsforge.infra.aliyun": {"region": "cn-hangzhou", "access_key": "LTAIfake", "secret_key": "fake-secret"}},
                   [ignoring({"name": "ours", "opsforge.infra.oss_bucket_info": {"name": "groups-test"}})]),
        # A health check in the same play, as the deploy playbooks do.
        "deploy": ({"group/opsforge.infra.deploy": {"state_dir": str(tmp / "deploy-state")}},
                   [ignoring({"name": "deploy", "opsforge.infra.deploy_shell": {"app": "groups", "version": "1", "script": "true"}}),
                    ignoring({"name": "status", "opsforge.infra.deploy_status": {"app": "groups"}}),
                    ignoring({"name": "records", "opsforge.infra.deploy_info": {"app": "groups"}}),
                    ignoring({"name": "probe", "opsforge.infra.health_check": {"type": "script", "script": "true"}})]),
        "panel": ({"group/opsforge.infra.panel": {"root": str(tmp / "releases")}},
                  [ignoring({"name": "record", "opsforge.infra.release_ledger": {
                      "app": "groups", "operation": "record", "files": [str(tmp / "app.conf")]}}),
                   ignoring({"name": "status", "opsforge.infra.panel_status_info": {"apps": ["groups"]}})]),
    }
    book = tmp / "play.yml"
    book.write_text(yaml.safe_dump([{"name": name, "hosts": "localhost", "gather_facts": False, "module_defaults": defaults, "tasks": tasks}
                                    for name, (defaults, tasks) in cases.items()]))
    # Only the Aliyun play's modules load the fakes (they cost every module process an SDK import).
    plays_data = yaml.safe_load(book.read_text())
    plays_data[list(cases).index("aliyun")]["environment"] = {
        "PYTHONPATH": ALIYUN_SITE, "OPSFORGE_ALIYUN_FAKE_STATE": str(tmp / "cloud.pickle"), "OPSFORGE_ALIYUN_FAKE_BUCKET": "groups-test"}
    book.write_text(yaml.safe_dump(plays_data))
    (tmp / "ansible.cfg").write_text("[defaults]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "K8S_AUTH_", "ALIBABA_CLOUD_"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_CONFIG=str(tmp / "ansible.cfg"), HOME=str(tmp),  # HOME is empty: no ~/.kube/config, no ~/.aws
               AWS_ACCESS_KEY_ID="AKIAFAKE", AWS_SECRET_ACCESS_KEY="fake", AWS_DEFAULT_REGION="eu-west-1", AWS_MAX_ATTEMPTS="1",
               AWS_ENDPOINT_URL="http://127.0.0.1:%d" % closed_port())  # where an AWS module goes when no default reaches it
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e",
                           "ansible_python_interpreter=%s" % sys.executable, str(book)],
                          cwd=str(tmp), env=env, capture_output=True, text=True, timeout=600, check=False)
    try:
        result = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        pytest.fail(proc.stdout[-3000:] + proc.stderr[-3000:])
    found = {play["play"]["name"]: {task["task"]["name"]: task["hosts"]["localhost"] for task in play["tasks"]} for play in result["plays"]}
    return found, {"aws": aws, "k8s": k8s, "tmp": tmp}


def test_lightsail_group_reaches_its_modules_and_amazon_aws_modules(plays):
    """group/opsforge.infra.lightsail extends amazon.aws.aws: one entry configures both."""
    res, where = plays
    for name in ("ours", "amazon"):
        got = res["lightsail"][name]
        assert module_args(got)["endpoint_url"] == where["aws"] and module_args(got)["region"] == "eu-central-1", got
        assert got.get("failed") and "127.0.0.1" in got["msg"], got  # it called the closed port it was given


def test_amazon_aws_group_does_not_reach_lightsail_modules(plays):
    """What the README says: group/amazon.aws.aws is amazon.aws's, so ours need their own group."""
    res, _where = plays
    assert module_args(res["amazon.aws"]["ours"])["endpoint_url"] is None


def test_k8s_group_reaches_its_modules_and_kubernetes_core_modules(plays):
    res, where = plays
    for name in ("ours", "kubernetes"):
        assert module_args(res["k8s"][name])["host"] == where["k8s"], res["k8s"][name]


def test_aliyun_group_sets_region_and_credentials(plays):
    res, _where = plays
    got = res["aliyun"]["ours"]
    assert not got.get("failed"), got
    assert module_args(got)["region"] == "cn-hangzhou" and module_args(got)["access_key"] == "LTAIfake"


def test_deploy_group_sets_state_dir(plays):
    res, where = plays
    assert not [name for name, r in res["deploy"].items() if r.get("failed")], res["deploy"]
    state = where["tmp"] / "deploy-state"
    assert state.is_dir() and any(state.rglob("*")), "deploy_shell did not keep its record under the defaulted state_dir"
    assert module_args(res["deploy"]["records"])["state_dir"] == str(state)
    assert '"groups"' in json.dumps(res["deploy"]["records"]) and '"1"' in json.dumps(res["deploy"]["records"]), res["deploy"]["records"]


def test_panel_group_sets_the_ledger_root(plays):
    res, where = plays
    assert not [name for name, r in res["panel"].items() if r.get("failed")], res["panel"]
    root = where["tmp"] / "releases"
    assert root.is_dir() and any(root.rglob("*")), "release_ledger did not write under the defaulted root"
    assert module_args(res["panel"]["status"])["root"] == str(root)
    assert "groups" in json.dumps(res["panel"]["status"]), res["panel"]["status"]


def test_readme_lists_every_group_and_says_how_amazon_aws_relates():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    for group in groups():
        assert "group/opsforge.infra.%s" % group in readme, group
    assert re.search(r"group/amazon\.aws\.aws`? does not reach", readme)
