# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deploy_tar transfer vs ansible.builtin.copy over the same connection (lab host deploy_host).

Prints:
- MB/s of each (median of --rounds alternated runs) and the ratio (goal >= 1.0), for the same job as copy (the
  package on the host and verified: hashing, probe, chunk sends, verification on the host; the extraction is
  taken out using the deploy record's own stage timestamps) and for the whole deploy, extraction included;
- bytes sent when resuming after an interruption at ~50 % (goal <= 55 %);
- sha256 MB/s of the action plugin's hashing vs plain hashlib (goal >= 80 %).

    .venv/bin/python benchmarks/deploy_tar_transfer.py --size-mb 1024     # the issue's 1 GiB
    .venv/bin/python benchmarks/deploy_tar_transfer.py --size-mb 128      # quicker
"""

from __future__ import annotations

import argparse
import datetime
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

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.tar import file_hashes  # noqa: E402

HOST = "opsforge-lab-deploy"
REMOTE = "/var/tmp/opsforge-deploy-bench"
TAR_PLAY = """
- hosts: deploy_host
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
- hosts: deploy_host
  gather_facts: false
  tasks:
    - name: Copy
      ansible.builtin.copy:
        src: "{{ src }}"
        dest: %s/copy.tar
        mode: "0644"
""" % REMOTE


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--chunk-mb", type=int, default=64, help="chunk size (default: the module default, 64)")
    parser.add_argument("--rounds", type=int, default=3, help="deploy_tar and copy runs, alternated (median reported)")
    opts = parser.parse_args()
    size = opts.size_mb * 1024 * 1024
    chunk = opts.chunk_mb * 1024 * 1024
    work = tempfile.mkdtemp(prefix="opsforge-deploy-bench-")
    pkg = os.path.join(work, "pkg.tar")
    make_package(pkg, size)
    real = os.path.getsize(pkg)
    sh("rm -rf %s" % REMOTE)
    try:
        # hashing: best of two runs each, page cache warm for both
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

        # deploy_tar (whole deploy: hash, transfer, verify, extract) vs copy, alternated; the median of each
        tar_times, copy_times, transfers, extract_seconds = [], [], [], []
        for version in range(1, opts.rounds + 1):
            # Each run starts with no dirty pages left by the one before. deploy_tar keeps one release, so each run
            # frees the last one's blocks as copy does by replacing copy.tar: both write into freed space (on a
            # thin-provisioned disk, fresh blocks cost more, and that would be measured instead of the transfer).
            os.sync()
            start = time.time()
            run = run_playbook(TAR_PLAY, extra_vars=dict(src=pkg, version=str(version), chunk=chunk))
            tar_times.append(time.time() - start)
            assert run.rc == 0, run.explain()
            result = run.task_results("Deploy")[0]
            transfers.append(result["transfer"])
            extract_seconds.append(stage_seconds(result["deploy"]["history"], "extracting"))
            os.sync()
            start = time.time()
            run = run_playbook(COPY_PLAY, extra_vars=dict(src=pkg))
            copy_times.append(time.time() - start)
            assert run.rc == 0, run.explain()
            sh("rm -f %s/copy.tar" % REMOTE)
        tar_seconds, copy_seconds = statistics.median(tar_times), statistics.median(copy_times)
        transfer = dict(mb_per_s=statistics.median(t["mb_per_s"] for t in transfers))
        # the same job as copy: the package on the host, verified (hash, probe, send, verify on the host)
        delivered = [total - extract for total, extract in zip(tar_times, extract_seconds)]
        delivered_seconds = statistics.median(delivered)

        # resume after an interruption at ~50 %
        make_package(pkg, size)  # new content, new sha256
        real2 = os.path.getsize(pkg)
        book = os.path.join(work, "tar.yml")
        with open(book, "w") as handle:
            handle.write(TAR_PLAY)
        proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                                 os.path.join(ROOT, "lab", "inventory.yml"), book, "-e",
                                 json.dumps(dict(src=pkg, version="resumed", chunk=chunk))],
                                cwd=ROOT, env=ansible_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        while proc.poll() is None:
            have = sh("du -sb %s/state/uploads 2>/dev/null | cut -f1" % REMOTE).strip()
            if have and int(have) >= real2 // 2:
                break
            time.sleep(0.1)
        kill_tree(proc.pid)
        proc.wait()
        run = run_playbook(TAR_PLAY, extra_vars=dict(src=pkg, version="resumed", chunk=chunk))
        assert run.rc == 0, run.explain()
        resumed = run.task_results("Deploy")[0]["transfer"]
    finally:
        sh("rm -rf %s" % REMOTE)
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)

    mb = real / 1e6
    print("package: %.0f MB, chunk %d MiB, connection community.docker.docker to deploy_host" % (mb, opts.chunk_mb))
    print("deploy_tar  whole task: %6.1f s  %7.1f MB/s   runs: %s" % (tar_seconds, mb / tar_seconds, " ".join("%.1f" % t for t in tar_times)))
    print("  of which package delivered and verified on the host (hash, probe, send, verify): %.1f s  %.1f MB/s;"
          " extract + switch: %.1f s; chunk sends alone %s MB/s"
          % (delivered_seconds, mb / delivered_seconds, statistics.median(extract_seconds), transfer["mb_per_s"]))
    print("copy        whole task: %6.1f s  %7.1f MB/s   runs: %s" % (copy_seconds, mb / copy_seconds, " ".join("%.1f" % t for t in copy_times)))
    print("ratio deploy_tar/copy (MB/s): delivered and verified %.2f (goal >= 1.0); whole deploy incl. extraction %.2f"
          % (copy_seconds / delivered_seconds, copy_seconds / tar_seconds))
    print("resume after kill at ~50%%: sent %d of %d bytes = %.1f%%   (resumed %d)   (goal <= 55%%)"
          % (resumed["bytes_sent"], real2, 100.0 * resumed["bytes_sent"] / real2, resumed["resumed_bytes"]))
    print("sha256 (whole file + every chunk): action plugin %.0f MB/s, hashlib (whole file only) %.0f MB/s = %.0f%%   (goal >= 80%%)"
          % (ours, plain, 100 * ours / plain))


if __name__ == "__main__":
    main()
