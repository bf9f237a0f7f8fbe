# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_tar against the lab's systemd host deploy_host (community.docker.docker connection).

The app is a systemd unit on deploy_host serving <deploy_dir>/current with python3 -m http.server on
127.0.0.1:18601; packages are built here with tarfile, including hostile ones.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import time
import urllib.request

import pytest

from lab import ROOT, ansible_env, kill_tree, run_playbook

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


def sh(cmd, check=True):
    return subprocess.run(["docker", "exec", "opsforge-lab-deploy", "sh", "-c", cmd], capture_output=True, text=True, check=check)


def get(path="/"):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (PORT, path), timeout=3) as resp:
            return resp.read().decode().strip()
    except Exception as exc:  # noqa: BLE001
        return "ERROR %s" % exc


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


def start_interrupted(tmp_path, src, version):
    """Run a deploy in the background and kill it once part of the package reached the host."""
    book = tmp_path / "play.yml"
    book.write_text(PLAY)
    args = dict(app=APP, src=src, version=version, deploy_dir=DEPLOY_DIR, state_dir=STATE_DIR, chunk_size=256 * 1024)
    proc = subprocess.Popen([os.path.join(os.path.dirname(__import__("sys").executable), "ansible-playbook"),
                             "-i", os.path.join(ROOT, "lab", "inventory.yml"), str(book), "-e", json.dumps(dict(deploy_args=args))],
                            cwd=ROOT, env=ansible_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    count = 0
    while time.time() < deadline:
        count = len(sh("ls %s/uploads/*/ 2>/dev/null" % STATE_DIR, check=False).stdout.split())
        if count >= 12:
            break
        time.sleep(0.05)
    kill_tree(proc.pid)
    proc.wait()
    assert 12 <= count < 96, count
    return count


def test_tar_interrupted_transfer_resumes_and_corruption_is_detected(host, tmp_path):
    src = release(tmp_path, "big", big=24 * 1024 * 1024 - 1000)  # ~96 chunks of 256 KiB: the kill comes well before the end
    size = os.path.getsize(src)
    start_interrupted(tmp_path, src, "big")
    # Corrupt one whole chunk the host kept (same size, different bytes); the streams leave up to one chunk each cut short.
    chunks = sorted(sh("cd %s/uploads/*/ && find . -name 'chunk-*' -size %dc | cut -c3-" % (STATE_DIR, 256 * 1024)).stdout.split())
    sh("cd %s/uploads/*/ && printf XXXX | dd of=%s bs=1 seek=100 conv=notrunc 2>/dev/null" % (STATE_DIR, chunks[1]))
    res = deploy(src, "big")
    transfer = res["transfer"]
    assert res["changed"] and get() == "version=big"
    assert transfer["corrupt_chunks"] == [int(chunks[1].split("-")[1])], json.dumps(transfer)
    assert transfer["resumed_bytes"] > 0 and transfer["bytes_sent"] < size
    assert transfer["resumed_bytes"] + transfer["bytes_sent"] == size


def test_tar_progress_shown_with_verbose(host, tmp_path):
    src = release(tmp_path, "p", big=1024 * 1024)
    book = tmp_path / "play.yml"
    book.write_text(PLAY)
    args = dict(app=APP, src=src, version="p", deploy_dir=DEPLOY_DIR, state_dir=STATE_DIR, chunk_size=256 * 1024)
    proc = subprocess.run([os.path.join(os.path.dirname(__import__("sys").executable), "ansible-playbook"), "-v",
                           "-i", os.path.join(ROOT, "lab", "inventory.yml"), str(book), "-e", json.dumps(dict(deploy_args=args))],
                          cwd=ROOT, env=ansible_env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    lines = [line for line in proc.stdout.splitlines() if "deploy_tar: chunk" in line]
    assert len(lines) >= 4 and "100% of" in lines[-1] and "MB/s" in lines[-1], proc.stdout[-3000:]
