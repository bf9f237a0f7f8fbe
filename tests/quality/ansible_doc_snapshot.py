# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What ``ansible-doc -j`` shows for every module, to prove a documentation refactor (doc fragments) changed
nothing users see.

    python tests/quality/ansible_doc_snapshot.py --write before.json     # on the old tree
    python tests/quality/ansible_doc_snapshot.py --compare before.json   # on the new tree: exit 1 on a difference

Only whitespace may differ: strings are compared with runs of whitespace collapsed; the module's own file path
and the plugin's on-disk location are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def snapshot():
    names = sorted("opsforge.infra." + n[:-3] for n in os.listdir(os.path.join(ROOT, "plugins", "modules")) if n.endswith(".py"))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "module", "-j"] + names,
                          capture_output=True, text=True, env=env, check=True, cwd=ROOT)
    return normalize(json.loads(proc.stdout))


def normalize(value):
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items() if k != "filename"}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"\s+", " ", value).strip()
    return value


def differences(old, new, where=""):
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key not in new or key not in old:
                yield "%s/%s: %s" % (where, key, "removed" if key not in new else "added")
            else:
                yield from differences(old[key], new[key], "%s/%s" % (where, key))
    elif old != new:
        yield "%s: %r -> %r" % (where, old, new)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="FILE")
    group.add_argument("--compare", metavar="FILE")
    args = parser.parse_args()
    current = snapshot()
    if args.write:
        with open(args.write, "w", encoding="utf-8") as handle:
            json.dump(current, handle, indent=1, sort_keys=True)
        print("%d modules written to %s" % (len(current), args.write))
        return 0
    with open(args.compare, encoding="utf-8") as handle:
        before = json.load(handle)
    found = list(differences(before, current))
    for line in found:
        print(line)
    print("%d modules, %d differences" % (len(current), len(found)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
