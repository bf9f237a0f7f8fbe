# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Small file helpers: read, hash, write atomically, restore."""

from __future__ import annotations

import os

from ansible_collections.opsforge.infra.plugins.module_utils._common import files as common_files
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError


def read_bytes(path):
    """Return the bytes of path or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PanelError("cannot read %s: %s" % (path, exc), cause=exc)


sha256_bytes = common_files.sha256_bytes


def sha256_file(path):
    """``_common.files.sha256_file`` with its OSError turned into a PanelError."""
    try:
        return common_files.sha256_file(path)
    except OSError as exc:
        raise PanelError("cannot read %s: %s" % (path, exc), cause=exc)


def to_bytes(content):
    if content is None:
        return None
    if isinstance(content, bytes):
        return content
    return content.encode("utf-8")


def file_mode(path):
    try:
        return "0%o" % (os.stat(path).st_mode & 0o7777)
    except FileNotFoundError:
        return None


def write_atomic(path, data, mode=0o644):
    """``_common.files.atomic_write`` with its OSError turned into a PanelError."""
    try:
        common_files.atomic_write(path, data, mode)
    except OSError as exc:
        raise PanelError("cannot write %s: %s" % (path, exc), cause=exc)


def remove(path):
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise PanelError("cannot remove %s: %s" % (path, exc), cause=exc)


def restore(path, data, mode=0o644):
    """Put back what read_bytes() returned before a change (None removes the file)."""
    if data is None:
        remove(path)
    else:
        write_atomic(path, data, mode)


def parse_mode(value, default=0o644):
    if value is None or value == "":
        return default
    if isinstance(value, int):
        return value
    try:
        return int(str(value), 8)
    except ValueError:
        raise PanelError("invalid file mode %r: give an octal string such as '0644'" % (value,))
