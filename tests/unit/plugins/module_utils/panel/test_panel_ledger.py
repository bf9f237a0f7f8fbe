# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The release ledger: record, idempotence, rollback to previous / N, failed releases, keep N."""

from __future__ import annotations

import hashlib
import json

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.ledger import Ledger


@pytest.fixture
def app(tmp_path):
    unit = tmp_path / "etc" / "shop.service"
    conf = tmp_path / "etc" / "shop.conf"
    unit.parent.mkdir()
    return dict(ledger=Ledger(str(tmp_path / "releases"), "shop"), unit=unit, conf=conf, paths=[str(unit), str(conf)])


def publish(app, version, result="success", keep=5):
    app["unit"].write_text("ExecStart=/srv/shop --version %s\n" % version)
    app["conf"].write_text("version=%s\n" % version)
    return app["ledger"].record(app["paths"], result=result, who="alice", meta=dict(unit="shop.service"), keep=keep)


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_record_writes_a_manifest_with_hashes_and_copies(app):
    changed, manifest, pruned = publish(app, 1)
    assert changed and manifest["release"] == 1 and pruned == []
    assert manifest["who"] == "alice" and manifest["result"] == "success"
    assert [f["sha256"] for f in manifest["files"]] == [sha(app["unit"]), sha(app["conf"])]
    assert app["ledger"].current() == 1
    with open(app["ledger"].base + "/1/manifest.json") as handle:
        on_disk = json.load(handle)
    assert on_disk == manifest


def test_recording_the_same_files_again_changes_nothing(app):
    publish(app, 1)
    changed, manifest, _pruned = publish(app, 1)
    assert not changed and manifest["release"] == 1
    assert app["ledger"].releases() == [1]


def test_failed_release_is_kept_but_never_live(app):
    publish(app, 1)
    changed, manifest, _pruned = publish(app, 2, result="failed")
    assert changed and manifest["release"] == 2
    assert app["ledger"].current() == 1 and app["ledger"].last() == 2
    with pytest.raises(PanelError, match="failed publish"):
        app["ledger"].rollback("2")


def test_rollback_to_current_undoes_a_failed_attempt(app):
    publish(app, 1)
    publish(app, 2, result="failed")
    changed, manifest, files = app["ledger"].rollback("current")
    assert changed and manifest["release"] == 1 and files == app["paths"]
    assert app["conf"].read_text() == "version=1\n"


def test_rollback_to_previous_and_to_n_restore_exact_hashes(app):
    publish(app, 1)
    publish(app, 2)
    publish(app, 3)
    changed, manifest, files = app["ledger"].rollback("previous")
    assert changed and manifest["release"] == 2 and app["ledger"].current() == 2
    assert [f["sha256"] for f in manifest["files"]] == [sha(app["unit"]), sha(app["conf"])]
    changed, manifest, files = app["ledger"].rollback("1")
    assert changed and app["conf"].read_text() == "version=1\n"
    assert [f["sha256"] for f in manifest["files"]] == [sha(app["unit"]), sha(app["conf"])]
    changed, _manifest, files = app["ledger"].rollback("1")
    assert not changed and files == []


def test_rollback_check_mode_touches_nothing(app):
    publish(app, 1)
    publish(app, 2)
    changed, _manifest, files = app["ledger"].rollback("1", check_mode=True)
    assert changed and files == app["paths"]
    assert app["conf"].read_text() == "version=2\n" and app["ledger"].current() == 2


def test_file_absent_in_release_is_removed_on_rollback(app):
    app["unit"].write_text("x\n")
    app["ledger"].record(app["paths"])
    app["conf"].write_text("new\n")
    app["ledger"].record(app["paths"])
    app["ledger"].rollback("1")
    assert not app["conf"].exists()


def test_damaged_copy_is_refused(app):
    publish(app, 1)
    publish(app, 2)
    with open(app["ledger"].base + "/1/files/1", "w") as handle:
        handle.write("tampered")
    with pytest.raises(PanelError, match="damaged"):
        app["ledger"].rollback("1")


def test_keep_prunes_old_releases_but_never_the_live_one(app):
    for version in range(1, 5):
        publish(app, version, keep=2)
    assert app["ledger"].releases() == [3, 4]
    app["ledger"].rollback("3")
    publish(app, 5, result="failed", keep=1)
    assert app["ledger"].releases() == [3]


def test_nothing_to_roll_back_to(app):
    with pytest.raises(PanelError, match="no live release"):
        app["ledger"].rollback("previous")
    publish(app, 1)
    with pytest.raises(PanelError, match="nothing to roll back to"):
        app["ledger"].rollback("previous")
    with pytest.raises(PanelError, match="has no release 7"):
        app["ledger"].rollback("7")
    with pytest.raises(PanelError, match="release number"):
        app["ledger"].rollback("latest")


@pytest.mark.parametrize("name", ["", "../etc", "a b", "-x"])
def test_bad_app_names(tmp_path, name):
    with pytest.raises(PanelError, match="invalid app name"):
        Ledger(str(tmp_path), name)


def test_relative_paths_are_refused(app):
    with pytest.raises(PanelError, match="absolute path"):
        app["ledger"].record(["etc/shop.conf"])


def _record_one(args):
    root, path, index = args
    with open(path + str(index), "w") as handle:
        handle.write("writer %d\n" % index)
    _changed, manifest, _pruned = Ledger(root, "shop").record([path + str(index)], who="w%d" % index, keep=100)
    return manifest["release"]


def test_twenty_concurrent_writers_get_unique_release_numbers(tmp_path):
    import multiprocessing
    args = [(str(tmp_path / "releases"), str(tmp_path / "f"), i) for i in range(20)]
    with multiprocessing.get_context("fork").Pool(20) as pool:
        numbers = pool.map(_record_one, args)
    assert sorted(numbers) == list(range(1, 21)), numbers
    ledger = Ledger(str(tmp_path / "releases"), "shop")
    assert ledger.releases() == list(range(1, 21))
    whos = {ledger.manifest(n)["who"] for n in ledger.releases()}
    assert whos == {"w%d" % i for i in range(20)}, "a writer's manifest was overwritten by another"


def test_a_secret_file_is_neither_copied_nor_hashed_plainly(tmp_path):
    secret = tmp_path / "etc" / "db.ini"
    secret.parent.mkdir()
    secret.write_text("password=hunter2\n")
    plain_sha = hashlib.sha256(secret.read_bytes()).hexdigest()
    ledger = Ledger(str(tmp_path / "releases"), "shop")
    changed, manifest, _pruned = ledger.record([str(secret)], secret_files=[str(secret)])
    assert changed
    entry = manifest["files"][0]
    assert entry["secret"] is True and entry["sha256"] is None
    stored = b"".join(p.read_bytes() for p in (tmp_path / "releases").rglob("*") if p.is_file())
    assert b"hunter2" not in stored and plain_sha.encode() not in stored
    # unchanged secret: nothing recorded; changed secret: a new release
    assert ledger.record([str(secret)], secret_files=[str(secret)])[0] is False
    secret.write_text("password=correct horse\n")
    assert ledger.record([str(secret)], secret_files=[str(secret)])[1]["release"] == 2
    # a rollback leaves a secret file alone and says so
    changed, _manifest, changed_files = ledger.rollback("1")
    assert changed and changed_files == [] and secret.read_text() == "password=correct horse\n"


def test_a_failed_attempt_is_kept_as_it_was_rejected(app):
    publish(app, 1)
    rejected = "version=rejected\n"
    _changed, manifest, _pruned = app["ledger"].record(app["paths"], result="failed", contents={str(app["conf"]): rejected})
    stored = app["ledger"].base + "/%d/files/1" % manifest["release"]
    with open(stored) as handle:
        assert handle.read() == rejected
    assert app["conf"].read_text() == "version=1\n"
