# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The resumable chunk store of deploy_tar on the host, keyed by the package sha256::

    <state_dir>/uploads/<sha256>/chunk-000000 ...   chunks as the controller sent them
    <state_dir>/uploads/<sha256>/chunk-000003.from-N  the rest of a chunk cut short, appended before verification

Hashing (controller and host), what the host has (probe), tails, per-chunk and whole-package
verification, and one reader of the chunk files as one seekable file (``_PartsReader``) in two kinds: the
verified chunks (``ChainReader``), and the chunks in order as they arrive (``ArrivingChunks``, for extraction
that starts before the last chunk lands).
"""

from __future__ import annotations

import bisect
import hashlib
import io
import os
import queue
import shutil
import threading
import time

from ansible_collections.opsforge.infra.plugins.module_utils._common import files as common_files
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.transfer import drop_receipt, read_receipt

DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024  # fewer round trips; resume granularity stays small
BUF = 1024 * 1024


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


class _PartsReader(io.RawIOBase):
    """Chunk files read in order as one seekable file (the package is never written out whole).

    ``parts`` is ``[(offset, length, path), ...]``; extraction copies a plain tar's members straight from
    them in the kernel. A subclass says when a part may be read (:meth:`_ready`) and whether one read may
    go on into the next part (``fill_across``).
    """

    fill_across = True

    def __init__(self, parts):
        super().__init__()
        self.parts = list(parts)
        self._starts = [start for start, _length, _path in self.parts]
        self.size = sum(length for _start, length, _path in self.parts)
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
        self.pos = max(0, {0: 0, 1: self.pos, 2: self.size}[whence] + offset)
        return self.pos

    def _ready(self, index):
        """Return once part ``index`` may be read (raise OSError when it never will)."""

    def wait_range(self, offset, length):
        """Wait until the parts holding bytes ``offset`` to ``offset + length`` may be read."""
        for index, (start, size, _path) in enumerate(self.parts):
            if start < offset + length and offset < start + size:
                self._ready(index)

    def readinto(self, buffer):
        """Fill ``buffer`` from the parts (across their ends when ``fill_across``, else up to the current one's)."""
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view) and self.pos < self.size:
            index = bisect.bisect_right(self._starts, self.pos) - 1
            start, length, path = self.parts[index]
            self._ready(index)
            if self._index != index:
                self._close_part()
                self._handle, self._index = open(path, "rb"), index
            self._handle.seek(self.pos - start)
            count = self._handle.readinto(view[filled:filled + min(len(view) - filled, start + length - self.pos)])
            if not count:
                raise OSError("chunk %d is shorter than it was when it was verified" % index)
            filled += count
            self.pos += count
            if not self.fill_across:
                break
        return filled

    def _close_part(self):
        if self._handle:
            self._handle.close()
            self._handle, self._index = None, None

    def close(self):
        self._close_part()
        super().close()


class ChainReader(_PartsReader):
    """The verified chunk files of a package, read as one file (the batch extraction)."""

    def __init__(self, paths):
        parts, offset = [], 0
        for path in paths:
            length = os.path.getsize(path)
            parts.append((offset, length, path))
            offset += length
        super().__init__(parts)


def chunk_name(index):
    return "chunk-%06d" % index


def sha256_file(path):
    """``_common.files.sha256_file``, but a missing file is an error here (a chunk that must exist)."""
    digest = common_files.sha256_file(path, BUF)
    if digest is None:
        raise FileNotFoundError(2, "No such file or directory", path)
    return digest


def sha256_known(path):
    """sha256 of ``path``: from its receipt when the receiver hashed it on arrival, else by reading it."""
    return read_receipt(path) or sha256_file(path)


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


class ArrivingChunks(_PartsReader):
    """The chunks of a package read as one seekable file while the transfer still writes them.

    A chunk is read only once it is verified: the receiver's receipt names the sha256 the controller
    sent for it (``incoming``), or, for a chunk the host had before this transfer, its own sha256
    matches. Reading (and :meth:`wait_range`) waits for the chunks it needs; it fails with OSError when
    nothing in the upload dir moved for ``idle`` seconds (the transfer died) or a verified chunk changed.
    A read stops at the end of a chunk, so the extraction never waits for a chunk before it needs it.
    """

    fill_across = False

    def __init__(self, upload_dir, chunk_hashes, incoming, chunk_size, size, idle=60.0, poll=0.01):
        self.dir, self.hashes, self.incoming = upload_dir, list(chunk_hashes), set(incoming)
        self.chunk_size, self.idle, self.poll = chunk_size, idle, poll
        self.verified = set()
        super().__init__((i * chunk_size, expected_chunk_size(i, size, chunk_size), self._path(i))
                         for i in range(len(self.hashes)))

    def _path(self, index):
        return os.path.join(self.dir, chunk_name(index))

    def _verified(self, index):
        path = self._path(index)
        if index in self.incoming:
            return read_receipt(path) == self.hashes[index]
        return os.path.exists(path) and sha256_known(path) == self.hashes[index]

    def _movement(self, index):
        try:
            return os.stat(self._path(index)).st_size, len(os.listdir(self.dir))
        except OSError:
            return None, None

    def _ready(self, index):
        if index in self.verified:
            return
        seen, since = self._movement(index), time.monotonic()
        while not self._verified(index):
            if index not in self.incoming:
                raise OSError("chunk %d is neither on the host intact nor being sent" % index)
            now = self._movement(index)
            if now != seen:
                seen, since = now, time.monotonic()
            elif time.monotonic() - since > self.idle:
                raise OSError("chunk %d did not arrive within %ss of the last movement" % (index, self.idle))
            time.sleep(self.poll)
        self.verified.add(index)

    def check_unchanged(self):
        """Raise OSError when a chunk received and verified during the extraction no longer has its receipt."""
        for index in sorted(self.verified & self.incoming):
            if read_receipt(self._path(index)) != self.hashes[index]:
                raise OSError("chunk %d changed while it was extracted" % index)
