#!/usr/bin/env bash
# Run `ansible-test sanity` on a clean copy of the collection (tracked files plus untracked
# files git does not ignore), laid out as ansible_collections/opsforge/infra as ansible-test
# requires. Extra arguments go to ansible-test (e.g. a list of paths, or --test pylint).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="${VENV:-$root/.venv}"
dest="$root/.build/sanity/ansible_collections/opsforge/infra"
rm -rf "$dest"
mkdir -p "$dest"
cd "$root"
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$dest"
cd "$dest"
# A git repo lets ansible-test list the files exactly as we copied them.
git init -q . && git add -A >/dev/null && git -c user.name=sanity -c user.email=sanity@localhost commit -q -m sanity >/dev/null
export PATH="$venv/bin:$PATH"
exec ansible-test sanity --python 3.11 --color no --requirements "$@"
