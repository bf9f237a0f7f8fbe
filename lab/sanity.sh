#!/usr/bin/env bash
# Run `ansible-test sanity` on a clean copy of the collection (tracked files plus untracked
# files git does not ignore), laid out as ansible_collections/opsforge/infra as ansible-test
# requires. Extra arguments go to ansible-test (e.g. a list of paths, or --test pylint).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="${VENV:-$root/.venv}"
# One run at a time: concurrent runs would build the same ansible-test venvs at once.
mkdir -p "$root/.build"
exec 9>"$root/.build/sanity.lock"
flock 9
work="$root/.build/sanity-$$"
dest="$work/ansible_collections/opsforge/infra"
trap 'rm -rf "$work"' EXIT
rm -rf "$work"
mkdir -p "$dest"
cd "$root"
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$dest"
# ansible-test bootstraps pip in its sanity venvs with a script it downloads from a host we
# cannot reach; give it a local stand-in under the name it looks for.
pip_version=$("$venv/bin/python" - <<'PY'
import re, ansible_test, os
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
mkdir -p "$HOME/.ansible/test/cache"
cp "$root/lab/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
# The collections ours depends on must sit beside it for the import and doc tests.
"$venv/bin/python" - "$root/galaxy.yml" "$work/ansible_collections" <<'PY'
import os, sys, yaml, ansible_collections
deps = yaml.safe_load(open(sys.argv[1]))["dependencies"]
site = [p for p in ansible_collections.__path__ if "site-packages" in p][0]
for fqcn in list(deps) + ["ansible.posix", "ansible.utils"]:
    ns, name = fqcn.split(".")
    os.makedirs(os.path.join(sys.argv[2], ns), exist_ok=True)
    link = os.path.join(sys.argv[2], ns, name)
    if not os.path.exists(link):
        os.symlink(os.path.join(site, ns, name), link)
PY
cd "$dest"
# A git repo lets ansible-test list the files exactly as we copied them.
git init -q . && git add -A >/dev/null && git -c user.name=sanity -c user.email=sanity@localhost commit -q -m sanity >/dev/null
export PATH="$venv/bin:$PATH"
ansible-test sanity --python 3.11 --color no --requirements "$@"
