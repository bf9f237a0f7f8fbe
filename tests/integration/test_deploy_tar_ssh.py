# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_tar's transfer over the connections users have, against the lab's deploy host: over SSH
(inventory host deploy_ssh, sshd on 127.0.0.1:22202; ControlMaster on and off, pipelining on and off,
through the panel host as a jump host), over paramiko_ssh, and over docker exec (deploy_host).

Which transfer ran is what the user sees in ``transfer.method``; speed is in benchmarks/deploy_tar_transfer.py.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import time

import pytest

from lab import ROOT, ansible_env, kill_tree, run_playbook
from lab import deploy_sh as sh

APP = "opsforge-deploy-test-tar-ssh"
DEPLOY_DIR = "/opt/" + APP
STATE_DIR = "/var/lib/opsforge-deploy-test/tar-ssh"
KEY = os.path.join(ROOT, ".lab", "ssh", "id_ed25519")
KNOWN = os.path.join(ROOT, ".lab", "ssh", "known_hosts")
PLAY = """
- name: Deploy with deploy_tar
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: Deploy
      opsforge.infra.deploy_tar: "{{ deploy_args }}"
      register: result
      ignore_errors: "{{ expect_failure | default(false) }}"
"""
# The panel host as a jump host: the deploy host is named by an address that does not resolve here, so
# only the jump (which ignores %h) can reach it.
JUMP = ("-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=%s -o ProxyCommand=\"ssh -i %s -p 22201 "
        "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=accept-new -W 127.0.0.1:22202 root@127.0.0.1\"") % (KNOWN, KEY, KNOWN)


def host_pid():
    return subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", "opsforge-lab-deploy"], capture_output=True,
                          text=True, check=True).stdout.strip()


def tree_size(path):
    total = 0
    for folder, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass  # renamed or removed while we looked
    return total


def package(path, version, size=0, hostile=False):
    """A tar.gz release: index.html naming the version, and ``size`` random bytes (incompressible)."""
    with tarfile.open(str(path), "w:gz", compresslevel=1) as tar:
        files = {"index.html": ("version=%s\n" % version).encode()}
        if size:
            files["blob.bin"] = os.urandom(size)
        if hostile:
            files["../../../../tmp/%s-evil" % APP] = b"pwned"
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return str(path)


@pytest.fixture
def host(lab):
    sh("rm -rf %s %s /tmp/%s-evil" % (DEPLOY_DIR, STATE_DIR, APP), check=False)
    yield
    sh("rm -rf %s %s /tmp/%s-evil" % (DEPLOY_DIR, STATE_DIR, APP), check=False)


def deploy(src, version, target="deploy_ssh", expect_failure=False, extra=None, **args):
    base = dict(app=APP, src=src, version=version, deploy_dir=DEPLOY_DIR, state_dir=STATE_DIR, install_script="",
                chunk_size=1024 * 1024, keep_releases=2)
    base.update(args)
    extra_vars = dict(deploy_args=base, target=target, expect_failure=expect_failure)
    extra_vars.update(extra or {})
    run = run_playbook(PLAY, extra_vars=extra_vars)
    results = run.task_results("Deploy")
    assert results, run.explain()
    if not expect_failure:
        assert run.rc == 0, run.explain()
    return results[0]


def served(version):
    return sh("cat %s/current/index.html" % DEPLOY_DIR, check=False).stdout == "version=%s\n" % version


def test_ssh_streams_without_compression_and_is_idempotent(host, tmp_path):
    src = package(tmp_path / "v1.tgz", "1", size=3 * 1024 * 1024)
    res = deploy(src, "1")
    transfer = res["transfer"]
    assert res["changed"] and res["deploy"]["status"] == "success" and served("1")
    assert transfer["method"] == "ssh_stream" and transfer["fallback"] is None, transfer
    assert transfer["compression"] == "off (gzip package)" and transfer["streams"] >= 2
    assert transfer["bytes_sent"] == os.path.getsize(src) and transfer["chunks_sent"] == 4
    assert transfer["extraction"] == "streamed" and res["deploy"]["details"]["extraction"] == "streamed", transfer
    assert sh("ls -A %s/releases" % DEPLOY_DIR).stdout.split() == ["1"]  # no staging left beside the release
    again = deploy(src, "1")
    assert again["changed"] is False and again["transfer"]["bytes_sent"] == 0


@pytest.mark.parametrize("extra", [
    dict(ansible_ssh_args="-C", ansible_pipelining=False),  # no ControlMaster, modules copied with sftp
    dict(ansible_ssh_args="-C -o ControlMaster=auto -o ControlPersist=30s -o ControlPath=/tmp/%s-cp-%%C" % APP),
    dict(ansible_host="deploy-behind-the-jump.invalid", ansible_port=22202, ansible_ssh_common_args=JUMP),
], ids=["no-controlmaster-no-pipelining", "own-controlmaster", "jump-host"])
def test_ssh_stream_with_the_users_connection_settings(host, tmp_path, extra):
    src = package(tmp_path / "v.tgz", "cfg", size=1024 * 1024)
    res = deploy(src, "cfg", extra=extra)
    assert res["transfer"]["method"] == "ssh_stream" and res["transfer"]["fallback"] is None, res["transfer"]
    assert res["transfer"]["bytes_sent"] == os.path.getsize(src) and served("cfg")


def test_paramiko_and_docker_connections(host, tmp_path):
    src = package(tmp_path / "v.tgz", "p", size=1024 * 1024)
    res = deploy(src, "p", extra=dict(ansible_connection="paramiko_ssh", ansible_paramiko_host_key_checking=False))
    assert res["transfer"]["method"] == "put_file" and "paramiko" in res["transfer"]["fallback"], res["transfer"]
    assert res["transfer"]["bytes_sent"] == os.path.getsize(src) and served("p")
    src = package(tmp_path / "v2.tgz", "d", size=1024 * 1024)
    res = deploy(src, "d", target="deploy_host")
    assert res["transfer"]["method"] == "docker_stream" and res["transfer"]["fallback"] is None, res["transfer"]
    assert served("d")


def test_ssh_hostile_package_is_still_refused(host, tmp_path):
    res = deploy(package(tmp_path / "evil.tgz", "evil", hostile=True), "evil", expect_failure=True)
    assert res["failed"] and "unsafe members, nothing was extracted" in res["msg"], res["msg"]
    assert res["transfer"]["method"] == "ssh_stream"
    assert sh("test -e /tmp/%s-evil" % APP, check=False).returncode != 0
    assert sh("ls %s/releases 2>/dev/null" % DEPLOY_DIR, check=False).stdout.strip() == ""


def test_ssh_stream_killed_half_way_resumes_inside_the_chunks(host, tmp_path):
    src = package(tmp_path / "big.tgz", "big", size=48 * 1024 * 1024)
    size = os.path.getsize(src)
    book = tmp_path / "play.yml"
    book.write_text(PLAY)
    args = dict(app=APP, src=src, version="big", deploy_dir=DEPLOY_DIR, state_dir=STATE_DIR, install_script="",
                chunk_size=16 * 1024 * 1024)
    proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                             os.path.join(ROOT, "lab", "inventory.yml"), str(book), "-e",
                             json.dumps(dict(deploy_args=args, target="deploy_ssh"))],
                            cwd=ROOT, env=ansible_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    have = 0
    deadline = time.time() + 120
    # Watch the upload dir through the container's own root (/proc/PID/root): a `docker exec du` per look takes
    # longer than the whole transfer does at stream speed, so the kill could land after the last byte.
    uploads = "/proc/%s/root%s/uploads" % (host_pid(), STATE_DIR)
    while time.time() < deadline and proc.poll() is None:
        have = tree_size(uploads)
        if have >= size // 2:
            break
        time.sleep(0.002)
    kill_tree(proc.pid)
    proc.wait()
    assert size // 2 <= have < size, have
    res = deploy(src, "big", chunk_size=16 * 1024 * 1024)
    transfer = res["transfer"]
    assert res["changed"] and served("big") and transfer["method"] == "ssh_stream"
    assert transfer["resumed_bytes"] + transfer["bytes_sent"] == size
    assert transfer["resumed_partial_chunks"], transfer  # the streams were cut inside chunks: only their rest went
    assert transfer["bytes_sent"] <= 0.55 * size, transfer
