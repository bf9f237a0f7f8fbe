# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_tar against the lab's systemd host deploy_host (community.docker.docker connection).

The app is a systemd unit on deploy_host serving <deploy_dir>/current with python3 -m http.server on
127.0.0.1:18601; packages are built here with tarfile, including hostile ones.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time

import pytest

from ansible_collections.opsforge.infra.plugins.action.deploy_tar import STREAMS
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.transfer import RECEIVER
from lab import ROOT, ansible_env, http_get, kill_tree, run_playbook
from lab import deploy_sh as sh

APP = "opsforge-deploy-test-tar"
PORT = 18601
DEPLOY_DIR = "/opt/" + APP
STATE_DIR = "/var/lib/opsforge-deploy-test/tar"
UNIT = """[Unit]
Description=opsforge deploy_tar test app
[Service]
ExecStart=/usr/bin/python3 -m http.server %d --bind 127.0.0.1 --directory %s/current
""" % (PORT, DEPLOY_DIR)

PLAY = """
- name: Deploy with deploy_tar
  hosts: deploy_host
  gather_facts: false
  tasks:
    - name: Deploy
      opsforge.infra.deploy_tar: "{{ deploy_args }}"
      register: result
      ignore_errors: "{{ expect_failure | default(false) }}"
"""


def get(path="/"):
    return http_get("http://127.0.0.1:%d%s" % (PORT, path))


def make_tar(path, files, links=(), extra=None):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            data = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
        for info in extra or ():
            tar.addfile(info)
    return str(path)


def release(tmp_path, version, health=True, install=None, big=0):
    files = {"index.html": "version=%s\n" % version}
    if health:
        files["health.txt"] = "ok\n"
    if install:
        files["install.sh"] = install
    if big:
        files["blob.bin"] = os.urandom(big)
    return make_tar(tmp_path / ("r%s.tar.gz" % version), files)


@pytest.fixture
def host(lab):
    sh("systemctl stop %s 2>/dev/null; rm -rf %s %s /tmp/%s-evil; mkdir -p %s" % (APP, DEPLOY_DIR, STATE_DIR, APP, DEPLOY_DIR), check=False)
    sh("cat > /etc/systemd/system/%s.service <<'EOF'\n%sEOF\nsystemctl daemon-reload" % (APP, UNIT))
    yield
    sh("systemctl stop %s; rm -f /etc/systemd/system/%s.service; systemctl daemon-reload; rm -rf %s %s"
       % (APP, APP, DEPLOY_DIR, STATE_DIR), check=False)


def deploy(src, version, check=False, expect_failure=False, **args):
    base = dict(app=APP, src=src, version=version, deploy_dir=DEPLOY_DIR, state_dir=STATE_DIR,
                start_command="systemctl restart %s" % APP, chunk_size=256 * 1024,
                health_checks=[dict(port=PORT, path="/health.txt", body_regex="^ok", retries=5, delay=0.5, timeout=10)])
    base.update(args)
    run = run_playbook(PLAY, extra_vars=dict(deploy_args=base, expect_failure=expect_failure), check=check, diff=True)
    results = run.task_results("Deploy")
    assert results, run.explain()
    if not expect_failure:
        assert run.rc == 0, run.explain()
    return results[0]


def meta():
    return json.loads(sh("cat %s/.opsforge-releases.json" % DEPLOY_DIR).stdout)["releases"]


def releases():
    return sorted(sh("ls %s/releases" % DEPLOY_DIR).stdout.split())


def test_tar_v1_v2_failures_roll_back(host, tmp_path):
    v1 = release(tmp_path, "1")
    res = deploy(v1, "1", check=True)
    assert res["changed"] and res["diff"]["after"]["version"] == "1"
    assert sh("ls %s" % DEPLOY_DIR).stdout == "" and res["transfer"]["bytes_sent"] == 0

    res = deploy(v1, "1")
    assert res["changed"] and res["deploy"]["status"] == "success" and get() == "version=1"
    stages = [h["status"] for h in res["deploy"]["history"]]
    assert stages == ["pending", "executing", "uploading", "uploading", "extracting", "extracting", "installing",
                      "installing", "health_check", "success"], stages
    progress = [h["progress"] for h in res["deploy"]["history"]]
    assert progress == sorted(progress) and progress[-1] == 100
    assert res["transfer"]["bytes_sent"] == os.path.getsize(v1)
    again = deploy(v1, "1")
    assert again["changed"] is False and again["transfer"]["bytes_sent"] == 0
    assert deploy(v1, "1", check=True)["changed"] is False

    v2 = release(tmp_path, "2", install="echo installed $DEPLOY_VERSION > installed.txt\n")
    res = deploy(v2, "2")
    assert get() == "version=2" and get("/installed.txt") == "installed 2"
    assert sh("readlink %s/current" % DEPLOY_DIR).stdout.strip() == "releases/2"

    failures = [
        ("3a", dict(src=release(tmp_path, "3a", install="echo broken >&2; exit 4\n")), "failed", "install.sh exited 4"),
        ("3b", dict(src=release(tmp_path, "3b", install="sleep 30\n"), install_timeout=2), "timeout", "timed out after 2s"),
        ("3c", dict(src=release(tmp_path, "3c", health=False)), "failed", "HTTP 404"),
    ]
    for version, args, status, needle in failures:
        res = deploy(args.pop("src"), version, expect_failure=True, **args)
        assert res["failed"] and needle in res["msg"], res["msg"]
        record = res["deploy"]
        assert record["status"] == status and record["rollback"]["status"] == "rolled_back"
        assert record["rollback"]["target_version"] == "2" and record["effective_version"] == "2"
        assert record["rollback"]["health"][0]["success"]
        assert [h["status"] for h in record["history"]][-4:] == ["rolling_back", "health_check", "rolled_back", status]
        assert get() == "version=2"
        assert meta()[version]["status"] == "bad"
    assert meta()["2"]["status"] == "good"

    # keep_releases=1 never prunes current (4) or the rollback target (2); bad releases go.
    res = deploy(release(tmp_path, "4"), "4", keep_releases=1)
    assert get() == "version=4" and releases() == ["2", "4"]
    assert res["deploy"]["details"]["pruned"]

    # Manual rollback of 4: back to the previous good release (2), its recorded start command runs.
    run = run_playbook(ROLLBACK, extra_vars=dict(app=APP, state_dir=STATE_DIR))
    rb = run.task_results("Rollback")[0]
    assert rb["changed"] and rb["deploy"]["version"] == "2" and rb["deploy"]["previous_version"] == "4", rb
    assert rb["deploy"]["details"]["kind"] == "tar" and rb["deploy"]["health"][0]["success"]
    assert get() == "version=2" and sh("readlink %s/current" % DEPLOY_DIR).stdout.strip() == "releases/2"
    assert meta()["4"]["status"] == "bad"
    # Rolling the same deploy back again changes nothing.
    again = run_playbook(ROLLBACK, extra_vars=dict(app=APP, state_dir=STATE_DIR, deploy_id=rb["deploy"]["details"]["rollback_of"]))
    assert again.task_results("Rollback")[0]["changed"] is False


ROLLBACK = """
- name: Roll back
  hosts: deploy_host
  gather_facts: false
  tasks:
    - name: Rollback
      opsforge.infra.deploy_rollback:
        app: "{{ app }}"
        state_dir: "{{ state_dir }}"
        deploy_id: "{{ deploy_id | default(omit) }}"
        health_checks:
          - port: %d
            path: /health.txt
            retries: 5
            delay: 0.5
""" % PORT


def test_tar_unsafe_packages_refused_nothing_extracted(host, tmp_path):
    evil = "/tmp/%s-evil" % APP
    dev = tarfile.TarInfo("dev-null")
    dev.type = tarfile.CHRTYPE
    dev.devmajor, dev.devminor = 1, 3
    cases = {
        "dotdot": make_tar(tmp_path / "a.tgz", {"index.html": "x", "../../../../tmp/%s-evil" % APP: "pwned"}),
        "absolute": make_tar(tmp_path / "b.tgz", {"index.html": "x", evil: "pwned"}),
        "link": make_tar(tmp_path / "c.tgz", {"index.html": "x"}, links=[("escape", "../../../../etc")]),
        "abslink": make_tar(tmp_path / "d.tgz", {"index.html": "x"}, links=[("escape", "/etc/passwd")]),
        "device": make_tar(tmp_path / "e.tgz", {"index.html": "x"}, extra=[dev]),
    }
    for name, src in cases.items():
        res = deploy(src, "evil-" + name, expect_failure=True)
        assert res["failed"] and "unsafe members, nothing was extracted" in res["msg"], res["msg"]
        assert sh("ls %s/releases 2>/dev/null" % DEPLOY_DIR, check=False).stdout.strip() == ""
        assert sh("test -e %s" % evil, check=False).returncode != 0


CHUNK = 256 * 1024
HOLD = 24  # chunks the host receives whole before the transfer is held
# What a receiver writes after a whole chunk: the receipt of chunk i, as a temporary file first.
RECEIPT_TMP = ".chunk-%06d.sha256.tmp"
# Runs inside the host: what is there of a transfer into the upload dir argv[1], as JSON: ``chunks``, the size of
# each ``chunk-*`` file by index; ``receivers``, the pids of ``python -c RECEIVER <upload dir>`` (RECEIVER on
# stdin); ``readers``, the index of the chunk each other process holds open (the extract stage). With argv[2]
# ``kill``, SIGKILLs those processes by their pids first (docker exec leaves them running when the controller
# dies) and waits until they are gone.
UPLOAD_STATE = r"""
import json, os, re, signal, sys, time
receiver, upload_dir = sys.stdin.read(), sys.argv[1]
chunk = re.compile(re.escape(upload_dir) + r"/chunk-([0-9]{6})$")


def open_chunks(pid):
    try:
        links = [os.readlink("/proc/%s/fd/%s" % (pid, fd)) for fd in os.listdir("/proc/%s/fd" % pid)]
    except OSError:
        return []
    return [int(m.group(1)) for m in map(chunk.match, links) if m]


def alive(pid):
    try:
        return open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


out = dict(chunks={}, receivers=[], readers={})
for name in os.listdir(upload_dir) if os.path.isdir(upload_dir) else []:
    if name.startswith("chunk-") and name[6:].isdigit():
        out["chunks"][int(name[6:])] = os.path.getsize(os.path.join(upload_dir, name))
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        argv = open("/proc/%s/cmdline" % pid, "rb").read().decode().split("\0")[:-1]
    except OSError:
        continue
    if len(argv) == 4 and argv[1:] == ["-c", receiver, upload_dir]:
        out["receivers"].append(pid)
    elif pid != str(os.getpid()) and open_chunks(pid):
        out["readers"][pid] = max(open_chunks(pid))
if sys.argv[2:] == ["kill"]:
    doomed = out["receivers"] + list(out["readers"])
    for pid in doomed:
        os.kill(int(pid), signal.SIGKILL)
    deadline = time.time() + 30
    while time.time() < deadline and any(alive(pid) for pid in doomed):
        time.sleep(0.05)
print(json.dumps(out))
"""


def upload_state(upload_dir, kill=False):
    """The transfer into ``upload_dir`` as the host sees it (see UPLOAD_STATE): chunk sizes by index, receivers,
    readers. ``kill``: end the receivers and readers first."""
    argv = ["docker", "exec", "-i", "opsforge-lab-deploy", "python3", "-c", UPLOAD_STATE, upload_dir] + (["kill"] if kill else [])
    out = json.loads(subprocess.run(argv, input=RECEIVER, capture_output=True, text=True, check=True).stdout)
    out["chunks"] = dict((int(index), size) for index, size in out["chunks"].items())
    return out


def start_interrupted(tmp_path, src, version):
    """Run a deploy in the background, hold it at a known point mid-transfer, kill it there, and return
    ``(upload dir, {index: size} of the chunks the host kept)``.

    The hold does not depend on timing. Before the deploy, the receipt a receiver writes after each whole chunk
    is made a FIFO for every chunk from HOLD on: each stream's receiver blocks in its open() after the first such
    chunk it wrote (the chunks queued behind it in its stream never reach the disk), and the extract stage,
    which reads a chunk only once its receipt is there, waits with chunk HOLD - 1 open. So the host ends with
    chunks 0 to HOLD - 1 and one more per stream, whole, and the kill comes there."""
    with open(src, "rb") as handle:
        sha256 = hashlib.sha256(handle.read()).hexdigest()
    total = -(-os.path.getsize(src) // CHUNK)
    streams = min(STREAMS, total)
    upload_dir = "%s/uploads/%s" % (STATE_DIR, sha256)
    sh("mkdir -p %s && cd %s && mkfifo %s" % (upload_dir, upload_dir, " ".join(RECEIPT_TMP % i for i in range(HOLD, total))))
    book = tmp_path / "play.yml"
    book.write_text(PLAY)
    args = dict(app=APP, src=src, version=version, deploy_dir=DEPLOY_DIR, state_dir=STATE_DIR, chunk_size=CHUNK)
    proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                             "-i", os.path.join(ROOT, "lab", "inventory.yml"), str(book), "-e", json.dumps(dict(deploy_args=args))],
                            cwd=ROOT, env=ansible_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    state = {}
    try:
        while time.time() < deadline and proc.poll() is None:
            state = upload_state(upload_dir)
            whole = sum(1 for size in state["chunks"].values() if size == CHUNK)
            if whole >= HOLD + streams and HOLD - 1 in state["readers"].values():
                break
            time.sleep(0.1)
        assert proc.poll() is None and time.time() < deadline, "the deploy was not held (rc %s): %s" % (proc.returncode, state)
    finally:
        kill_tree(proc.pid)
        proc.wait()
        held = upload_state(upload_dir, kill=True)
        sh("rm -f %s/.chunk-*.sha256.tmp" % upload_dir)
    assert len(held["receivers"]) == streams and list(held["readers"].values()) == [HOLD - 1], held
    kept = upload_state(upload_dir)["chunks"]
    assert sorted(kept)[:HOLD] == list(range(HOLD)) and len(kept) == HOLD + streams < total, kept
    assert set(kept.values()) == {CHUNK}, kept  # whole chunks only: none was being written
    return upload_dir, kept


def test_tar_interrupted_transfer_resumes_and_corruption_is_detected(host, tmp_path):
    src = release(tmp_path, "big", big=24 * 1024 * 1024 - 1000)  # ~96 chunks of 256 KiB: the hold comes at a quarter
    size = os.path.getsize(src)
    upload_dir, kept = start_interrupted(tmp_path, src, "big")
    # Corrupt one whole chunk the host kept (same size, different bytes): its receipt no longer matches.
    sh("printf XXXX | dd of=%s/chunk-000001 bs=1 seek=100 conv=notrunc 2>/dev/null" % upload_dir)
    res = deploy(src, "big")
    transfer = res["transfer"]
    assert res["changed"] and get() == "version=big"
    assert transfer["corrupt_chunks"] == [1], json.dumps(transfer)
    # Every other chunk the host kept, with or without the receipt the kill cut off, is used as it is.
    assert transfer["resumed_bytes"] == (len(kept) - 1) * CHUNK, json.dumps(transfer)
    assert transfer["resumed_bytes"] + transfer["bytes_sent"] == size
    assert transfer["chunks_sent"] == -(-size // CHUNK) - len(kept) + 1, json.dumps(transfer)


def test_tar_progress_shown_with_verbose(host, tmp_path):
    src = release(tmp_path, "p", big=1024 * 1024)
    book = tmp_path / "play.yml"
    book.write_text(PLAY)
    args = dict(app=APP, src=src, version="p", deploy_dir=DEPLOY_DIR, state_dir=STATE_DIR, chunk_size=256 * 1024)
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-v",
                           "-i", os.path.join(ROOT, "lab", "inventory.yml"), str(book), "-e", json.dumps(dict(deploy_args=args))],
                          cwd=ROOT, env=ansible_env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    lines = [line for line in proc.stdout.splitlines() if "deploy_tar: chunk" in line]
    assert len(lines) >= 4 and "100% of" in lines[-1] and "MB/s" in lines[-1], proc.stdout[-3000:]
