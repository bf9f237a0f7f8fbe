# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The path rule of gpu_environment as properties: whatever a user writes, an accepted mount
path or sub-path is normalised and stays where it claims to be."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_input import (
    RESERVED_DIRS,
    check_mounts,
    mount_path,
    sub_path,
)
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError

SEGMENTS = st.sampled_from(["", ".", "..", "data", "home", "user", "etc", "usr", "x", "a b", "..."])
PATHS = st.builds(lambda lead, parts, trail: lead + "/".join(parts) + trail,
                  st.sampled_from(["", "/", "//", "./"]), st.lists(SEGMENTS, max_size=5), st.sampled_from(["", "/"]))


def _norm(raw):
    return "/" + posixpath.normpath(raw).lstrip("/")


def _inside(path, directory):
    return path == directory or path.startswith(directory.rstrip("/") + "/")


@settings(max_examples=300, deadline=None)
@given(PATHS)
def test_an_accepted_mount_path_is_normalised_absolute_and_confined(raw):
    try:
        path = mount_path(raw, "datasets[x].mount_path")
    except K8sError:
        assert raw == "" or not raw.startswith("/") or ".." in raw.split("/") or _norm(raw) == "/" \
            or any(_inside(_norm(raw), d) for d in RESERVED_DIRS)
        return
    assert path.startswith("/") and path != "/" and path == posixpath.normpath(path) and not path.startswith("//")
    assert ".." not in path.split("/")
    assert path == _norm(raw), "normalising never changes where it points"
    assert not any(_inside(path, d) for d in RESERVED_DIRS)


@settings(max_examples=300, deadline=None)
@given(PATHS)
def test_an_accepted_sub_path_stays_inside_its_volume(raw):
    try:
        path = sub_path(raw, "datasets[x].sub_path")
    except K8sError:
        assert raw.startswith("/") or ".." in raw.split("/")
        return
    if path is None:
        assert posixpath.normpath("/vol/" + raw) == "/vol"
        return
    assert not path.startswith("/") and ".." not in path.split("/") and path == posixpath.normpath(path)
    assert posixpath.normpath(posixpath.join("/vol", path)).startswith("/vol/")


@settings(max_examples=200, deadline=None)
@given(PATHS, PATHS)
def test_no_dataset_hides_the_home_directory(home_raw, data_raw):
    try:
        home = mount_path(home_raw, "home_mount_path")
        data = mount_path(data_raw, "datasets[x].mount_path")
    except K8sError:
        return
    try:
        check_mounts(home, [("datasets[x].mount_path", data)])
    except K8sError:
        assert _inside(home, data), "refused only when the dataset is the home directory or above it"
        return
    assert not _inside(home, data)


@pytest.mark.parametrize("raw,expected", [("/data/imagenet", "/data/imagenet"), ("/data//x/./y/", "/data/x/y"),
                                          ("/home/user/data", "/home/user/data")])
def test_examples(raw, expected):
    assert mount_path(raw, "m") == expected
