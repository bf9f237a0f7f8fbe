# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write tests/quality/data/floors.json: what the wheels at our floors declare, read from PyPI once.

Run by hand when a floor moves (``.venv/bin/python tests/quality/derive_floors.py``); the tests read the
JSON and send nothing outside the machine. For ``ansible`` it records the floor release and the newest
release below it (bundled collection versions of galaxy.yml's dependencies, Requires-Python); for
``ansible-core`` the floor's Requires-Python.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "quality", "data", "floors.json")


def floor(name):
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"^%s>=([0-9.]+)" % re.escape(name), line)
            if match:
                return match.group(1)
    raise SystemExit("no floor for %s in requirements.txt" % name)


def wheel(tmp, requirement):
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, requirement], check=True)
    name, version = requirement.split("==")
    (path,) = [os.path.join(tmp, n) for n in os.listdir(tmp) if n.startswith("%s-%s-" % (name.replace("-", "_"), version))]
    return zipfile.ZipFile(path)


def describe(archive, collections):
    metadata = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")][0]
    python = re.search(r"^Requires-Python: *(.*)$", archive.read(metadata).decode(), re.M).group(1).strip()
    bundled = {}
    for fqcn in collections:
        manifest = "ansible_collections/%s/MANIFEST.json" % fqcn.replace(".", "/")
        bundled[fqcn] = json.loads(archive.read(manifest))["collection_info"]["version"]
    return {"requires_python": python, "bundled": bundled}


def main():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        deps = sorted(yaml.safe_load(handle)["dependencies"])
    listing = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "ansible"], check=True,
                             capture_output=True, text=True).stdout
    releases = [v.strip() for v in re.search(r"Available versions: (.*)", listing).group(1).split(",")]
    top = floor("ansible")
    below = max((v for v in releases if re.fullmatch(r"[0-9.]+", v) and tuple(map(int, v.split("."))) < tuple(map(int, top.split(".")))),
                key=lambda v: tuple(map(int, v.split("."))))
    core = floor("ansible-core")
    with tempfile.TemporaryDirectory() as tmp:
        data = {
            "source": "wheel metadata from PyPI, written by tests/quality/derive_floors.py",
            "ansible": {"floor": top, "below": below, top: describe(wheel(tmp, "ansible==%s" % top), deps),
                        below: describe(wheel(tmp, "ansible==%s" % below), deps)},
            "ansible-core": {"floor": core, core: describe(wheel(tmp, "ansible-core==%s" % core), [])},
        }
    with open(OUT, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
