# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Extraction while the chunks arrive (#20): the streaming extractor judges exactly as the batch one, and the
first members of a package exist on the host before its last chunk was sent."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import releases as rel
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import chunk_name, file_hashes
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.extract import safe_extract, stream_extract
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.transfer import RECEIVER

CHUNK = 4096


def add(tar, kind, name, target=None, data=b"x", mode=0o644):
    info = tarfile.TarInfo(name)
    info.mode = mode
    if kind == "file":
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        return
    info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE,
                 "chr": tarfile.CHRTYPE}[kind]
    info.linkname = target or ""
    tar.addfile(info)


def make_pkg(path, entries, compression=""):
    with tarfile.open(str(path), "w:" + compression) as tar:
        for kind, name, target, data, mode in entries:
            add(tar, kind, name, target, data, mode)
    return str(path)


def tree(root):
    """What a user sees of an extracted tree: every entry's type, mode, link text, bytes, and which share an inode."""
    out, inodes = {}, {}
    for base, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = os.path.join(base, name)
            rel_path = os.path.relpath(path, root)
            info = os.lstat(path)
            if os.path.islink(path):
                out[rel_path] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel_path] = ("dir", info.st_mode & 0o7777)
            else:
                group = inodes.setdefault(info.st_ino, rel_path)
                out[rel_path] = ("file", info.st_mode & 0o7777, open(path, "rb").read(), group)
    return out


def outcome(extract, work, pkg, label):
    dest = work / label / "release"
    dest.parent.mkdir()
    try:
        if extract == "batch":
            safe_extract(pkg, str(dest))
        else:
            with open(pkg, "rb") as handle:
                stream_extract(handle, str(dest))
    except DeployError:
        assert os.listdir(str(dest.parent)) == [], "refused, yet %s left something behind" % extract
        return "refused"
    return tree(str(dest))


# ---- property: the streaming extractor refuses exactly what the batch one refuses --------------------
NAMES = hs.sampled_from(["a", "b", "c", "d/a", "d/b", "a/x", "b/y", "d/e/f", "./c", "/abs", "../up", "d/../../up"])
TARGETS = hs.sampled_from([".", "..", "a", "b", "d", "d/a", "../outside", "/etc/passwd", "a/../..", "c/../a", "d/e/../.."])
ENTRY = hs.tuples(hs.sampled_from(["file", "file", "dir", "sym", "hard", "fifo", "chr"]), NAMES, TARGETS,
                  hs.binary(max_size=3 * CHUNK // 2), hs.sampled_from([0o644, 0o755, 0o4755, 0o2750, 0o600]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=hs.lists(ENTRY, min_size=1, max_size=8), compression=hs.sampled_from(["", "gz"]))
def test_property_stream_refuses_what_batch_refuses_and_extracts_the_same_tree(tmp_path, entries, compression):
    work = tmp_path / "w"
    shutil.rmtree(str(work), ignore_errors=True)
    work.mkdir()
    (work / "outside").mkdir()
    (work / "outside" / "secret").write_text("secret")
    pkg = make_pkg(work / "p.tar", entries, compression)
    batch = outcome("batch", work, pkg, "batch")
    stream = outcome("stream", work, pkg, "stream")
    assert stream == batch
    assert (work / "outside" / "secret").read_text() == "secret" and os.listdir(str(work / "outside")) == ["secret"]


@pytest.mark.parametrize("entries,needle", [
    ([("file", "ok", None, b"1", 0o644), ("file", "../evil", None, b"x", 0o644)], "'..' in the path"),
    ([("file", "ok", None, b"1", 0o644), ("sym", "l", "/etc", b"", 0o777)], "escapes the release"),
    ([("file", "ok", None, b"1", 0o644), ("chr", "null", None, b"", 0o644)], "device or fifo"),
    ([("dir", "d", None, b"", 0o755), ("file", "d/ok", None, b"1", 0o644), ("sym", "d", ".", b"", 0o777)],
     "replaces a directory"),
])
def test_a_hostile_member_mid_stream_removes_everything_extracted(tmp_path, entries, needle):
    pkg = make_pkg(tmp_path / "p.tgz", entries, "gz")
    seen = []
    with open(pkg, "rb") as handle, pytest.raises(DeployError, match="unsafe members, nothing was extracted") as err:
        stream_extract(handle, str(tmp_path / "staging"), on_member=lambda count, member: seen.append(member.name))
    assert needle in err.value.msg and seen  # the members before it had been extracted...
    assert sorted(os.listdir(str(tmp_path))) == ["p.tgz"]  # ...and are gone with the staging directory


def test_setuid_bits_are_dropped_as_in_batch(tmp_path):
    pkg = make_pkg(tmp_path / "p.tar", [("file", "bin", None, b"#!/bin/sh\n", 0o6755)])
    with open(pkg, "rb") as handle:
        stream_extract(handle, str(tmp_path / "s"))
    assert os.stat(str(tmp_path / "s" / "bin")).st_mode & 0o7777 == 0o755


# ---- overlap: members exist on the host while the last chunk has not been sent -----------------------
class Receiver:
    """The transfer's real receiver process writing into ``upload_dir``; frames sent one by one."""

    def __init__(self, upload_dir):
        self.proc = subprocess.Popen([sys.executable, "-c", RECEIVER, upload_dir], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)

    def send(self, index, data):
        self.proc.stdin.write(b"%s %d %s\n" % (chunk_name(index).encode(), len(data), hashlib.sha256(data).hexdigest().encode()))
        self.proc.stdin.write(data)
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().split()[0] == b"OK"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def wait_for(predicate, timeout=60.0):  # generous: a loaded CI machine, not a speed check
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("compression", ["", "gz"])
def test_first_members_exist_in_the_staging_release_before_the_last_chunk_is_sent(tmp_path, compression):
    files = [("file", "m%d.bin" % i, None, os.urandom(CHUNK), 0o644) for i in range(6)]
    pkg = make_pkg(tmp_path / "p.tar", files, compression)
    size, _sha, hashes = file_hashes(pkg, CHUNK)
    data = open(pkg, "rb").read()
    upload, releases = tmp_path / "up", tmp_path / "app" / "releases"
    upload.mkdir()
    box = {}
    worker = threading.Thread(target=lambda: box.update(rel.stream_release(
        str(releases), "1", str(upload), (hashes, CHUNK, size), range(len(hashes)), idle=120)), daemon=True)
    worker.start()
    receiver = Receiver(str(upload))
    # Everything but the last two chunks; the sender pauses here. (A plain tar's last chunk may hold only the
    # end-of-archive blocks, which the extractor does not need: the one before it still holds member data.)
    held = len(hashes) - 2
    for index in range(held):
        receiver.send(index, data[index * CHUNK:(index + 1) * CHUNK])

    def staged_first_member():
        found = [name for name in os.listdir(str(releases)) if name.startswith(".streaming-1-")] if releases.exists() else []
        return found and os.path.exists(os.path.join(str(releases), found[0], "m0.bin"))

    assert wait_for(staged_first_member), "nothing extracted while the last chunk was still on the controller"
    assert worker.is_alive()  # still waiting for the held chunks
    for index in range(held, len(hashes)):
        receiver.send(index, data[index * CHUNK:(index + 1) * CHUNK])
    receiver.close()
    worker.join(120)
    assert not worker.is_alive() and "members" in box, box
    staging = rel.adopt_staging(str(releases), "1", dict(box, package_sha256="f" * 64), "f" * 64)
    assert box["members"] == 6 and staging and tree(staging) == {
        name: ("file", 0o644, body, name) for _kind, name, _t, body, _m in files}


def test_a_transfer_that_stops_leaves_no_staging(tmp_path):
    pkg = make_pkg(tmp_path / "p.tar", [("file", "m%d" % i, None, os.urandom(CHUNK), 0o644) for i in range(3)])
    size, _sha, hashes = file_hashes(pkg, CHUNK)
    upload, releases = tmp_path / "up", tmp_path / "releases"
    upload.mkdir()
    receiver = Receiver(str(upload))
    receiver.send(0, open(pkg, "rb").read()[:CHUNK])
    receiver.close()  # the controller died: the other chunks never come
    with pytest.raises(DeployError, match="chunk 1 did not arrive"):
        rel.stream_release(str(releases), "1", str(upload), (hashes, CHUNK, size), range(len(hashes)), idle=0.3)
    assert os.listdir(str(releases)) == []


# ---- the module: extract stage beside the transfer, deploy stage names the staging after verification ---
def tar_params(tmp_path, pkg, version="1"):
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import TAR_OPTIONS

    size, sha, hashes = file_hashes(pkg, CHUNK)
    params = dict((key, spec.get("default")) for key, spec in TAR_OPTIONS.items())
    params.update(app="web", version=version, deploy_dir=str(tmp_path / "app"), state_dir=str(tmp_path / "state"),
                  chunk_size=CHUNK, package_sha256=sha, package_size=size, chunk_sha256=hashes, src=pkg, install_script="")
    return params


def streamed(tmp_path, pkg):
    """probe, every chunk through the real receiver, the extract stage; the deploy stage's params."""
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import TarDeployment

    params = tar_params(tmp_path, pkg)
    upload = TarDeployment(dict(params)).probe()["upload_dir"]
    receiver, data = Receiver(upload), open(pkg, "rb").read()
    for index in range(len(params["chunk_sha256"])):
        receiver.send(index, data[index * CHUNK:(index + 1) * CHUNK])
    receiver.close()
    out = TarDeployment(dict(params, stage="extract", transfer=dict(incoming=list(range(len(params["chunk_sha256"])))))).stream()
    return dict(params, transfer=dict(extraction="streamed" if out["staged"] else out["reason"], staged=out["staged"])), out


def releases_listing(tmp_path):
    path = tmp_path / "app" / "releases"
    return sorted(os.listdir(str(path))) if path.exists() else []


def test_the_deploy_stage_names_the_streamed_release_after_verifying_the_package(tmp_path):
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import TarDeployment

    pkg = make_pkg(tmp_path / "p.tgz", [("file", "m%d" % i, None, os.urandom(CHUNK), 0o644) for i in range(3)], "gz")
    params, out = streamed(tmp_path, pkg)
    assert out["staged"]["members"] == 3 and releases_listing(tmp_path) == [".streaming-1-%s" % out["staged"]["token"]]
    res = TarDeployment(params).run()
    assert res["deploy"]["details"]["extraction"] == "streamed" and res["deploy"]["details"]["files"] == 3
    assert releases_listing(tmp_path) == ["1"] and os.readlink(str(tmp_path / "app" / "current")) == "releases/1"


def test_a_chunk_changed_after_the_streamed_extraction_never_goes_live(tmp_path):
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import TarDeployment

    pkg = make_pkg(tmp_path / "p.tar", [("file", "m%d" % i, None, os.urandom(CHUNK), 0o644) for i in range(3)])
    params, out = streamed(tmp_path, pkg)
    assert out["staged"]
    chunk = os.path.join(TarDeployment(dict(params)).upload_dir(), chunk_name(1))
    with open(chunk, "r+b") as handle:  # the package on the host is no longer the one the controller sent
        handle.write(b"XXXX")
    with pytest.raises(DeployError, match=r"chunk\(s\) 1 of the package are missing or corrupted"):
        TarDeployment(params).run()
    assert releases_listing(tmp_path) == [] and not os.path.lexists(str(tmp_path / "app" / "current"))


def test_a_hostile_package_streamed_is_refused_as_before_with_nothing_left(tmp_path):
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import TarDeployment

    entries = [("file", "m%d" % i, None, os.urandom(CHUNK), 0o644) for i in range(2)]
    entries += [("file", "../evil", None, b"x", 0o644), ("sym", "l", "/etc", b"", 0o777)]
    pkg = make_pkg(tmp_path / "p.tgz", entries, "gz")
    params, out = streamed(tmp_path, pkg)
    assert out["staged"] is None and "unsafe members" in out["reason"] and releases_listing(tmp_path) == []
    with pytest.raises(DeployError, match="unsafe members, nothing was extracted") as err:
        TarDeployment(params).run()
    assert "'..' in the path" in err.value.msg and "escapes the release" in err.value.msg  # every one named, as before
    assert releases_listing(tmp_path) == [] and not os.path.lexists(str(tmp_path / "app" / "current"))
    assert not (tmp_path / "app" / "evil").exists() and not (tmp_path / "evil").exists()
