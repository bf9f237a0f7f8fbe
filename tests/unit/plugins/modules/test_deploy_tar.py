# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_tar run in-process, both stages, with the chunks put in place as its action plugin would
(the flow itself: module_utils/deploy/test_deploy_utils_tar.py; the transfer: plugins/action/)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import file_hashes
from ansible_collections.opsforge.infra.plugins.modules import deploy_tar
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.deploy.test_deploy_utils_tar import CHUNK, make_tar, upload
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module


@pytest.fixture
def pkg(tmp_path):
    """Arguments of a deploy of release 1 (a package of several chunks)."""
    path = make_tar(tmp_path / "1.tgz", {"index.html": "version=1", "blob": os.urandom(3 * CHUNK)})
    size, sha, chunks = file_hashes(path, CHUNK)
    return dict(app="web", version="1", src=path, deploy_dir=str(tmp_path / "app"), state_dir=str(tmp_path / "state"),
                chunk_size=str(CHUNK), package_sha256=sha, package_size=str(size), chunk_sha256=chunks)


def test_probe_then_deploy_then_idempotent(pkg, tmp_path, capsys):
    probe = run_module(capsys, deploy_tar, stage="probe", **pkg)
    assert probe["changed"] is False and probe["up_to_date"] is False
    assert probe["missing"] == list(range(len(pkg["chunk_sha256"]))) and probe["have"] == []
    predicted = run_module(capsys, deploy_tar, check=True, diff=True, **pkg)
    assert predicted["changed"] is True and not (tmp_path / "app").exists()
    upload(pkg["src"], pkg["state_dir"], pkg["package_sha256"])
    result = run_module(capsys, deploy_tar, **pkg)
    assert result["changed"] is True and result["deploy"]["status"] == "success"
    assert (tmp_path / "app" / "current" / "index.html").read_text() == "version=1"
    assert run_module(capsys, deploy_tar, stage="probe", **pkg)["up_to_date"] is True
    assert run_module(capsys, deploy_tar, **pkg)["changed"] is False


def test_a_misspelled_health_check_option_is_refused_by_name(pkg, tmp_path, capsys):
    result = run_module(capsys, deploy_tar, health_checks=[{"port": "8080", "staus_codes": [200]}], **pkg)
    assert result["failed"] is True and "health_checks.staus_codes" in result["msg"]
    assert not (tmp_path / "app").exists()


def test_chunks_that_do_not_make_the_package_fail_clearly_and_change_nothing(pkg, tmp_path, capsys):
    result = run_module(capsys, deploy_tar, **dict(pkg, chunk_sha256=["0" * 64]))
    assert result["failed"] is True and "do not describe the same package" in result["msg"]
    assert result["transfer"] == {} and not (tmp_path / "app").exists()
