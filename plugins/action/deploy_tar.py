# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller side of opsforge.infra.deploy_tar: find and hash the package, ask the host which chunks it
already has (keyed by the package sha256), send the rest with progress on -v, then run the module's
deploy stage, showing (and sending to the deploy_events webhook) each of its stages as it happens.

The chunks travel through streams of their own where the connection allows it (``ssh``: the user's
ssh command line without compression for compressed payloads and without their ControlMaster;
``community.docker.docker``: ``docker exec -i``), several at a time, and are hashed on the host as they
arrive (see module_utils/_deploy/transfer.py). Other connections, and streams that cannot start, fall
back to the connection's put_file; ``transfer.method`` and ``transfer.fallback`` say which ran and why."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.module_utils.six.moves import shlex_quote
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import (
    DEFAULT_CHUNK_SIZE, chunk_name, expected_chunk_size, file_hashes, tail_name)
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.transfer import (
    RECEIVER, StreamSender, TransferError, payload_kind, strip_compression)
from ansible_collections.opsforge.infra.plugins.plugin_utils._deploy_action import DeployAction

display = Display()
MODULE = "opsforge.infra.deploy_tar"
# Chunks in flight at once (streams, or put_file round trips whose start-up overlaps the others' data);
# measured with benchmarks/deploy_tar_transfer.py.
PARALLEL = 4
# Streams at once: each costs a core for the cipher at both ends and one for hashing on the host, so more
# streams than cores only add switching (measured with benchmarks/deploy_tar_transfer.py on 2 cores).
STREAMS = max(2, min(4, os.cpu_count() or 2))
SSH = ("ssh", "ansible.builtin.ssh")
DOCKER = ("docker", "community.docker.docker")


class ActionModule(DeployAction):
    TRANSFERS_FILES = True
    MODULE = MODULE
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = ActionBase.run(self, tmp, task_vars)  # not DeployAction.run: the transfer comes first
        del tmp
        args = dict(self._task.args)
        for key in ("package_sha256", "package_size", "chunk_sha256", "transfer", "stage"):
            if key in args:
                return dict(result, failed=True, msg="%s is set by the action plugin, not by the task" % key)
        if not args.get("src"):
            return dict(result, failed=True, msg="src (the package on the controller) is required")
        try:
            src = self._find_needle("files", args["src"])
        except AnsibleFileNotFound as exc:
            return dict(result, failed=True, msg="package not found: %s" % to_native(exc))
        chunk_size = int(args.get("chunk_size") or DEFAULT_CHUNK_SIZE)
        if chunk_size < 1024:
            return dict(result, failed=True, msg="chunk_size must be at least 1024 bytes")
        started = time.time()
        size, sha256, chunks = file_hashes(src, chunk_size)
        hash_seconds = time.time() - started
        display.v("deploy_tar: %s is %d bytes, sha256 %s (%.1f MB/s), %d chunk(s)"
                  % (src, size, sha256, size / 1e6 / max(hash_seconds, 1e-6), len(chunks)))
        args.update(chunk_size=chunk_size, package_sha256=sha256, package_size=size, chunk_sha256=chunks)

        probe = self._execute_module(MODULE, module_args=dict(args, stage="probe"), task_vars=task_vars)
        if probe.get("failed"):
            return dict(result, **probe)
        transfer = dict(src=src, bytes_total=size, chunks_total=len(chunks), chunk_size=chunk_size, bytes_sent=0,
                        chunks_sent=0, resumed_bytes=probe.get("have_bytes", 0), resumed_chunks=len(probe.get("have", [])),
                        corrupt_chunks=probe.get("corrupt", []), partial_chunks=probe.get("partial", []), resumed_partial_chunks=[],
                        hash_seconds=round(hash_seconds, 3), seconds=0.0, mb_per_s=None, method=None, streams=0,
                        compression=None, fallback=None, extraction="after the transfer", staged=None)
        if not probe.get("up_to_date") and not self._task.check_mode:
            try:
                jobs = self._jobs(probe.get("missing", []), size, chunk_size, chunks,
                                  self._usable_prefixes(src, probe.get("prefixes") or {}, chunk_size, transfer))
                self._send(src, probe["upload_dir"], jobs, size, transfer, probe.get("python"),
                           lambda: self._execute_module(MODULE, module_args=dict(args, stage="extract", transfer=dict(
                               incoming=[job[0] for job in jobs])), task_vars=task_vars))
            except (AnsibleError, OSError) as exc:
                return dict(result, failed=True, msg="transfer of %s failed after %d bytes (run again to resume): %s"
                            % (src, transfer["bytes_sent"], to_native(exc)), transfer=transfer)
        args.update(stage="deploy", transfer=transfer)
        final = self._run_followed(args, task_vars)  # each stage shown and sent as it happens
        final.setdefault("transfer", transfer)
        result.update(final)
        return result

    @staticmethod
    def _usable_prefixes(src, prefixes, chunk_size, transfer):
        """``{index: length}`` of the partly received chunks whose start matches ``src``."""
        usable = {}
        with open(src, "rb") as handle:
            for key, prefix in prefixes.items():
                index, length = int(key), int(prefix["size"])
                handle.seek(index * chunk_size)
                digest = hashlib.sha256()
                left = length
                while left:
                    data = handle.read(min(left, 4 * 1024 * 1024))
                    if not data:
                        break
                    digest.update(data)
                    left -= len(data)
                if not left and digest.hexdigest() == prefix["sha256"]:
                    usable[index] = length
        transfer["resumed_bytes"] += sum(usable.values())
        transfer["resumed_partial_chunks"] = sorted(usable)
        return usable

    @staticmethod
    def _jobs(missing, size, chunk_size, hashes, prefixes):
        """``(index, remote name, offset in src, length, sha256 to check on arrival or "-")`` per chunk to send;
        of a chunk whose start the host already has (``prefixes``), only the rest, appended there before
        verification."""
        jobs = []
        for index in missing:
            skip = prefixes.get(index, 0)
            length = expected_chunk_size(index, size, chunk_size) - skip
            name = tail_name(index, skip) if skip else chunk_name(index)
            jobs.append((index, name, index * chunk_size + skip, length, "-" if skip else hashes[index]))
        return jobs

    def _send(self, src, upload_dir, jobs, size, transfer, python=None, extractor=None):
        """Send ``jobs`` through streams where the connection has them, else (or when the streams cannot
        start) through put_file; record which in ``transfer``. Beside the streams, ``extractor()`` (the module's
        extract stage) extracts the chunks on the host as they land (see _streamed_extraction)."""
        if not jobs:
            return
        start = time.time()
        lock = threading.Lock()

        def done(index, length):
            with lock:
                transfer["bytes_sent"] += length
                transfer["chunks_sent"] += 1
                elapsed = time.time() - start
                sent = transfer["bytes_sent"] + transfer["resumed_bytes"]
                transfer["seconds"] = round(elapsed, 3)
                transfer["mb_per_s"] = round(transfer["bytes_sent"] / 1e6 / max(elapsed, 1e-6), 2)
                display.v("deploy_tar: chunk %d/%d (#%d) sent, %.0f%% of %d bytes, %.1f MB/s"
                          % (transfer["chunks_sent"], len(jobs), index, 100.0 * sent / max(size, 1), size, transfer["mb_per_s"]))

        argv, why = self._stream_command(src, upload_dir, python, transfer)
        if argv is not None:
            transfer.update(method=argv[0], streams=min(STREAMS, len(jobs)))
            beside = self._streamed_extraction(jobs, extractor, transfer)
            try:
                StreamSender(argv[1], src, jobs, STREAMS, done).run()
                beside()
                return
            except TransferError as exc:
                if exc.started:
                    raise AnsibleError(str(exc))
                why = "the %s transfer could not start (%s)" % (argv[0], exc)
        transfer.update(method="put_file", streams=0, fallback=why, compression="as configured for the connection")
        display.v("deploy_tar: sending through put_file: %s" % why)
        self._put_chunks(src, upload_dir, jobs, done)

    @staticmethod
    def _streamed_extraction(jobs, extractor, transfer):
        """Start ``extractor`` in a thread; return the function that waits for it and records the outcome.

        Not for a resumed transfer that sends the rest of a chunk cut short: that chunk is only whole once
        the deploy stage joined it (then the deploy stage extracts after the transfer, as put_file does)."""
        if extractor is None or any(job[4] == "-" for job in jobs):
            transfer["extraction"] = "after the transfer (the rest of a chunk cut short is joined first)"
            return lambda: None
        box = {}

        def work():
            try:
                box["result"] = extractor()
            except Exception as exc:  # pylint: disable=broad-except  # reported, then the deploy stage extracts
                box["result"] = dict(reason=to_native(exc))

        thread = threading.Thread(target=work, name="opsforge-deploy-tar-extract", daemon=True)
        thread.start()

        def wait():
            thread.join()
            out = box.get("result") or {}
            if out.get("staged"):
                transfer.update(extraction="streamed", staged=out["staged"])
            else:
                transfer["extraction"] = "after the transfer (%s)" % (out.get("reason") or out.get("msg") or "not streamed")
        return wait

    def _stream_command(self, src, upload_dir, python, transfer):
        """``((method, argv factory), None)`` for a streamed transfer on this connection, or ``(None, why not)``."""
        conn = self._connection
        name = getattr(conn, "_load_name", None) or getattr(conn, "transport", "") or ""
        if not python:
            return None, "the host did not say which python runs the receiver"
        remote = [python, "-c", RECEIVER, upload_dir]
        if name in DOCKER or getattr(conn, "transport", "") == "community.docker.docker":
            conn._set_conn_data()
            transfer["compression"] = "none (docker exec does not compress)"
            argv = [to_bytes(arg, errors="surrogate_or_strict") for arg in conn._build_exec_cmd(
                [to_bytes(arg, errors="surrogate_or_strict") for arg in remote])]
            return ("docker_stream", lambda: argv), None
        if name not in SSH and getattr(conn, "transport", "") != "ssh":
            return None, "the %s connection has no streamed transfer; its put_file sends the chunks" % name
        if conn.get_option("password") or self._play_context.password:
            return None, "password authentication: only the connection itself may hand the password to ssh"
        return self._ssh_command(src, remote, transfer), None

    def _ssh_command(self, src, remote, transfer):
        """The user's own ssh command line (host, port, user, key, ssh_args, common and extra args, jump
        host, known hosts) with a connection of its own per stream, and no compression for payloads that
        are compressed already."""
        conn = self._connection
        compressed, why = payload_kind(src)
        host = conn.get_option("host") or self._play_context.remote_addr
        command = " ".join(shlex_quote(arg) for arg in remote)
        argv = conn._build_command(conn.get_option("ssh_executable"), "ssh", "-T", host, command)
        # ssh keeps the first value given for an option: ours go first. ControlPath=none: a master started
        # with -C would compress this session too, and one connection per stream spreads the ciphers over cores.
        ours = [b"-o", b"ControlMaster=no", b"-o", b"ControlPath=none", b"-o", b"BatchMode=yes"]
        if compressed:
            ours += [b"-o", b"Compression=no"]
            argv = strip_compression(argv)
        argv = argv[:1] + ours + argv[1:]
        transfer["compression"] = "off (%s)" % why if compressed else "as configured for the connection (%s)" % why
        return "ssh_stream", lambda: list(argv)

    def _put_chunks(self, src, upload_dir, jobs, done):
        """Each job through its own put_file, ``PARALLEL`` at a time (paramiko: one at a time)."""

        def send_one(job):
            index, remote, offset, length, _want = job
            fd, local = tempfile.mkstemp(prefix="opsforge-deploy-tar-")
            try:
                with os.fdopen(fd, "wb") as out, open(src, "rb") as handle:
                    handle.seek(offset)
                    left = length
                    while left:
                        data = handle.read(min(left, 4 * 1024 * 1024))
                        if not data:
                            raise AnsibleError("%s changed while it was sent" % src)
                        out.write(data)
                        left -= len(data)
                self._connection.put_file(local, os.path.join(upload_dir, remote))
            finally:
                os.unlink(local)
            done(index, length)

        transport = getattr(self._connection, "transport", "") or ""
        workers = 1 if "paramiko" in transport else PARALLEL  # paramiko channels are not thread-safe
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(send_one, job) for job in jobs]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()  # stop at the first failure; the next run resumes
                raise
