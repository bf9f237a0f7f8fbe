# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deploy_tar action plugin with a fake connection (put_file into a local dir) and a fake module."""

from __future__ import annotations

import gzip
import io
import os
import shlex
import subprocess
import sys
import tarfile
import threading
from unittest.mock import MagicMock

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.opsforge.infra.plugins.action.deploy_tar import STREAMS, ActionModule
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.releases import stream_release
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import (
    chunk_name, join_tails, probe_chunks, tail_name, verify_chunks)
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.transfer import RECEIVER, read_receipt, receipt_path

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
        if module_args["stage"] == "extract":  # what the module's extract stage does beside the streams
            try:
                staged = stream_release(str(tmp_path / "releases"), "r", str(upload), (
                    module_args["chunk_sha256"], module_args["chunk_size"], module_args["package_size"]),
                    module_args["transfer"]["incoming"], idle=2)
            except DeployError as exc:
                return dict(changed=False, staged=None, reason=exc.msg)
            return dict(changed=False, staged=dict(staged, package_sha256=module_args["package_sha256"]))
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


# --- the streamed transfer (#20) -------------------------------------------------------------------------

def make_gzip(path, size):
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(os.urandom(size))
    return str(path)


def real_connection(name, **options):
    """A real connection plugin object with the options a user's inventory would give it."""
    conn = connection_loader.get(name, PlayContext(), None)
    conn.set_options(direct=options)
    return conn


def stream_action(tmp_path, args, stream_argv, monkeypatch=None):
    """The action with streams that run ``stream_argv`` (the real receiver here, without ssh in between)."""
    plugin, puts, calls, upload = action(tmp_path, args)
    real_probe = plugin._execute_module

    def execute_module(name, module_args=None, task_vars=None, **kw):
        res = real_probe(name, module_args=module_args, task_vars=task_vars, **kw)
        if module_args["stage"] == "probe":
            res["python"] = sys.executable
        return res

    plugin._execute_module = execute_module
    plugin._stream_command = lambda src, up, python, transfer: (("ssh_stream", lambda: stream_argv(up, python)), None)
    return plugin, puts, calls, upload


def receiver(up, python, through=None):
    command = "%s -c %s %s" % (shlex.quote(python), shlex.quote(RECEIVER), shlex.quote(up))
    return ["sh", "-c", "%s | %s" % (through, command) if through else command]


def ssh_view(argv):
    """What the real ssh client makes of ``argv`` (``ssh -G``: the effective options, nothing is connected)."""
    argv = [a.decode() if isinstance(a, bytes) else a for a in argv]
    host_at = len(argv) - 2  # the stream's command line ends with: -T HOST REMOTE-COMMAND
    out = subprocess.run([argv[0], "-G"] + argv[1:host_at + 1], capture_output=True, text=True, check=True).stdout
    view = {}
    for line in out.splitlines():
        key, _sep, value = line.partition(" ")
        view.setdefault(key, value)
    return view, argv[host_at + 1]


def test_streams_deliver_every_chunk_hashed_on_arrival(tmp_path):
    src = tmp_path / "pkg.tar"
    data = os.urandom(CHUNK * 9 + 333)
    src.write_bytes(data)
    plugin, puts, calls, upload = stream_action(tmp_path, dict(app="web", src=str(src), deploy_dir="/opt/web", chunk_size=CHUNK),
                                                receiver)
    res = plugin.run(task_vars={})
    assert not res.get("failed"), res
    transfer = res["transfer"]
    assert transfer["method"] == "ssh_stream" and transfer["fallback"] is None and puts == []
    assert transfer["bytes_sent"] == len(data) and transfer["chunks_sent"] == 10 and transfer["streams"] == STREAMS >= 2
    assert b"".join((upload / chunk_name(i)).read_bytes() for i in range(10)) == data
    hashes = calls[0]["chunk_sha256"]
    assert [read_receipt(str(upload / chunk_name(i))) for i in range(10)] == hashes


def test_streams_have_the_host_extract_beside_them(tmp_path):
    src = tmp_path / "pkg.tar"
    with tarfile.open(str(src), "w") as tar:
        for number in range(4):
            info = tarfile.TarInfo("m%d" % number)
            info.size = CHUNK * 2
            tar.addfile(info, io.BytesIO(os.urandom(CHUNK * 2)))
    plugin, _puts, calls, _upload = stream_action(tmp_path, dict(app="web", src=str(src), deploy_dir="/opt/web", chunk_size=CHUNK),
                                                  receiver)
    res = plugin.run(task_vars={})
    assert not res.get("failed"), res
    assert [c["stage"] for c in calls] == ["probe", "extract", "deploy"]
    assert calls[1]["transfer"]["incoming"] == list(range(len(calls[0]["chunk_sha256"])))
    staged = calls[2]["transfer"]["staged"]
    assert res["transfer"]["extraction"] == "streamed" and staged["members"] == 4
    assert os.listdir(str(tmp_path / "releases")) == [".streaming-r-%s" % staged["token"]]


def test_a_stream_that_cannot_start_falls_back_to_put_file(tmp_path):
    src = tmp_path / "pkg.tar"
    data = os.urandom(CHUNK * 3)
    src.write_bytes(data)
    plugin, puts, _calls, upload = stream_action(
        tmp_path, dict(app="web", src=str(src), deploy_dir="/opt/web", chunk_size=CHUNK),
        lambda up, python: ["sh", "-c", "echo 'python3: not found' >&2; exit 127"])
    res = plugin.run(task_vars={})
    assert not res.get("failed"), res
    transfer = res["transfer"]
    assert transfer["method"] == "put_file" and "could not start" in transfer["fallback"]
    assert "python3: not found" in transfer["fallback"] and len(puts) == 3
    assert b"".join((upload / chunk_name(i)).read_bytes() for i in range(3)) == data


def test_a_stream_cut_inside_a_chunk_resumes_there(tmp_path, monkeypatch):
    monkeypatch.setattr("ansible_collections.opsforge.infra.plugins.action.deploy_tar.STREAMS", 1)
    src = tmp_path / "pkg.tar"
    data = os.urandom(CHUNK * 4)
    src.write_bytes(data)
    args = dict(app="web", src=str(src), deploy_dir="/opt/web", chunk_size=CHUNK)
    header = len("chunk-000000 1024 %s\n" % ("0" * 64))
    cut = 2 * (header + CHUNK) + header + CHUNK // 2  # the connection drops half way through chunk 2
    plugin, _puts, _calls, upload = stream_action(tmp_path, dict(args), lambda up, py: receiver(up, py, "head -c %d" % cut))
    res = plugin.run(task_vars={})
    assert res["failed"] and "run again to resume" in res["msg"] and "stream ended inside chunk-000002" in res["msg"], res
    assert res["transfer"]["method"] == "ssh_stream" and res["transfer"]["bytes_sent"] == 2 * CHUNK
    assert (upload / chunk_name(2)).stat().st_size == CHUNK // 2
    plugin, _puts, _calls, upload = stream_action(tmp_path, dict(args), receiver)
    res = plugin.run(task_vars={})
    assert not res.get("failed"), res
    transfer = res["transfer"]
    assert transfer["resumed_partial_chunks"] == [2] and transfer["resumed_bytes"] == 2 * CHUNK + CHUNK // 2
    assert transfer["bytes_sent"] == len(data) - transfer["resumed_bytes"]
    assert b"".join((upload / chunk_name(i)).read_bytes() for i in range(4)) == data
    assert transfer["extraction"].startswith("after the transfer (the rest of a chunk cut short")


FLIP = "import sys; d = sys.stdin.buffer.read(); i = d.index(b'\\n') + 100; sys.stdout.buffer.write(d[:i] + bytes([d[i] ^ 1]) + d[i + 1:])"


def test_a_chunk_damaged_on_the_way_is_refused_and_removed(tmp_path):
    src = tmp_path / "pkg.tar"
    src.write_bytes(os.urandom(CHUNK * 2))
    args = dict(app="web", src=str(src), deploy_dir="/opt/web", chunk_size=CHUNK)
    flip = "%s -c %s" % (shlex.quote(sys.executable), shlex.quote(FLIP))
    plugin, _puts, calls, upload = stream_action(tmp_path, dict(args), lambda up, py: receiver(up, py, flip))
    res = plugin.run(task_vars={})
    assert res["failed"] and "arrived corrupted on the host" in res["msg"], res
    assert [c["stage"] for c in calls if c["stage"] != "extract"] == ["probe"]  # no deploy stage
    damaged = [i for i in range(2) if not (upload / chunk_name(i)).exists()]
    assert len(damaged) >= 1 and not any(os.path.exists(receipt_path(str(upload / chunk_name(i)))) for i in damaged)


def test_a_receipt_is_only_trusted_for_the_file_it_was_written_for(tmp_path):
    src = tmp_path / "pkg.tar"
    data = os.urandom(CHUNK * 2)
    src.write_bytes(data)
    args = dict(app="web", src=str(src), deploy_dir="/opt/web", chunk_size=CHUNK)
    plugin, _puts, calls, upload = stream_action(tmp_path, dict(args), receiver)
    assert not plugin.run(task_vars={}).get("failed")
    path = upload / chunk_name(1)
    with open(path, "r+b") as handle:  # same size, other bytes: the receipt no longer describes the file
        handle.seek(10)
        handle.write(b"XXXX")
    assert read_receipt(str(path)) is None
    with pytest.raises(DeployError, match="chunk.s. 1 of the package"):
        verify_chunks(str(upload), calls[0]["chunk_sha256"], calls[0]["package_sha256"])
    assert probe_chunks(str(upload), calls[0]["chunk_sha256"], len(data), CHUNK)["corrupt"] == []  # removed above


def test_ssh_stream_uses_the_users_settings_without_compression(tmp_path):
    src = make_gzip(tmp_path / "pkg.tar.gz", 200000)
    conn = real_connection(
        "ssh", host="deploy.example", port=22202, remote_user="deployer", private_key_file="/keys/id_ed25519",
        ssh_args="-C -o ControlMaster=auto -o ControlPersist=60s",
        ssh_common_args="-o ProxyCommand='ssh -W %h:%p jump.example' -o UserKnownHostsFile=/keys/known_hosts",
        ssh_extra_args="-o ServerAliveInterval=7")
    plugin, _puts, _calls, _upload = action(tmp_path, dict(app="web", src=src, deploy_dir="/d"))
    plugin._connection, plugin._play_context = conn, PlayContext()
    transfer = {}
    (method, argv), why = plugin._stream_command(src, "/var/lib/up", "/usr/bin/python3", transfer)
    assert method == "ssh_stream" and why is None and transfer["compression"] == "off (gzip package)"
    view, remote = ssh_view(argv())
    assert view["compression"] == "no" and view["controlmaster"] == "false" and "controlpath" not in view
    assert view["hostname"] == "deploy.example" and view["port"] == "22202" and view["user"] == "deployer"
    assert view["identityfile"] == "/keys/id_ed25519" and view["userknownhostsfile"] == "/keys/known_hosts"
    assert view["proxycommand"] == "ssh -W %h:%p jump.example" and view["serveraliveinterval"] == "7"
    assert view["batchmode"] == "yes"
    assert shlex.split(remote)[:2] == ["/usr/bin/python3", "-c"] and shlex.split(remote)[3] == "/var/lib/up"


def test_ssh_stream_keeps_compression_for_compressible_payloads(tmp_path):
    src = tmp_path / "pkg.tar"
    src.write_bytes(b"hello world, the same line again\n" * 40000)
    conn = real_connection("ssh", host="h", ssh_args="-C -o ControlMaster=auto -o ControlPersist=60s")
    plugin, _puts, _calls, _upload = action(tmp_path, dict(app="web", src=str(src), deploy_dir="/d"))
    plugin._connection, plugin._play_context = conn, PlayContext()
    transfer = {}
    (_method, argv), _why = plugin._stream_command(str(src), "/up", "/usr/bin/python3", transfer)
    assert ssh_view(argv())[0]["compression"] == "yes" and transfer["compression"].startswith("as configured")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["-C", "-q", "-qC", "-Cv", "-4", "-o Compression=yes", "-o ControlPath=/tmp/cp-%C",
                                 "-o ControlMaster=yes", "-o ControlPersist=60s", "-T"]), max_size=6))
def test_ssh_stream_never_compresses_a_compressed_package_whatever_the_ssh_args(tmp_path_factory, parts):
    tmp_path = tmp_path_factory.mktemp("args")
    src = make_gzip(tmp_path / "pkg.tgz", 5000)
    conn = real_connection("ssh", host="h", ssh_args=" ".join(parts))
    plugin, _puts, _calls, _upload = action(tmp_path, dict(app="web", src=src, deploy_dir="/d"))
    plugin._connection, plugin._play_context = conn, PlayContext()
    (_method, argv), _why = plugin._stream_command(src, "/up", "/usr/bin/python3", {})
    view = ssh_view(argv())[0]
    assert view["compression"] == "no" and view["controlmaster"] == "false" and "controlpath" not in view
    assert (view["loglevel"] != "INFO") == any(p in ("-q", "-qC", "-Cv") for p in parts)  # other flags of a group stay


def test_method_per_connection_type(tmp_path):
    src = make_gzip(tmp_path / "pkg.tgz", 5000)
    cases = {
        "community.docker.docker": real_connection("community.docker.docker", remote_addr="web1", docker_extra_args=""),
        "paramiko_ssh": real_connection("paramiko_ssh", remote_addr="h"),
        "local": real_connection("local"),
    }
    found = {}
    for name, conn in cases.items():
        plugin, _puts, _calls, _upload = action(tmp_path, dict(app="web", src=src, deploy_dir="/d"))
        plugin._connection, plugin._play_context = conn, PlayContext()
        found[name] = plugin._stream_command(src, "/up", "/usr/bin/python3", {})
    (method, argv), why = found["community.docker.docker"]
    argv = [a.decode() for a in argv()]
    assert method == "docker_stream" and why is None
    assert argv[argv.index("exec"):argv.index("exec") + 5] == ["exec", "-i", "web1", "/usr/bin/python3", "-c"]
    assert argv[-1] == "/up"
    for name in ("paramiko_ssh", "local"):
        assert found[name][0] is None and "has no streamed transfer" in found[name][1]
    conn = real_connection("ssh", host="h", password="secret")
    plugin, _puts, _calls, _upload = action(tmp_path, dict(app="web", src=src, deploy_dir="/d"))
    plugin._connection, plugin._play_context = conn, PlayContext()
    assert "password authentication" in plugin._stream_command(src, "/up", "/usr/bin/python3", {})[1]


def test_put_file_connections_report_the_fallback(tmp_path):
    src = tmp_path / "pkg.tar"
    src.write_bytes(os.urandom(CHUNK * 2))
    plugin, puts, _calls, _upload = action(tmp_path, dict(app="web", src=str(src), deploy_dir="/d", chunk_size=CHUNK))
    plugin._connection.transport = "paramiko"
    plugin._connection._load_name = "paramiko_ssh"
    res = plugin.run(task_vars={})
    assert not res.get("failed") and len(puts) == 2
    assert res["transfer"]["method"] == "put_file" and res["transfer"]["fallback"]
