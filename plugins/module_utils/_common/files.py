# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one atomic file writer and the one sha256 of this collection.

:func:`atomic_write` writes a temporary file in the target's directory, fsyncs it, gives it its mode,
renames it over the target and fsyncs the directory: a reader (or a crash) sees the old file or the
new one, never half of one, and a failure at any step leaves no temporary file behind. Errors are
``OSError``; each family translates them into its own error type.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

DEFAULT_MODE = 0o644
CHUNK_SIZE = 1024 * 1024


def _file_mode(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the rename is done anyway
    finally:
        os.close(fd)


def atomic_write(path, data, mode=None, make_dirs=True, dir_mode=0o755):
    """Replace ``path`` by ``data`` (bytes, or str written as UTF-8) atomically.

    ``mode``: the new file's mode; ``None`` keeps the mode of the file it replaces (0644 for a new
    file). Missing parent directories are made with ``dir_mode`` (``make_dirs=False``: an error).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    if mode is None:
        mode = _file_mode(path)
        mode = DEFAULT_MODE if mode is None else mode
    if make_dirs:
        os.makedirs(directory, dir_mode, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def read_bytes(path):
    """The bytes of ``path``, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def sha256_bytes(data):
    """Hex sha256 of ``data`` (bytes, or str as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def sha256_file(path, chunk_size=CHUNK_SIZE):
    """Hex sha256 of the file at ``path`` read in chunks, or None when it does not exist."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(chunk_size), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()
