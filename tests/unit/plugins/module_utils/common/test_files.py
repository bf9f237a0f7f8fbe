# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_common.files in a real temporary directory: an atomic write leaves the old file or the new one, never
half a file or a temp file, even when it fails half way; the mode is kept; sha256 of bytes and files agree."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._common import files

STEPS = ("write", "fsync", "chmod", "rename")


class Boom(OSError):
    pass


def _fail_at(monkeypatch, step):
    """Make the atomic write fail at ``step``; at ``write`` half the data has reached the disk first."""
    if step == "write":
        real_write = os.write

        def half_write(fd, data):
            real_write(fd, bytes(data[: max(1, len(data) // 2)]))
            raise Boom("disk full")
        monkeypatch.setattr(files.os, "write", half_write)
    elif step == "fsync":
        real_fsync = os.fsync
        calls = []

        def fsync(fd):
            calls.append(fd)
            if len(calls) == 1:  # the temp file's fsync, not the directory's
                raise Boom("I/O error")
            real_fsync(fd)
        monkeypatch.setattr(files.os, "fsync", fsync)
    elif step == "chmod":
        def fchmod(fd, mode):
            raise Boom("read-only")
        monkeypatch.setattr(files.os, "fchmod", fchmod)
    else:
        def rename(src, dst):
            raise Boom("cross-device")
        monkeypatch.setattr(files.os, "replace", rename)


@settings(max_examples=40, deadline=None)
@given(old=st.one_of(st.none(), st.binary(max_size=2048)), new=st.binary(min_size=1, max_size=70000),
       step=st.sampled_from(STEPS))
def test_a_failed_write_leaves_the_old_file_and_no_temp_file(old, new, step):
    with tempfile.TemporaryDirectory() as directory, pytest.MonkeyPatch.context() as monkeypatch:
        path = os.path.join(directory, "state.json")
        if old is not None:
            with open(path, "wb") as handle:
                handle.write(old)
        _fail_at(monkeypatch, step)
        with pytest.raises(Boom):
            files.atomic_write(path, new)
        monkeypatch.undo()
        assert sorted(os.listdir(directory)) == ([] if old is None else ["state.json"])
        if old is not None:
            with open(path, "rb") as handle:
                assert handle.read() == old


@settings(max_examples=40, deadline=None)
@given(old=st.one_of(st.none(), st.binary(max_size=512)), new=st.one_of(st.binary(max_size=70000), st.text(max_size=3000)),
       mode=st.one_of(st.none(), st.sampled_from([0o600, 0o640, 0o644, 0o755])))
def test_content_mode_and_sha256_round_trip(old, new, mode):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "sub", "file")
        if old is not None:
            os.makedirs(os.path.dirname(path))
            with open(path, "wb") as handle:
                handle.write(old)
            os.chmod(path, 0o640)
        files.atomic_write(path, new, mode=mode)
        data = new.encode("utf-8") if isinstance(new, str) else new
        with open(path, "rb") as handle:
            assert handle.read() == data
        expected_mode = mode if mode is not None else (0o640 if old is not None else 0o644)
        assert stat.S_IMODE(os.stat(path).st_mode) == expected_mode
        assert os.listdir(os.path.dirname(path)) == ["file"]
        digest = hashlib.sha256(data).hexdigest()
        assert files.sha256_bytes(data) == digest
        assert files.sha256_file(path) == digest
        assert files.sha256_file(path, chunk_size=7) == digest


def test_no_directory_is_made_when_not_asked(tmp_path):
    with pytest.raises(FileNotFoundError):
        files.atomic_write(str(tmp_path / "nope" / "x.png"), b"png", make_dirs=False)
    assert os.listdir(str(tmp_path)) == []


def test_sha256_of_a_missing_file_is_none(tmp_path):
    assert files.sha256_file(str(tmp_path / "missing")) is None
    assert files.read_bytes(str(tmp_path / "missing")) is None


def test_the_directory_is_synced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)
    monkeypatch.setattr(files.os, "fsync", fsync)
    files.atomic_write(str(tmp_path / "f"), b"x")
    assert synced == [False, True]


def test_the_duplicates_are_gone():
    """The deploy, panel and Lightsail writers and hash helpers are the common ones (panel only adds PanelError)."""
    import inspect
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state
    from ansible_collections.opsforge.infra.plugins.module_utils._lightsail import chart, key_pair
    from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
    assert state.atomic_write is files.atomic_write
    assert panel_files.sha256_bytes is files.sha256_bytes
    for module in (state, panel_files, key_pair, chart):
        source = inspect.getsource(module)
        assert "mkstemp" not in source and "hashlib.sha256(data)" not in source, module.__name__


def test_panel_writer_fails_with_the_panel_error(tmp_path):
    from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
    from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
    (tmp_path / "file").write_text("x")
    with pytest.raises(PanelError, match="cannot write"):
        panel_files.write_atomic(str(tmp_path / "file" / "below"), b"y")
