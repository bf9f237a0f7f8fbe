# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Release directories of deploy_tar on the host::

    <deploy_dir>/releases/<id>/                         one extracted release each
    <deploy_dir>/releases/.streaming-<id>-<token>/      a release being extracted while its chunks arrive
    <deploy_dir>/current -> releases/<id>               switched atomically (symlink + rename)
    <deploy_dir>/.opsforge-releases.json                release id -> sha256, status good|bad, times

A streamed staging directory gets its release name only in the deploy stage, after the whole package
was verified; names starting with a dot are never releases (pruning and rollback skip them).
"""

from __future__ import annotations

import binascii
import json
import os
import re
import shutil

from ansible_collections.opsforge.infra.plugins.module_utils._deploy import extract
from ansible_collections.opsforge.infra.plugins.module_utils._deploy import state as st
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.chunks import ArrivingChunks, ChainReader
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError

STREAMING = ".streaming-"
_TOKEN_RE = re.compile(r"^[0-9a-f]{16}$")


def safe_extract(package, dest):
    """Extract ``package`` (a path or a list of chunk paths) into the new directory ``dest`` (see extract.py)."""
    reader = ChainReader(package) if isinstance(package, list) else None
    try:
        return extract.safe_extract(package if reader is None else None, dest, fileobj=reader)
    finally:
        if reader is not None:
            reader.close()


def switch_link(link, target):
    """Point the symlink ``link`` at ``target`` atomically (new symlink + rename)."""
    tmp = "%s.tmp-%d" % (link, os.getpid())
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.rename(tmp, link)


def read_meta(path):
    return st.read_json(path) or dict(releases={})


def write_meta(path, meta):
    st.atomic_write(path, json.dumps(meta, sort_keys=True, indent=1) + "\n")


def staging_dir(releases_dir, release, token):
    return os.path.join(releases_dir, "%s%s-%s" % (STREAMING, release, token))


def clear_staging(releases_dir, release, keep=None):
    """Remove the streamed staging directories of ``release`` (but ``keep``): left by runs that died."""
    prefix = "%s%s-" % (STREAMING, release)
    try:
        names = os.listdir(releases_dir)
    except OSError:
        return
    for name in names:
        path = os.path.join(releases_dir, name)
        if name.startswith(prefix) and _TOKEN_RE.match(name[len(prefix):]) and path != keep:
            shutil.rmtree(path, ignore_errors=True)


def stream_release(releases_dir, release, upload_dir, chunks, incoming, idle=60.0):
    """Extract the package into a fresh staging directory while its chunks arrive (see ArrivingChunks).

    ``chunks`` is ``(sha256 of each chunk, chunk_size, package size)``. Return ``dict(token, members)``; raise
    DeployError (the staging directory removed) when the package is refused or cannot be read, or the
    transfer stopped."""
    os.makedirs(releases_dir, exist_ok=True)
    clear_staging(releases_dir, release)
    token = binascii.hexlify(os.urandom(8)).decode()
    staging = staging_dir(releases_dir, release, token)
    hashes, chunk_size, size = chunks
    reader = ArrivingChunks(upload_dir, hashes, incoming, chunk_size, size, idle=idle)
    try:
        members = extract.stream_extract(reader, staging)
        reader.check_unchanged()
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise DeployError("the chunks changed while they were extracted: %s" % exc)
    finally:
        reader.close()
    return dict(token=token, members=members)


def adopt_staging(releases_dir, release, staged, package_sha256):
    """The staging directory a streamed extraction left for this very package, or None."""
    staged = staged or {}
    token = staged.get("token") or ""
    if staged.get("package_sha256") != package_sha256 or not _TOKEN_RE.match(token):
        return None
    path = staging_dir(releases_dir, release, token)
    if not os.path.isdir(path) or os.path.islink(path):
        return None
    return path


def prune(releases_dir, meta, keep, protected):
    """Remove the oldest releases beyond ``keep`` (never those in ``protected``); return their names."""
    try:
        names = [n for n in os.listdir(releases_dir) if not n.startswith(".") and not n.endswith(".extracting")]
    except OSError:
        return []
    names.sort(key=lambda n: (meta["releases"].get(n) or {}).get("deployed") or "", reverse=True)
    removed = []
    for name in names[keep:]:
        if name in protected:
            continue
        shutil.rmtree(os.path.join(releases_dir, name), ignore_errors=True)
        meta["releases"].pop(name, None)
        removed.append(name)
    return removed
