# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""deploy_tar's streamed transfer.

The controller starts a few long-lived streams (one ``ssh`` or ``docker exec -i`` process each, see
the action plugin) that run :data:`RECEIVER` on the host, and feeds them the missing chunks from a
shared queue. Each frame is one header line ``<name> <length> <sha256 or ->`` followed by the bytes;
the receiver writes them straight into ``<upload_dir>/<name>`` (so a stream cut short leaves a chunk
start that the next run resumes from), hashes them as they arrive and, for a whole chunk, compares
the digest with the controller's. A match is recorded in a receipt ``.<chunk>.sha256`` bound to the
chunk file's size, inode and ctime, which spares the deploy stage a second read of the package; a
mismatch removes the chunk. Either way one line ``OK|BAD <name> <sha256>`` goes back.
"""

from __future__ import annotations

import fcntl
import os
import queue
import subprocess
import threading
import zlib

BUF = 1024 * 1024
PIPE_SIZE = 1024 * 1024
F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, Linux only (Python >= 3.10 names it)

# Runs on the host with its own python (argv[1]: the upload dir). Kept short and dependency free.
RECEIVER = r"""
import fcntl, hashlib, os, re, sys
d = sys.argv[1]
ok = re.compile(r"^chunk-[0-9]{6}(\.from-[0-9]+)?$")
try:
    fcntl.fcntl(0, 1031, 1048576)  # F_SETPIPE_SZ: fewer, larger reads from sshd / docker
except (OSError, ValueError):
    pass
buf = memoryview(bytearray(1048576))
while True:
    head = sys.stdin.buffer.readline()
    if not head:
        break
    name, length, want = head.decode().split()
    if not ok.match(name):
        sys.exit("bad chunk name %r" % name)
    path, left, h = os.path.join(d, name), int(length), hashlib.sha256()
    receipt = os.path.join(d, "." + name + ".sha256")
    if os.path.exists(receipt):
        os.unlink(receipt)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    while left:
        got = sys.stdin.buffer.readinto1(buf[:min(left, 1048576)])
        if not got:
            sys.exit("stream ended inside %s" % name)
        view = buf[:got]
        while view:
            view = view[os.write(fd, view):]
        h.update(buf[:got])
        left -= got
    os.close(fd)
    got = h.hexdigest()
    if want != "-" and got != want:
        os.unlink(path)
        verdict = "BAD"
    else:
        verdict = "OK"
        if want != "-":
            st = os.stat(path)
            with open(receipt + ".tmp", "w") as out:
                out.write("%s %d %d %d\n" % (got, st.st_size, st.st_ino, st.st_ctime_ns))
            os.rename(receipt + ".tmp", receipt)
    sys.stdout.write("%s %s %s\n" % (verdict, name, got))
    sys.stdout.flush()
"""

# Magic numbers of formats that are compressed already: SSH compression only costs CPU on them.
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"),
          (b"\x04\x22\x4d\x18", "lz4"), (b"PK\x03\x04", "zip"))


class TransferError(Exception):
    """A stream failed; ``started`` says whether any chunk had been confirmed by the host."""

    def __init__(self, msg, started=True):
        super().__init__(msg)
        self.started = started


def receipt_path(path):
    """Where the receiver keeps the sha256 of the chunk ``path`` (hidden beside it)."""
    head, tail = os.path.split(path)
    return os.path.join(head, "." + tail + ".sha256")


def read_receipt(path):
    """The sha256 the receiver recorded for ``path`` while it arrived, or None when there is none or the
    file changed since (size, inode or ctime differ)."""
    try:
        with open(receipt_path(path)) as handle:
            digest, size, ino, ctime = handle.read().split()
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    if (info.st_size, info.st_ino, info.st_ctime_ns) != (int(size), int(ino), int(ctime)):
        return None
    return digest


def drop_receipt(path):
    try:
        os.unlink(receipt_path(path))
    except OSError:
        pass


def payload_kind(path, samples=4, sample_size=256 * 1024):
    """``(compressed, why)``: whether SSH compression would only cost time on ``path``.

    True for the known compressed formats (by magic number) and for data that zlib cannot shrink
    by 10 % in a few samples (random, encrypted, or compressed members in a plain tar)."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
        for magic, name in _MAGIC:
            if head.startswith(magic):
                return True, "%s package" % name
        raw = packed = 0
        for number in range(samples):
            handle.seek(max(0, (size - sample_size) * number // max(samples - 1, 1)))
            data = handle.read(sample_size)
            raw += len(data)
            packed += len(zlib.compress(data, 1))
    if raw and packed >= 0.9 * raw:
        return True, "incompressible content (zlib keeps %d %% of samples)" % (100 * packed // raw)
    return False, "compressible content (zlib keeps %d %% of samples)" % (100 * packed // max(raw, 1))


def strip_compression(argv):
    """``argv`` of an ssh command without ``-C`` (also inside grouped flags like ``-qC``)."""
    out = []
    for arg in argv:
        text = arg.decode() if isinstance(arg, bytes) else arg
        if text.startswith("-") and not text.startswith("--") and len(text) > 1 and text[1:].isalpha() \
                and "C" in text and all(c in "46AaCfGgKkMNnqsTtVvXxYy" for c in text[1:]):
            text = text.replace("C", "")
            if text == "-":
                continue
            arg = text.encode() if isinstance(arg, bytes) else text
        out.append(arg)
    return out


class StreamSender:
    """Send chunks of ``src`` through ``streams`` processes started by ``argv()``, each running RECEIVER.

    ``jobs`` are ``(index, name, offset, length, expected sha256 or "-")``; ``done(index, length)`` is
    called once the host confirmed a frame. Raises TransferError on the first failure.
    """

    def __init__(self, argv, src, jobs, streams, done):
        self.argv, self.src, self.done = argv, src, done
        self.jobs = queue.Queue()
        for job in jobs:
            self.jobs.put(job)
        self.streams = max(1, min(streams, len(jobs)))
        self.errors = []
        self.confirmed = 0
        self.lock = threading.Lock()

    def run(self):
        threads = [threading.Thread(target=self._stream, daemon=True) for _number in range(self.streams)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.errors:
            raise TransferError(self.errors[0], started=bool(self.confirmed))

    def _fail(self, msg):
        with self.lock:
            self.errors.append(msg)
        while True:  # nobody else should start a chunk
            try:
                self.jobs.get_nowait()
            except queue.Empty:
                return

    def _stream(self):
        try:
            proc = subprocess.Popen(self.argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    bufsize=0)
        except OSError as exc:
            self._fail("cannot start the transfer stream: %s" % exc)
            return
        try:
            fcntl.fcntl(proc.stdin.fileno(), F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass  # a smaller pipe only costs a few more wake-ups
        sent = {}
        reader = threading.Thread(target=self._acks, args=(proc, sent), daemon=True)
        reader.start()
        failure = None
        try:
            with open(self.src, "rb") as handle:
                while not self.errors:
                    try:
                        job = self.jobs.get_nowait()
                    except queue.Empty:
                        break
                    sent[job[1]] = job
                    self._send(proc.stdin.fileno(), handle, job)
        except OSError as exc:
            failure = "stream broken: %s" % exc
        finally:
            proc.stdin.close()
        reader.join()
        stderr = proc.stderr.read().decode(errors="replace").strip()
        proc.wait()
        if failure or proc.returncode or sent:
            self._fail("%s (exit %s): %s" % (failure or "stream ended before the host confirmed every chunk",
                                             proc.returncode, stderr[-2000:] or "no error output"))

    @staticmethod
    def _send(fd, handle, job):
        _index, name, offset, length, want = job
        head = ("%s %d %s\n" % (name, length, want)).encode()
        while head:
            head = head[os.write(fd, head):]
        left = length
        while left:
            try:
                count = os.sendfile(fd, handle.fileno(), offset, min(left, 8 * BUF))
            except OSError:
                handle.seek(offset)
                data = handle.read(min(left, BUF))
                count = os.write(fd, data) if data else 0
            if not count:
                raise OSError("%s ended early (changed while it was sent?)" % handle.name)
            offset += count
            left -= count

    def _acks(self, proc, sent):
        for line in iter(proc.stdout.readline, b""):
            verdict, name, digest = (line.decode(errors="replace").split() + ["", "", ""])[:3]
            job = sent.pop(name, None)
            if job is None:
                continue
            if verdict != "OK":
                self._fail("chunk %d arrived corrupted on the host (sha256 %s, expected %s); it was removed"
                           % (job[0], digest, job[4]))
                continue
            with self.lock:
                self.confirmed += 1
            self.done(job[0], job[3])
