# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deploy_tar action plugin with a fake connection (put_file into a local dir) and a fake module."""

from __future__ import annotations

import os
import threading
from unittest.mock import MagicMock

from ansible_collections.opsforge.infra.plugins.action.deploy_tar import ActionModule
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import (
    chunk_name, join_tails, probe_chunks, tail_name, verify_chunks)

CHUNK = 1024


def action(tmp_path, args, fail_put_after=None, cut_last_put=False):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = False
    task.diff = False
    connection = MagicMock()
    connection.transport = "community.docker.docker"
    puts = []
    cut = []
    attempts = []
    lock = threading.Lock()

    def put_file(local, remote):
        with lock:  # chunks go out four at a time: number the attempts, so exactly the first N succeed
            attempts.append(remote)
            number = len(attempts)
        if fail_put_after is not None and number > fail_put_after:
            if cut_last_put and not cut:  # the connection dropped half way through this file
                cut.append(remote)
                with open(local, "rb") as src, open(remote, "wb") as dst:
                    dst.write(src.read()[:CHUNK // 2 + 7])
            raise OSError("connection lost")
        with open(local, "rb") as src, open(remote, "wb") as dst:
            dst.write(src.read())
        puts.append(remote)

    connection.put_file.side_effect = put_file
    play_context = MagicMock(check_mode=False)
    plugin = ActionModule(task, connection, play_context, loader=MagicMock(), templar=MagicMock(), shared_loader_obj=None)
    upload = tmp_path / "uploads"
    upload.mkdir(exist_ok=True)
    calls = []

    def execute_module(name, module_args=None, task_vars=None, **kw):
        calls.append(dict(module_args))
        if module_args["stage"] == "probe":
            res = probe_chunks(str(upload), module_args["chunk_sha256"], module_args["package_size"], module_args["chunk_size"])
            return dict(res, changed=False, up_to_date=False, upload_dir=str(upload))
        join_tails(str(upload))  # what the module's deploy stage does first
        verify_chunks(str(upload), module_args["chunk_sha256"], module_args["package_sha256"])
        return dict(changed=True, deploy=dict(status="success"))

    plugin._execute_module = execute_module
    plugin._find_needle = lambda folder, name: name
    return plugin, puts, calls, upload


def test_sends_only_missing_chunks_and_reports(tmp_path):
    src = tmp_path / "pkg.tar"
    data = os.urandom(CHUNK * 5 + 10)
    src.write_bytes(data)
    args = dict(app="web", src=str(src), deploy_dir="/opt/web", chunk_size=CHUNK)
    plugin, first, calls, upload = action(tmp_path, dict(args), fail_put_after=3)
    res = plugin.run(task_vars={})
    first = set(os.path.basename(p) for p in first)
    assert res["failed"] and "run again to resume" in res["msg"] and res["transfer"]["bytes_sent"] == len(first) * CHUNK
    assert len(first) == 3
    plugin, puts, calls, upload = action(tmp_path, dict(args))
    res = plugin.run(task_vars={})
    assert not res.get("failed") and res["deploy"]["status"] == "success"
    transfer = res["transfer"]
    assert transfer["resumed_bytes"] == len(first) * CHUNK and transfer["bytes_sent"] == len(data) - len(first) * CHUNK
    assert set(os.path.basename(p) for p in puts) == set(chunk_name(i) for i in range(6)) - first
    assert b"".join((upload / chunk_name(i)).read_bytes() for i in range(6)) == data
    assert [c["stage"] for c in calls] == ["probe", "deploy"] and calls[1]["transfer"] is not None


def test_a_chunk_cut_short_is_resumed_inside_the_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr("ansible_collections.opsforge.infra.plugins.action.deploy_tar.PARALLEL", 1)
    src = tmp_path / "pkg.tar"
    data = os.urandom(CHUNK * 4)
    src.write_bytes(data)
    args = dict(app="web", src=str(src), deploy_dir="/opt/web", chunk_size=CHUNK)
    plugin, first, _calls, upload = action(tmp_path, dict(args), fail_put_after=2, cut_last_put=True)
    assert plugin.run(task_vars={})["failed"]
    assert (upload / chunk_name(2)).stat().st_size == CHUNK // 2 + 7  # chunks 0, 1 whole; 2 cut short
    plugin, puts, _calls, upload = action(tmp_path, dict(args))
    res = plugin.run(task_vars={})
    assert not res.get("failed"), res
    transfer = res["transfer"]
    assert transfer["resumed_partial_chunks"] == [2] and transfer["partial_chunks"] == [2]
    assert transfer["resumed_bytes"] == 2 * CHUNK + CHUNK // 2 + 7
    assert transfer["bytes_sent"] == len(data) - transfer["resumed_bytes"]
    assert sorted(os.path.basename(p) for p in puts) == sorted([chunk_name(3), tail_name(2, CHUNK // 2 + 7)])
    assert b"".join((upload / chunk_name(i)).read_bytes() for i in range(4)) == data


def test_a_chunk_start_that_does_not_match_is_sent_whole(tmp_path):
    src = tmp_path / "pkg.tar"
    data = os.urandom(CHUNK * 2)
    src.write_bytes(data)
    upload = tmp_path / "uploads"
    upload.mkdir()
    (upload / chunk_name(1)).write_bytes(b"x" * 100)  # left by an upload of another file
    plugin, puts, _calls, upload = action(tmp_path, dict(app="web", src=str(src), deploy_dir="/opt/web", chunk_size=CHUNK))
    res = plugin.run(task_vars={})
    assert not res.get("failed"), res
    assert res["transfer"]["resumed_partial_chunks"] == [] and res["transfer"]["bytes_sent"] == len(data)
    assert sorted(os.path.basename(p) for p in puts) == [chunk_name(0), chunk_name(1)]
    assert (upload / chunk_name(1)).read_bytes() == data[CHUNK:]


def test_internal_options_are_refused(tmp_path):
    plugin, _puts, calls, _upload = action(tmp_path, dict(app="web", src="x", deploy_dir="/d", package_sha256="0" * 64))
    res = plugin.run(task_vars={})
    assert res["failed"] and "set by the action plugin" in res["msg"] and calls == []
    plugin, _puts, calls, _upload = action(tmp_path, dict(app="web", deploy_dir="/d"))
    assert "src" in plugin.run(task_vars={})["msg"]
