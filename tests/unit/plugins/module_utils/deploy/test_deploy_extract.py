# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Extraction judged by where each entry physically resolves (links through links, hard links)."""

from __future__ import annotations

import io
import os
import shutil
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.extract import link_shared_paths, safe_extract


def member(kind, name, target=None, data=b"x"):
    info = tarfile.TarInfo(name)
    if kind == "file":
        info.size = len(data)
        return info, data
    if kind == "dir":
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    elif kind == "sym":
        info.type = tarfile.SYMTYPE
        info.linkname = target
    elif kind == "hard":
        info.type = tarfile.LNKTYPE
        info.linkname = target
    return info, None


def make_pkg(path, entries):
    with tarfile.open(str(path), "w") as tar:
        for kind, name, target in entries:
            info, data = member(kind, name, target)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return str(path)


def outside_file(tmp_path):
    secret = tmp_path / "outside" / "secret"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("secret")
    return secret


@pytest.mark.parametrize("entries", [
    # l -> s/../x is inside while s does not exist; s -> . then makes l resolve to ../x (outside).
    [("sym", "l", "s/../outside/secret"), ("sym", "s", ".")],
    # a hard link to a symlink that points outside shares the outside file's inode.
    [("sym", "d/l", "../d"), ("sym", "up", "d/l/../.."), ("hard", "h", "up/outside/secret")],
    # a symlinked directory written through after the fact
    [("dir", "sub", None), ("sym", "sub2", "sub"), ("sym", "sub2/x", "../../outside")],
])
def test_links_through_links_are_refused(tmp_path, entries):
    secret = outside_file(tmp_path)
    pkg = make_pkg(tmp_path / "p.tar", entries)
    dest = tmp_path / "rel" / "release"
    dest.parent.mkdir()
    with pytest.raises(DeployError, match="nothing was extracted"):
        safe_extract(pkg, str(dest))
    assert not dest.exists() and os.listdir(str(dest.parent)) == []
    assert secret.read_text() == "secret" and os.stat(str(secret)).st_nlink == 1


def test_a_file_over_an_extracted_symlink_is_never_written_through(tmp_path):
    # b -> s/../a is inside while s does not exist; s -> . makes it lead next to the release; then a file b.
    pkg = make_pkg(tmp_path / "p.tar", [("file", "a", None), ("sym", "b", "s/../a"), ("sym", "s", "."), ("file", "b", None)])
    dest = tmp_path / "rel" / "release"
    dest.parent.mkdir()
    safe_extract(pkg, str(dest))
    assert os.listdir(str(dest.parent)) == ["release"]  # nothing written beside the release
    assert not os.path.islink(str(dest / "b")) and (dest / "b").read_text() == "x"


def test_links_inside_are_kept(tmp_path):
    pkg = make_pkg(tmp_path / "p.tar", [("dir", "d", None), ("file", "d/a", None), ("sym", "l", "d/a"),
                                        ("sym", "d/up", "../d"), ("hard", "h", "d/a")])
    assert safe_extract(pkg, str(tmp_path / "r")) == 5
    assert os.path.samefile(str(tmp_path / "r" / "h"), str(tmp_path / "r" / "d" / "a"))
    assert (tmp_path / "r" / "l").read_text() == "x"


# ---- property: whatever the tree, nothing resolves outside and no inode is shared ----------------
NAMES = hs.sampled_from(["a", "b", "c", "d/a", "d/b", "a/x", "b/y", "d/e/f"])
TARGETS = hs.sampled_from([".", "..", "../..", "a", "b", "d", "d/a", "../outside", "../outside/secret", "/etc/passwd",
                           "/tmp", "a/../..", "d/../../outside/secret", "b/../../outside", "c/../a", "d/e/../.."])
ENTRY = hs.tuples(hs.sampled_from(["file", "dir", "sym", "hard"]), NAMES, TARGETS)


def _inodes_outside(root):
    out = set()
    for base, _dirs, files in os.walk(root):
        for name in files:
            st = os.lstat(os.path.join(base, name))
            out.add((st.st_dev, st.st_ino))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=hs.lists(ENTRY, min_size=1, max_size=8))
def test_property_nothing_resolves_outside(tmp_path, entries):
    work = tmp_path / "w"
    shutil.rmtree(str(work), ignore_errors=True)
    work.mkdir()
    outside_file(work)
    outside_inodes = _inodes_outside(str(work / "outside"))
    pkg = make_pkg(work / "p.tar", entries)
    dest = work / "rel" / "release"
    dest.parent.mkdir()
    try:
        safe_extract(pkg, str(dest))
    except DeployError:
        assert os.listdir(str(dest.parent)) == []  # refused with nothing left
        return
    root = os.path.realpath(str(dest))
    for base, dirs, files in os.walk(str(dest)):
        for name in dirs + files:
            path = os.path.join(base, name)
            real = os.path.realpath(path)
            assert real == root or real.startswith(root + os.sep), (path, real)
            if os.path.lexists(path) and not os.path.islink(path):
                st = os.lstat(path)
                assert (st.st_dev, st.st_ino) not in outside_inodes
    assert (work / "outside" / "secret").read_text() == "secret"


# ---- shared paths: the Capistrano habit as a first-class option ----------------------------------
def test_shared_paths_link_to_the_app_shared_dir(tmp_path):
    deploy_dir = tmp_path / "app"
    release = deploy_dir / "releases" / "1"
    pkg = make_pkg(tmp_path / "p.tar", [("file", "index.html", None), ("dir", "var", None), ("file", "var/log", None)])
    safe_extract(pkg, str(release))
    made = link_shared_paths(str(deploy_dir), str(release), ["data", "var/log"])
    assert os.readlink(str(release / "data")) == "../../shared/data"
    assert os.readlink(str(release / "var" / "log")) == "../../../shared/var/log"
    assert (deploy_dir / "shared" / "data").is_dir() and made == ["data", "var/log"]
    (release / "data" / "kept").write_text("1")
    assert (deploy_dir / "shared" / "data" / "kept").read_text() == "1"


@pytest.mark.parametrize("bad", ["../x", "/etc", "a/../../x", "", "."])
def test_shared_paths_refuse_escaping_names(tmp_path, bad):
    release = tmp_path / "app" / "releases" / "1"
    release.mkdir(parents=True)
    with pytest.raises(DeployError, match="shared_paths"):
        link_shared_paths(str(tmp_path / "app"), str(release), [bad])
