"""Build one reproducible zip per camera function: ``<out>/<function>.zip``.

Each zip holds ``index.py``, the shared ``camera_common`` package and the function's
dependencies (``<function>/requirements.txt``, without numpy: see NOT_PACKAGED) installed for the FC 3.0 runtime (Linux
x86_64, CPython 3.10 wheels) from a local wheelhouse. Reproducible: entries sorted, fixed
timestamps (1980-01-01), fixed permissions, no console scripts (their shebang names the build
machine's interpreter), no ``.pyc`` unless ``--compile-with`` names an interpreter of the
runtime's version (then unchecked-hash ``.pyc``, which cut the cold start: see
benchmarks/fc_cold_start.py). The same inputs give the same bytes.

    python fc_functions/build_packages.py --out .build/fc [--wheelhouse DIR] [--no-deps] [--offline] [--compile-with python3.10]
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = (1980, 1, 1, 0, 0, 0)
PLATFORM = ["--platform", "manylinux2014_x86_64", "--python-version", "3.10", "--implementation", "cp", "--only-binary=:all:"]
SKIP_DIRS = {"__pycache__", "bin"}
# Installed as a dependency of tablestore but only used by flatbuffers' optional numpy helpers (timeseries
# tables), which the functions never touch: leaving it out saves 40 MB and a tenth of a second of cold start.
NOT_PACKAGED = ("numpy", "numpy.libs")
NOT_PACKAGED_DIST = "numpy-"
SKIP_SUFFIXES = (".pyc", ".pyo")


def functions():
    with open(os.path.join(HERE, "functions.json")) as handle:
        return json.load(handle)["functions"]


def pip(*args):
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"] + list(args)
    subprocess.run(cmd, check=True)


def install_deps(name, staging, wheelhouse, offline=False):
    requirements = os.path.join(HERE, name, "requirements.txt")
    if not offline:
        pip("download", "-d", wheelhouse, "-r", requirements, *PLATFORM)
    pip("install", "--no-index", "--find-links", wheelhouse, "--target", staging, "--no-compile", "--no-warn-conflicts", "-r", requirements, *PLATFORM)


def runtime_version():
    """``3.10`` for ``python3.10``: the interpreter version of the FC runtime in functions.json."""
    with open(os.path.join(HERE, "functions.json")) as handle:
        return json.load(handle)["runtime"][len("python"):]


def compile_tree(staging, python):
    """Write .pyc next to every source with ``python``, which must be the runtime's version (else FC ignores them).

    Unchecked-hash .pyc carry no timestamp (reproducible) and are used as they are: FC's code
    directory is read-only, so without them every cold start compiles every module it imports.
    """
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], check=True,
                             stdout=subprocess.PIPE, text=True).stdout.strip()
    if version != runtime_version():
        raise SystemExit("--compile-with %s is Python %s; the runtime is python%s, which would ignore its .pyc" % (python, version, runtime_version()))
    subprocess.run([python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", "-d", "/code", staging], check=True)


def collect(root, with_pyc=False):
    """(arcname, path) pairs under root, sorted, without scripts and (unless with_pyc) caches."""
    entries = []
    skip_dirs = SKIP_DIRS - {"__pycache__"} if with_pyc else SKIP_DIRS
    for dirpath, dirnames, filenames in os.walk(root):
        top = os.path.relpath(dirpath, root) == "."
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs and not (top and (d in NOT_PACKAGED or d.startswith(NOT_PACKAGED_DIST))))
        for filename in filenames:
            if filename.endswith(SKIP_SUFFIXES) and not (with_pyc and filename.endswith(".pyc")):
                continue
            path = os.path.join(dirpath, filename)
            entries.append((os.path.relpath(path, root).replace(os.sep, "/"), path))
    return sorted(entries)


def write_zip(target, entries):
    tmp = target + ".tmp"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for arcname, path in entries:
            info = zipfile.ZipInfo(arcname, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            mode = 0o755 if os.access(path, os.X_OK) and arcname.endswith(".so") else 0o644
            info.external_attr = (0o100000 | mode) << 16
            with open(path, "rb") as handle:
                archive.writestr(info, handle.read(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(tmp, target)


def build(name, out, wheelhouse, with_deps=True, offline=False, compile_with=None):
    staging = tempfile.mkdtemp(prefix="fc-%s-" % name)
    try:
        if with_deps:
            install_deps(name, staging, wheelhouse, offline)
            shutil.rmtree(os.path.join(staging, "bin"), ignore_errors=True)
        shutil.copy2(os.path.join(HERE, name, "index.py"), os.path.join(staging, "index.py"))
        shutil.copytree(os.path.join(HERE, "shared", "camera_common"), os.path.join(staging, "camera_common"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        target = os.path.join(out, "%s.zip" % name)
        if compile_with:
            compile_tree(staging, compile_with)
        write_zip(target, collect(staging, with_pyc=bool(compile_with)))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    with open(target, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    return target, digest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--wheelhouse", default=None, help="wheel cache (default <out>/wheelhouse)")
    parser.add_argument("--no-deps", action="store_true", help="package only the code (for fast checks)")
    parser.add_argument("--only", action="append", help="build only this function (repeatable)")
    parser.add_argument("--offline", action="store_true", help="install only from the wheelhouse (no index); fails if a wheel is missing")
    parser.add_argument("--compile-with", metavar="PYTHON", help="ship .pyc compiled by this interpreter (it must be the runtime's version)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    wheelhouse = args.wheelhouse or os.path.join(args.out, "wheelhouse")
    os.makedirs(wheelhouse, exist_ok=True)
    manifest = {}
    for name in sorted(functions()):
        if args.only and name not in args.only:
            continue
        target, digest = build(name, args.out, wheelhouse, with_deps=not args.no_deps, offline=args.offline, compile_with=args.compile_with)
        manifest[name] = {"zip": os.path.basename(target), "sha256": digest}
        print("%s  %s" % (digest, target))
    with open(os.path.join(args.out, "manifest.json"), "w") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
