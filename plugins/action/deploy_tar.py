# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller side of opsforge.infra.deploy_tar: find and hash the package, ask the host which chunks it
already has (keyed by the package sha256), send the rest chunk by chunk with progress on -v, then run
the module's deploy stage."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import (
    DEFAULT_CHUNK_SIZE, chunk_name, expected_chunk_size, file_hashes, tail_name)

display = Display()
MODULE = "opsforge.infra.deploy_tar"
# Chunks in flight at once: each put_file is a round trip (docker exec, sftp) whose start-up overlaps the
# others' data; measured with benchmarks/deploy_tar_transfer.py.
PARALLEL = 4


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
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
                        hash_seconds=round(hash_seconds, 3), seconds=0.0, mb_per_s=None)
        if not probe.get("up_to_date") and not self._task.check_mode:
            try:
                self._send(src, probe["upload_dir"], probe.get("missing", []), size, chunk_size, transfer,
                           self._usable_prefixes(src, probe.get("prefixes") or {}, chunk_size, transfer))
            except (AnsibleError, OSError) as exc:
                return dict(result, failed=True, msg="transfer of %s failed after %d bytes (run again to resume): %s"
                            % (src, transfer["bytes_sent"], to_native(exc)), transfer=transfer)
        args.update(stage="deploy", transfer=transfer)
        final = self._execute_module(MODULE, module_args=args, task_vars=task_vars)
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

    def _send(self, src, upload_dir, missing, size, chunk_size, transfer, prefixes=None):
        """Send the missing chunks, ``PARALLEL`` at a time (each through its own put_file); of a chunk
        whose start the host already has (``prefixes``), only the rest, appended there before verification."""
        prefixes = prefixes or {}
        start = time.time()
        total = len(missing)
        lock = threading.Lock()
        done_count = [0]

        def send_one(index):
            skip = prefixes.get(index, 0)
            length = expected_chunk_size(index, size, chunk_size) - skip
            fd, local = tempfile.mkstemp(prefix="opsforge-deploy-tar-")
            try:
                with os.fdopen(fd, "wb") as out, open(src, "rb") as handle:
                    handle.seek(index * chunk_size + skip)
                    left = length
                    while left:
                        data = handle.read(min(left, 4 * 1024 * 1024))
                        if not data:
                            raise AnsibleError("%s changed while it was sent" % src)
                        out.write(data)
                        left -= len(data)
                remote = tail_name(index, skip) if skip else chunk_name(index)
                self._connection.put_file(local, os.path.join(upload_dir, remote))
            finally:
                os.unlink(local)
            with lock:
                transfer["bytes_sent"] += length
                transfer["chunks_sent"] += 1
                done_count[0] += 1
                elapsed = time.time() - start
                done = transfer["bytes_sent"] + transfer["resumed_bytes"]
                transfer["seconds"] = round(elapsed, 3)
                transfer["mb_per_s"] = round(transfer["bytes_sent"] / 1e6 / max(elapsed, 1e-6), 2)
                display.v("deploy_tar: chunk %d/%d (#%d) sent, %.0f%% of %d bytes, %.1f MB/s"
                          % (done_count[0], total, index, 100.0 * done / max(size, 1), size, transfer["mb_per_s"]))

        transport = getattr(self._connection, "transport", "") or ""
        workers = 1 if "paramiko" in transport else PARALLEL  # paramiko channels are not thread-safe
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(send_one, index) for index in missing]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()  # stop at the first failure; the next run resumes
                raise
