# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What judging every member by its physical resolution costs: safe_extract (per-member checks on the disk,
data filter, final tree walk) vs a plain tarfile extractall of the same package, side by side.

    .venv/bin/python benchmarks/deploy_extract.py [files] [bytes-per-file]
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".build", "collections"))
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.extract import safe_extract  # noqa: E402


def package(path, files, size):
    data = os.urandom(size)
    with tarfile.open(path, "w") as tar:
        for i in range(files):
            info = tarfile.TarInfo("d%02d/f%05d" % (i % 50, i))
            info.size = size
            tar.addfile(info, io.BytesIO(data))
            if i % 10 == 0:
                link = tarfile.TarInfo("d%02d/l%05d" % (i % 50, i))
                link.type = tarfile.SYMTYPE
                link.linkname = "f%05d" % i
                tar.addfile(link)


def timed(func, runs=3):
    best = None
    for _i in range(runs):
        start = time.perf_counter()
        func()
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


def main():
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    work = tempfile.mkdtemp(prefix="opsforge-bench-extract-")
    try:
        pkg = os.path.join(work, "p.tar")
        package(pkg, files, size)

        def plain():
            dest = os.path.join(work, "plain")
            shutil.rmtree(dest, ignore_errors=True)
            with tarfile.open(pkg) as tar:
                tar.extractall(dest, filter="fully_trusted")

        def safe():
            dest = os.path.join(work, "safe")
            shutil.rmtree(dest, ignore_errors=True)
            safe_extract(pkg, dest)

        t_plain, t_safe = timed(plain), timed(safe)
        print("package: %d files of %d bytes (+%d symlinks)" % (files, size, (files + 9) // 10))
        print("%-34s %8.3f s" % ("tarfile extractall (fully_trusted)", t_plain))
        print("%-34s %8.3f s" % ("safe_extract (physical checks)", t_safe))
        print("ratio safe/plain: %.2f" % (t_safe / t_plain))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
