# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_tar's transfer next to the transport's limit, sftp and ansible.builtin.copy, over SSH and docker exec.

One run, the same package (a tar of random bytes), the lab's deploy host reached two ways: over SSH
(inventory host deploy_ssh, the default ansible.cfg SSH arguments, i.e. ``-C`` and a ControlMaster)
and over ``docker exec`` (deploy_host). For each, side by side (median of --rounds alternated runs):

- raw pipe: ``ssh host 'cat > f' < package`` (no -C, its own connection) / ``docker exec -i ... cat``,
  the limit of the transport;
- ``sftp put`` (SSH only);
- ``ansible.builtin.copy`` (a playbook run);
- ``deploy_tar`` delivered and verified (the playbook run minus the deploy record's extraction stage:
  hashing, probe, transfer, verification on the host) and the whole deploy (extraction included).

Then the ratios the issue asks for (SSH: delivered >= 3x copy and >= 40 % of the raw pipe, whole
deploy >= 2.5x copy), the bytes sent when resuming after a kill at ~50 % over SSH (goal <= 55 %), and
the controller's sha256 speed. Each measurement holds the deploy host's lab lock on its own.

    .venv/bin/python benchmarks/deploy_tar_transfer.py --size-mb 1024     # the issue's 1 GiB
    .venv/bin/python benchmarks/deploy_tar_transfer.py --size-mb 256      # quicker
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from lab import ansible_env, kill_tree, run_playbook  # noqa: E402

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import file_hashes  # noqa: E402

HOST = "opsforge-lab-deploy"
REMOTE = "/var/tmp/opsforge-deploy-bench"
LOCK = os.path.join(ROOT, ".lab", "deploy-host.lock")
SSH = ["ssh", "-i", os.path.join(ROOT, ".lab", "ssh", "id_ed25519"), "-o", "UserKnownHostsFile=%s" % os.path.join(
    ROOT, ".lab", "ssh", "known_hosts"), "-o", "StrictHostKeyChecking=accept-new", "-o", "ControlPath=none", "-o", "BatchMode=yes"]
TAR_PLAY = """
- hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: Deploy
      opsforge.infra.deploy_tar:
        app: opsforge-deploy-bench
        version: "{{ version }}"
        src: "{{ src }}"
        deploy_dir: %(r)s/app
        state_dir: %(r)s/state
        chunk_size: "{{ chunk }}"
        install_script: ""
        keep_releases: 1
""" % dict(r=REMOTE)
COPY_PLAY = """
- hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: Copy
      ansible.builtin.copy:
        src: "{{ src }}"
        dest: %s/copy.tar
        mode: "0644"
""" % REMOTE


@contextlib.contextmanager
def deploy_host_lock():
    with open(LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sh(cmd):
    return subprocess.run(["docker", "exec", HOST, "sh", "-c", cmd], capture_output=True, text=True, check=False).stdout


def make_package(path, size):
    blob = path + ".blob"
    with open(blob, "wb") as handle:
        left = size
        while left:
            step = min(left, 8 * 1024 * 1024)
            handle.write(os.urandom(step))
            left -= step
    with tarfile.open(path, "w") as tar:
        tar.add(blob, arcname="blob.bin")
    os.unlink(blob)


def stage_seconds(history, first_status):
    """Seconds from the first status change to ``first_status`` until the deploy's last status change (the
    deploy work that copy does not do: extracting, switching the release, starting it)."""
    stamps = [(entry["status"], datetime.datetime.fromisoformat(entry["timestamp"].rstrip("Z"))) for entry in history]
    begin = next(stamp for status, stamp in stamps if status == first_status)
    return (stamps[-1][1] - begin).total_seconds()


def timed(func):
    os.sync()  # no dirty pages left by the run before
    with deploy_host_lock():
        start = time.time()
        out = func()
        return time.time() - start, out


def raw_pipe(target, pkg):
    cmd = SSH + ["-p", "22202", "root@127.0.0.1"] if target == "deploy_ssh" else ["docker", "exec", "-i", HOST]
    with open(pkg, "rb") as handle:
        subprocess.run(cmd + ["sh", "-c", "'cat > %s/raw.tar'" % REMOTE if target == "deploy_ssh" else "cat > %s/raw.tar" % REMOTE],
                       stdin=handle, check=True)


def sftp_put(pkg):
    cmd = ["sftp", "-b", "-", "-P", "22202"] + SSH[1:] + ["root@127.0.0.1"]
    subprocess.run(cmd, input="put %s %s/sftp.tar\n" % (pkg, REMOTE), text=True, check=True, capture_output=True)


def playbook(play, **extra_vars):
    run = run_playbook(play, extra_vars=extra_vars)
    assert run.rc == 0, run.explain()
    return run


def measure(target, pkg, chunk, rounds):
    """Median seconds of each path to ``target``, alternated round by round."""
    times = dict(raw=[], sftp=[], copy=[], tar=[], delivered=[])
    method = None
    for version in range(1, rounds + 1):
        times["raw"].append(timed(lambda: raw_pipe(target, pkg))[0])
        if target == "deploy_ssh":
            times["sftp"].append(timed(lambda: sftp_put(pkg))[0])
        sh("rm -f %s/raw.tar %s/sftp.tar" % (REMOTE, REMOTE))
        release = "%s-%d" % (target, version)
        seconds, run = timed(lambda: playbook(TAR_PLAY, target=target, src=pkg, version=release, chunk=chunk))  # noqa: B023
        result = run.task_results("Deploy")[0]
        method = (result["transfer"]["method"], result["transfer"]["compression"])
        times["tar"].append(seconds)
        times["delivered"].append(seconds - stage_seconds(result["deploy"]["history"], "extracting"))
        times["copy"].append(timed(lambda: playbook(COPY_PLAY, target=target, src=pkg))[0])
        sh("rm -f %s/copy.tar" % REMOTE)
        print("  [%s round %d, load %s] %s; extraction %s" % (
            target, version, " ".join("%.1f" % x for x in os.getloadavg()),
            ", ".join("%s %.1f s" % (key, value[-1]) for key, value in times.items() if value),
            result["transfer"].get("extraction")), flush=True)
    return {key: statistics.median(value) for key, value in times.items() if value}, times, method


def resume_after_kill(pkg, chunk):
    """Bytes deploy_tar sends over SSH to finish a transfer killed at ~50 %."""
    size = os.path.getsize(pkg)
    book = pkg + ".yml"
    with open(book, "w") as handle:
        handle.write(TAR_PLAY)
    with deploy_host_lock():
        proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                                 os.path.join(ROOT, "lab", "inventory.yml"), book, "-e",
                                 json.dumps(dict(target="deploy_ssh", src=pkg, version="resumed", chunk=chunk))],
                                cwd=ROOT, env=ansible_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        while proc.poll() is None:
            have = sh("du -sb %s/state/uploads 2>/dev/null | cut -f1" % REMOTE).strip()
            if have and int(have) >= size // 2:
                break
            time.sleep(0.05)
        kill_tree(proc.pid)
        proc.wait()
        run = playbook(TAR_PLAY, target="deploy_ssh", src=pkg, version="resumed", chunk=chunk)
    return run.task_results("Deploy")[0]["transfer"]


def hash_speeds(pkg, chunk):
    """MB/s of the action plugin's hashing (whole file + every chunk) and of plain hashlib, best of two."""
    real = os.path.getsize(pkg)
    ours = plain = 0.0
    for _round in range(2):
        start = time.time()
        digest = hashlib.sha256()
        with open(pkg, "rb") as handle:
            for data in iter(lambda: handle.read(1024 * 1024), b""):  # noqa: B023
                digest.update(data)
        plain = max(plain, real / 1e6 / (time.time() - start))
        start = time.time()
        file_hashes(pkg, chunk)
        ours = max(ours, real / 1e6 / (time.time() - start))
    return ours, plain


def report(target, mb, med, times, method):
    print("\n== %s (%s); deploy_tar transfer: %s, compression %s" % (
        target, "ssh, default ansible.cfg ssh_args" if target == "deploy_ssh" else "community.docker.docker", *method))
    rows = [("raw pipe (the limit)", "raw"), ("sftp put", "sftp"), ("ansible.builtin.copy", "copy"),
            ("deploy_tar delivered+verified", "delivered"), ("deploy_tar whole deploy", "tar")]
    for label, key in rows:
        if key in med:
            print("  %-30s %6.1f s %7.1f MB/s   runs: %s" % (label, med[key], mb / med[key], " ".join("%.1f" % t for t in times[key])))
    figures = (med["copy"] / med["delivered"], 100 * med["raw"] / med["delivered"], med["copy"] / med["tar"])
    print("  deploy_tar delivered+verified: %.2fx copy (goal >= 3), %.0f %% of the raw pipe (goal >= 40 %%);"
          " whole deploy %.2fx copy (goal >= 2.5)" % figures)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--chunk-mb", type=int, default=64, help="chunk size (default: the module default, 64)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each path, alternated (median reported)")
    parser.add_argument("--targets", default="deploy_ssh,deploy_host", help="inventory hosts to measure")
    opts = parser.parse_args()
    chunk = opts.chunk_mb * 1024 * 1024
    work = tempfile.mkdtemp(prefix="opsforge-deploy-bench-")
    pkg = os.path.join(work, "pkg.tar")
    make_package(pkg, opts.size_mb * 1024 * 1024)
    mb = os.path.getsize(pkg) / 1e6
    sh("rm -rf %s; mkdir -p %s" % (REMOTE, REMOTE))
    results = {}
    try:
        for target in opts.targets.split(","):
            results[target] = measure(target, pkg, chunk, opts.rounds)
        make_package(pkg, opts.size_mb * 1024 * 1024)  # new content, new sha256: nothing on the host yet
        resumed = resume_after_kill(pkg, chunk)
        ours, plain = hash_speeds(pkg, chunk)
    finally:
        sh("rm -rf %s" % REMOTE)
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)
    print("package: %.0f MB (tar of random bytes), chunk %d MiB, %d round(s), load average %s"
          % (mb, opts.chunk_mb, opts.rounds, " ".join("%.1f" % x for x in os.getloadavg())))
    for target, (med, times, method) in results.items():
        report(target, mb, med, times, method)
    print("\nresume over ssh after a kill at ~50%%: sent %d of %d bytes = %.1f %% (resumed %d, partial chunks %s)  (goal <= 55 %%)"
          % (resumed["bytes_sent"], resumed["bytes_total"], 100.0 * resumed["bytes_sent"] / resumed["bytes_total"],
             resumed["resumed_bytes"], resumed["resumed_partial_chunks"]))
    print("sha256 (whole file + every chunk, one read): action plugin %.0f MB/s, hashlib (whole file only) %.0f MB/s = %.0f %%"
          % (ours, plain, 100 * ours / plain))


if __name__ == "__main__":
    main()
