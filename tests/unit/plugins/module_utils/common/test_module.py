# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_common.module: the one module base. What a user reads when a library is missing or too old,
when a family error ends the task, and on success. Modules run for real (their JSON on stdout)."""

from __future__ import annotations

import json
import re
import sys
import types

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opsforge.infra.plugins.module_utils._common import imports
from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError
from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import MINIMUM_VERSIONS, LazyLibrary
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError

SPEC = dict(name=dict(type="str", required=True), count=dict(type="int", default=1))


def run(main, args):
    """Run ``main`` as Ansible would; return (rc, result dict printed on stdout)."""
    from io import StringIO
    out = StringIO()
    saved = sys.stdout
    sys.stdout = out
    try:
        with patch_module_args(args), pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.stdout = saved
    return done.value.code, json.loads(out.getvalue())


@pytest.fixture()
def fake_lib(monkeypatch):
    """A library ``opsforge_fake_lib`` importable with the given ``__version__``."""
    def install(version):
        module = types.ModuleType("opsforge_fake_lib")
        module.__version__ = version
        monkeypatch.setitem(sys.modules, "opsforge_fake_lib", module)
        return module
    return install


# ------------------------------------------------------------------------------ require


@pytest.mark.parametrize("installed, library, pip_name, minimum, message", [
    (None, "opsforge_no_such_lib", "opsforge-no-such-lib", "2.4", r".*opsforge-no-such-lib>=2\.4.*"),
    ("1.9.3", "opsforge_fake_lib", "opsforge-fake", "2.10",
     re.escape("opsforge-fake 1.9.3 is installed, but this module needs 2.10 or newer: pip install 'opsforge-fake>=2.10'")),
], ids=["missing", "too-old"])
def test_missing_or_too_old_library_names_the_pip_package_and_minimum_and_nothing_else_runs(
        fake_lib, installed, library, pip_name, minimum, message):
    if installed:
        fake_lib(installed)
    ran = []

    def main():
        module = OpsforgeModule(spec=SPEC)
        module.require(LazyLibrary(library, pip_name=pip_name), minimum=minimum)
        ran.append("after require")
        module.exit_result(dict(changed=True))

    rc, result = run(main, {"name": "x"})
    assert rc == 1 and result["failed"] is True
    assert re.fullmatch(message, result["msg"], re.DOTALL), result["msg"]
    assert ran == []


@pytest.mark.parametrize("version", ["2.10", "2.10.0", "2.11.1", "10.0"])
def test_new_enough_library_is_returned(fake_lib, version):
    lib = fake_lib(version)

    def main():
        module = OpsforgeModule(spec=SPEC)
        got = module.require(LazyLibrary("opsforge_fake_lib", pip_name="opsforge-fake"), minimum="2.10")
        module.exit_result(dict(changed=False, same=got is lib))

    rc, result = run(main, {"name": "x"})
    assert rc == 0 and result["same"] is True


def test_default_minimum_comes_from_the_table_that_matches_requirements_txt():
    """Each pip package the plugins import has its floor once: requirements.txt and the table agree."""
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[5]
    floors = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)", line.strip())
        if found:
            floors[found.group(1).lower()] = found.group(2)
    assert MINIMUM_VERSIONS, "no minimum versions known"
    for pip_name, minimum in MINIMUM_VERSIONS.items():
        assert floors.get(pip_name) == minimum, pip_name


def test_old_library_through_the_table_default(fake_lib, monkeypatch):
    fake_lib("0.1")
    monkeypatch.setitem(imports.MINIMUM_VERSIONS, "opsforge-fake", "3.0")

    def main():
        module = OpsforgeModule(spec=SPEC)
        module.require(LazyLibrary("opsforge_fake_lib", pip_name="opsforge-fake"))
        module.exit_result(dict(changed=True))

    rc, result = run(main, {"name": "x"})
    assert rc == 1 and "needs 3.0 or newer" in result["msg"] and "opsforge-fake>=3.0" in result["msg"]


# ------------------------------------------------------------------------------ fail


@pytest.mark.parametrize("error_type", [DeployError, PanelError, K8sError, LightsailError, AliyunError])
def test_every_family_error_subclasses_the_common_one(error_type):
    assert issubclass(error_type, OpsforgeError)


@pytest.mark.parametrize("error", [
    DeployError("lock of api held by deploy 7", details=dict(lock_owner="7")),
    PanelError("lock of api held by deploy 7", details=dict(lock_owner="7")),
])
def test_fail_returns_message_and_details_without_traceback(error):
    def main():
        module = OpsforgeModule(spec=SPEC)
        module.run(_raiser(error), module.params)

    rc, result = run(main, {"name": "x"})
    assert rc == 1 and result["failed"] is True
    assert result["msg"] == "lock of api held by deploy 7"
    assert result["lock_owner"] == "7"
    assert "exception" not in result
    assert "Traceback" not in json.dumps(result)
    # nor is one handed to fail_json (ansible-core < 2.19 prints it; 2.19 with -vvv)
    assert "exception" not in error.fail_kwargs()


def test_fail_keeps_the_sdk_cause_only_for_verbose_output():
    error = None
    try:
        raise ValueError("socket closed")
    except ValueError as exc:
        error = K8sError("Could not reach the Kubernetes API to get node a: socket closed", cause=exc)
    # the traceback of the SDK exception goes to fail_json's ``exception`` (Ansible shows it with -vvv)
    assert "ValueError: socket closed" in error.fail_kwargs()["exception"]

    def main():
        module = OpsforgeModule(spec=SPEC)
        module.run(_raiser(error), module.params)

    rc, result = run(main, {"name": "x"})
    assert rc == 1
    assert result["msg"] == "Could not reach the Kubernetes API to get node a: socket closed"
    assert "Traceback" not in result["msg"]


def test_other_exceptions_are_not_swallowed():
    def main():
        module = OpsforgeModule(spec=SPEC)
        module.run(_raiser(KeyError("bug")), module.params)

    with patch_module_args({"name": "x"}), pytest.raises(KeyError):
        main()


def _raiser(error):
    def call(params):
        raise error
    return call


# ------------------------------------------------------------------------------ exit


def test_exit_returns_the_result_and_turns_warnings_into_warnings(capsys):
    def main():
        module = OpsforgeModule(spec=SPEC)
        module.run(lambda params: dict(changed=True, thing=dict(name=params["name"], count=params["count"]),
                                       warnings=["careful"]), module.params)

    rc, result = run(main, {"name": "x", "count": "3"})
    assert rc == 0
    assert result["changed"] is True and result["thing"] == {"name": "x", "count": 3}
    assert "warnings" not in result or result["warnings"] == ["careful"]
    # ansible-core < 2.19 returns them in the result, 2.19 outside a controller prints them
    assert "careful" in json.dumps(result.get("warnings")) or "[WARNING]: careful" in capsys.readouterr().err


def test_exit_passes_module_and_check_mode_when_asked():
    def main():
        module = OpsforgeModule(spec=SPEC)
        module.run(lambda params, check_mode: dict(changed=False, check_mode=check_mode), module.params,
                   check_mode=module.check_mode)

    rc, result = run(main, {"name": "x", "_ansible_check_mode": True})
    assert rc == 0 and result["check_mode"] is True


def test_argument_spec_errors_are_ansibles_own():
    def main():
        OpsforgeModule(spec=SPEC).exit_result(dict(changed=False))

    rc, result = run(main, {"name": "x", "cuont": 2})
    assert rc == 1 and "Unsupported parameters" in result["msg"] and "cuont" in result["msg"]
