# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""tar.gz deploys, host side: resumable chunk store keyed by the package sha256, per-chunk and
whole-file verification, safe extraction, releases with an atomic ``current`` link, install script,
start command, rollback to the previous good release, pruning that never removes current or the
rollback target.

Layout::

    <state_dir>/uploads/<sha256>/chunk-000000 ...   chunks as the controller sent them
    <deploy_dir>/releases/<id>/                    one extracted release each
    <deploy_dir>/current -> releases/<id>          switched atomically (symlink + rename)
    <deploy_dir>/.opsforge-releases.json           release id -> sha256, status good|bad, times
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import queue
import re
import shutil
import sys
import threading

from ansible.module_utils.six.moves import shlex_quote

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import extract
from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.runner import COMMON_OPTIONS, Deployment, StepFailed
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.safety import check_script, run_script, scrub, user_ids
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.transfer import drop_receipt, read_receipt, sha256_known

DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024  # fewer put_file round trips; resume granularity stays small
BUF = 1024 * 1024
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")

TAR_OPTIONS = dict(COMMON_OPTIONS)
TAR_OPTIONS.update(
    src=dict(type="path", required=True),
    deploy_dir=dict(type="path", required=True),
    chunk_size=dict(type="int", default=DEFAULT_CHUNK_SIZE),
    keep_releases=dict(type="int", default=5),
    install_script=dict(type="str", default="install.sh"),
    install_timeout=dict(type="int", default=600),
    start_command=dict(type="str"),
    start_timeout=dict(type="int", default=120),
    env=dict(type="dict", default={}),
    secret_env=dict(type="dict", default={}, no_log=True),
    run_as=dict(type="str"),
    allow_dangerous=dict(type="bool", default=False),
    shared_paths=dict(type="list", elements="str", default=[]),
    package_sha256=dict(type="str"),
    package_size=dict(type="int"),
    chunk_sha256=dict(type="list", elements="str"),
    transfer=dict(type="dict"),
    stage=dict(type="str", default="deploy", choices=["probe", "deploy"]),
)


class _WholeHasher(threading.Thread):
    """sha256 of a stream in a second thread: hashlib releases the GIL, so the chunk hashes and the
    whole-file hash are computed at the same time on two cores."""

    def __init__(self):
        super().__init__()
        self.daemon = True
        self.digest = hashlib.sha256()
        self.blocks = queue.Queue(maxsize=16)

    def run(self):
        while True:
            data = self.blocks.get()
            if data is None:
                return
            self.digest.update(data)

    def hexdigest(self):
        self.blocks.put(None)
        self.join()
        return self.digest.hexdigest()


def file_hashes(path, chunk_size, buf=BUF):
    """``(size, whole sha256, [sha256 of each chunk])`` of ``path``.

    One read feeds both: the chunk hashes here, the whole-file hash in a second thread (hashlib
    releases the GIL, so both run at the same time on two cores). Because both come from the same
    bytes, chunks that match their sha256 on the host make up the package with the whole sha256.
    """
    whole = _WholeHasher()
    whole.start()
    chunks = []
    size = 0
    with open(path, "rb") as handle:
        while True:
            part = hashlib.sha256()
            got = 0
            while got < chunk_size:
                data = handle.read(min(buf, chunk_size - got))
                if not data:
                    break
                part.update(data)
                whole.blocks.put(data)
                got += len(data)
            if got:
                chunks.append(part.hexdigest())
                size += got
            if got < chunk_size:
                break
    return size, whole.hexdigest(), chunks


class ChainReader(io.RawIOBase):
    """The chunk files read as one seekable file (the package is never written out whole)."""

    def __init__(self, paths):
        super().__init__()
        self.parts = []
        offset = 0
        for path in paths:
            length = os.path.getsize(path)
            self.parts.append((offset, length, path))
            offset += length
        self.size = offset
        self.pos = 0
        self._handle = None
        self._index = None

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=0):
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer):
        """Fill ``buffer`` as far as the data goes (across chunk boundaries: no short reads)."""
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view) and self.pos < self.size:
            index = next(i for i, part in enumerate(self.parts) if part[0] <= self.pos < part[0] + part[1])
            start, length, path = self.parts[index]
            if self._index != index:
                if self._handle:
                    self._handle.close()
                self._handle = open(path, "rb")
                self._index = index
            self._handle.seek(self.pos - start)
            data = self._handle.read(min(len(view) - filled, start + length - self.pos))
            if not data:
                break
            view[filled:filled + len(data)] = data
            filled += len(data)
            self.pos += len(data)
        return filled

    def close(self):
        if self._handle:
            self._handle.close()
            self._handle = None
        super().close()


def chunk_name(index):
    return "chunk-%06d" % index


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for data in iter(lambda: handle.read(BUF), b""):
            digest.update(data)
    return digest.hexdigest()


def expected_chunk_size(index, size, chunk_size):
    return min(chunk_size, size - index * chunk_size)


def tail_name(index, offset):
    """Where the rest of a partly received chunk is sent: appended to the chunk before verification."""
    return "%s.from-%d" % (chunk_name(index), offset)


def _tail_files(upload_dir):
    for name in os.listdir(upload_dir):
        index, sep, offset = name.partition(".from-")
        if sep and index.startswith("chunk-") and offset.isdigit():
            yield name, index, int(offset)


def probe_chunks(upload_dir, chunk_hashes, size, chunk_size):
    """Which chunks the host already has intact, and which it has only the start of.

    A chunk cut short by an interrupted transfer is kept and reported in ``prefixes`` with its
    length and sha256, so the controller can check that start against its own file and send
    only the rest. Chunks that are too long or whose content is wrong, and leftover pieces of
    an interrupted tail, are deleted so they are sent again.
    """
    have, missing, corrupt, partial, prefixes = [], [], [], [], {}
    for name, _index, _offset in list(_tail_files(upload_dir)):
        os.unlink(os.path.join(upload_dir, name))
    for index, digest in enumerate(chunk_hashes):
        path = os.path.join(upload_dir, chunk_name(index))
        want = expected_chunk_size(index, size, chunk_size)
        if not os.path.exists(path):
            missing.append(index)
            continue
        actual = os.path.getsize(path)
        if 0 < actual < want:
            partial.append(index)
            missing.append(index)
            drop_receipt(path)
            prefixes[str(index)] = dict(size=actual, sha256=sha256_file(path))
            continue
        if actual != want:
            partial.append(index)
        elif sha256_known(path) != digest:
            corrupt.append(index)
        else:
            have.append(index)
            continue
        os.unlink(path)
        drop_receipt(path)
        missing.append(index)
    have_bytes = sum(expected_chunk_size(i, size, chunk_size) for i in have)
    return dict(have=have, missing=missing, corrupt=corrupt, partial=partial, prefixes=prefixes, have_bytes=have_bytes)


def join_tails(upload_dir):
    """Append each received tail to the chunk it continues (when the chunk still has exactly the
    length the tail starts at); drop tails that do not fit. Verification follows."""
    for name, index, offset in sorted(_tail_files(upload_dir)):
        tail = os.path.join(upload_dir, name)
        path = os.path.join(upload_dir, index)
        if os.path.exists(path) and os.path.getsize(path) == offset:
            with open(tail, "rb") as src, open(path, "ab") as dst:
                shutil.copyfileobj(src, dst, BUF)
        os.unlink(tail)


def verify_chunks(upload_dir, chunk_hashes, sha256):
    """Verify each chunk and the whole package (both hashes in one pass). Return the chunk paths.

    When every chunk has a receipt (the receiver hashed it as it arrived and found the sha256 the
    controller computed, in the same read as the whole sha256), nothing is read again.
    Corrupted chunks are removed (so the next run sends them again); raise DeployError naming them.
    """
    paths = [os.path.join(upload_dir, chunk_name(index)) for index in range(len(chunk_hashes))]
    if chunk_hashes and all(read_receipt(path) == digest for path, digest in zip(paths, chunk_hashes)):
        return paths
    whole = _WholeHasher()
    whole.start()
    bad = []
    paths = []
    for index, digest in enumerate(chunk_hashes):
        path = os.path.join(upload_dir, chunk_name(index))
        paths.append(path)
        part = hashlib.sha256()
        try:
            with open(path, "rb") as handle:
                for data in iter(lambda: handle.read(BUF), b""):  # noqa: B023
                    whole.blocks.put(data)
                    part.update(data)
        except OSError:
            bad.append(index)
            continue
        if part.hexdigest() != digest:
            bad.append(index)
            os.unlink(path)
            drop_receipt(path)
    actual = whole.hexdigest()
    if bad:
        raise DeployError("chunk(s) %s of the package are missing or corrupted on the host (removed; run again to resend them)"
                          % ", ".join(str(i) for i in bad), details=dict(corrupt_chunks=bad))
    if actual != sha256:
        raise DeployError("the package assembled on the host has sha256 %s, expected %s" % (actual, sha256))
    return paths


def assemble(upload_dir, chunk_hashes, sha256, dest):
    """Verify the chunks and write them out as one file ``dest`` (used by tests and tools)."""
    paths = verify_chunks(upload_dir, chunk_hashes, sha256)
    with open(dest + ".part", "wb") as out:
        for path in paths:
            with open(path, "rb") as handle:
                shutil.copyfileobj(handle, out, BUF)
    os.rename(dest + ".part", dest)


def safe_extract(package, dest):
    """Extract ``package`` (a path or a list of chunk paths) into the new directory ``dest`` (see extract.py)."""
    reader = ChainReader(package) if isinstance(package, list) else None
    try:
        return extract.safe_extract(package if reader is None else None, dest, fileobj=reader)
    finally:
        if reader is not None:
            reader.close()


def switch_link(link, target):
    """Point the symlink ``link`` at ``target`` atomically (new symlink + rename)."""
    tmp = "%s.tmp-%d" % (link, os.getpid())
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.rename(tmp, link)


class TarDeployment(Deployment):
    command_type = "tar"

    def __init__(self, params, check_mode=False, store=None):
        super().__init__(params, check_mode, store)
        self.deploy_dir = params["deploy_dir"]
        self.releases_dir = os.path.join(self.deploy_dir, "releases")
        self.current_link = os.path.join(self.deploy_dir, "current")
        self.meta_path = os.path.join(self.deploy_dir, ".opsforge-releases.json")
        self.before = None  # release id current pointed at before this deploy
        self.extracted = False
        self.target = None  # rollback target

    # input and state ----------------------------------------------------------------------
    def target_version(self):
        return self.params.get("version") or (self.params.get("package_sha256") or "")[:12]

    def upload_dir(self):
        return self.store.path("uploads", self.params["package_sha256"])

    def validate(self):
        params = self.params
        if not params.get("package_sha256") or not _SHA_RE.match(params["package_sha256"]):
            raise DeployError("package_sha256 must be 64 lowercase hex digits (the action plugin sets it from src)")
        if not _ID_RE.match(self.target_version()):
            raise DeployError("version %r cannot name a release directory" % self.target_version())
        size, chunk_size, hashes = params.get("package_size"), params.get("chunk_size"), params.get("chunk_sha256") or []
        if not size or not chunk_size or chunk_size < 1024 or len(hashes) != (size + chunk_size - 1) // chunk_size:
            raise DeployError("package_size, chunk_size (>= 1024) and chunk_sha256 do not describe the same package")
        if params.get("keep_releases") is not None and params["keep_releases"] < 1:
            raise DeployError("keep_releases must be at least 1")
        for key in ("start_command",):
            check_script(params.get(key), params.get("allow_dangerous"), key)
        if params.get("run_as"):
            user_ids(params["run_as"])
        extract.check_shared_paths(params.get("shared_paths"))
        self.check_current_conflict()

    def read_meta(self):
        return st.read_json(self.meta_path) or dict(releases={})

    def write_meta(self, meta):
        st.atomic_write(self.meta_path, json.dumps(meta, sort_keys=True, indent=1) + "\n")

    def current_release(self):
        try:
            return os.path.basename(os.readlink(self.current_link))
        except OSError:
            return None

    def up_to_date(self):
        if self.params.get("force"):
            return False
        info = self.read_meta()["releases"].get(self.target_version()) or {}
        return (self.current_release() == self.target_version() and info.get("sha256") == self.params["package_sha256"]
                and info.get("status") == "good")

    def plan(self):
        out = super().plan()
        out.update(release=self.target_version(), current_release=self.current_release(),
                   package_sha256=self.params["package_sha256"])
        return out

    def rollback_version(self):
        meta = self.read_meta()["releases"]
        current = self.current_release()
        if current and current != self.target_version() and meta.get(current, {}).get("status") == "good":
            return current
        good = sorted((r for r, i in meta.items() if i.get("status") == "good" and r != self.target_version()
                       and os.path.isdir(os.path.join(self.releases_dir, r))),
                      key=lambda r: meta[r].get("deployed") or "", reverse=True)
        return good[0] if good else None

    def check_current_conflict(self):
        info = self.read_meta()["releases"].get(self.target_version()) or {}
        if self.current_release() == self.target_version() and info.get("sha256") != self.params["package_sha256"]:
            raise DeployError("release %s is current with another package (sha256 %s, this one %s): give this package a new version"
                              % (self.target_version(), info.get("sha256"), self.params["package_sha256"]))

    def probe(self):
        """Stage 1 (before the transfer): what the host has, whether anything is to do."""
        self.validate()
        self.check_current_conflict()
        up_to_date = self.up_to_date()
        out = dict(changed=False, up_to_date=up_to_date, upload_dir=self.upload_dir(), have=[], missing=[],
                   corrupt=[], partial=[], have_bytes=0, python=sys.executable)  # python: runs the transfer's receiver
        if up_to_date or self.check_mode:
            return out
        lock_owner = st.DeployLock(self.store, self.app, "probe").read_owner()
        if lock_owner and not st.DeployLock(self.store, self.app, "probe").is_stale(lock_owner):
            raise DeployError("another deploy of %s is running on this host: %s by %s (pid %s on %s) since %s"
                              % (self.app, lock_owner.get("deploy_id"), lock_owner.get("user"), lock_owner.get("pid"),
                                 lock_owner.get("host"), lock_owner.get("started")), details=dict(lock_owner=lock_owner))
        os.makedirs(out["upload_dir"], exist_ok=True)
        out.update(probe_chunks(out["upload_dir"], self.params["chunk_sha256"], self.params["package_size"],
                                self.params["chunk_size"]))
        return out

    # stages -------------------------------------------------------------------------------
    def env(self, extra=None, version=None):
        env = dict(self.params.get("env") or {})
        env.update(self.params.get("secret_env") or {})
        env.update(DEPLOY_APP=self.app, DEPLOY_VERSION=version or self.target_version(), DEPLOY_ID=self.tracker.deploy_id,
                   DEPLOY_DIR=self.deploy_dir, DEPLOY_PREVIOUS_VERSION=self.target or "")
        env.update(extra or {})
        return env

    def run_step(self, label, script, timeout, cwd, env):
        result = run_script(script, timeout=timeout, env=env, cwd=cwd, run_as=self.params.get("run_as"))
        secrets = [v for v in (self.params.get("secret_env") or {}).values() if v is not None]
        out, err = scrub(result.stdout, secrets), scrub(result.stderr, secrets)
        self.tracker.log("--- %s stdout ---\n%s--- %s stderr ---\n%s" % (label, out, label, err))
        self.tracker.record["details"].setdefault("steps", []).append(dict(
            step=label, rc=result.rc, timed_out=result.timed_out, duration=round(result.duration, 3)))
        if result.timed_out:
            raise StepFailed("%s timed out after %ss" % (label, timeout), st.TIMEOUT)
        if result.rc != 0:
            tail = " | ".join((err or out).strip().splitlines()[-3:])
            raise StepFailed("%s exited %s: %s" % (label, result.rc, tail))

    def mark(self, release, status):
        meta = self.read_meta()
        info = meta["releases"].setdefault(release, {})
        info.update(status=status, sha256=self.params["package_sha256"], deploy_id=self.tracker.deploy_id,
                    deployed=st.isoformat())
        self.write_meta(meta)

    def execute(self):
        params = self.params
        details = self.tracker.record["details"]
        release = self.target_version()
        self.before = self.current_release()
        self.target = self.rollback_version()
        release_dir = os.path.join(self.releases_dir, release)
        details.update(release=release, release_dir=release_dir, previous_release=self.before, rollback_target=self.target,
                       deploy_dir=self.deploy_dir, start_command=params.get("start_command"),
                       package_sha256=params["package_sha256"], package_size=params["package_size"],
                       transfer=params.get("transfer") or {})
        self.update(st.UPLOADING, 5, "verifying %d chunk(s) of %d bytes" % (len(params["chunk_sha256"]), params["package_size"]))
        upload_dir = self.upload_dir()
        try:
            join_tails(upload_dir)
            package = verify_chunks(upload_dir, params["chunk_sha256"], params["package_sha256"])
        except DeployError as exc:
            raise StepFailed(exc.msg)
        self.update(st.UPLOADING, 30, "package verified (sha256 %s)" % params["package_sha256"])
        self.update(st.EXTRACTING, 30, "extracting into %s" % release_dir)
        os.makedirs(self.releases_dir, exist_ok=True)
        if os.path.exists(release_dir):
            if self.before == release:
                raise StepFailed("release %s is current; deploy another version (or roll back first)" % release)
            shutil.rmtree(release_dir)
        try:
            count = safe_extract(package, release_dir)
        except DeployError as exc:
            shutil.rmtree(upload_dir, ignore_errors=True)
            raise StepFailed(exc.msg)
        self.extracted = True
        details["files"] = count
        try:
            details["shared_paths"] = extract.link_shared_paths(self.deploy_dir, release_dir, params.get("shared_paths"))
        except (DeployError, OSError) as exc:
            raise StepFailed("cannot link shared_paths: %s" % getattr(exc, "msg", exc))
        self.update(st.EXTRACTING, 60, "%d member(s) extracted" % count)
        shutil.rmtree(upload_dir, ignore_errors=True)
        script = params.get("install_script")
        if script and os.path.isfile(os.path.join(release_dir, script)):
            self.update(st.INSTALLING, 60, "running %s" % script)
            check_script(open(os.path.join(release_dir, script)).read(), params.get("allow_dangerous"), script)
            self.run_step(script, "exec /bin/sh ./%s" % shlex_quote(script), params["install_timeout"],
                          release_dir, self.env(dict(DEPLOY_RELEASE_DIR=release_dir)))
        self.update(st.INSTALLING, 80, "switching %s to %s" % (self.current_link, release))
        switch_link(self.current_link, os.path.join("releases", release))
        self.start()
        self.update(st.INSTALLING, 90, "release %s is current" % release)

    def start(self, version=None):
        """Run start_command; ``version`` is the release started (E(DEPLOY_VERSION)), default the one deployed."""
        if self.params.get("start_command"):
            self.run_step("start_command", self.params["start_command"], self.params["start_timeout"], self.deploy_dir,
                          self.env(dict(DEPLOY_FAILED_VERSION=self.target_version()) if version else None, version))

    def can_roll_back(self):
        return self.target is not None

    def rollback(self):
        if self.extracted:
            self.mark(self.target_version(), "bad")
        result = super().rollback()
        self.prune()
        return result

    def do_rollback(self):
        if not self.target:
            raise StepFailed("no previous good release of %s to roll back to" % self.app)
        if self.current_release() == self.target:
            # The deploy failed before current moved: the app never changed, nothing to switch or restart.
            return dict(method="current unchanged", release=self.target)
        switch_link(self.current_link, os.path.join("releases", self.target))
        self.start(self.target)
        return dict(method="switched current", release=self.target)

    def prune(self):
        keep = self.params.get("keep_releases") or 5
        meta = self.read_meta()
        try:
            names = [n for n in os.listdir(self.releases_dir) if not n.startswith(".") and not n.endswith(".extracting")]
        except OSError:
            return []
        protected = set([self.current_release(), self.target])
        names.sort(key=lambda n: (meta["releases"].get(n) or {}).get("deployed") or "", reverse=True)
        removed = []
        for name in names[keep:]:
            if name in protected:
                continue
            shutil.rmtree(os.path.join(self.releases_dir, name), ignore_errors=True)
            meta["releases"].pop(name, None)
            removed.append(name)
        if removed:
            self.write_meta(meta)
        self.tracker.record["details"]["pruned"] = removed
        return removed

    def _run_locked(self):
        try:
            result = super()._run_locked()
        except DeployError:
            if self.extracted:
                self.mark(self.target_version(), "bad")
            raise
        self.mark(self.target_version(), "good")
        self.prune()
        result["deploy"]["details"]["pruned"] = self.tracker.record["details"].get("pruned", [])
        return result
