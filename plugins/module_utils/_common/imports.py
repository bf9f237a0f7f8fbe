# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Guarded, lazy imports of optional SDKs, and the one check of their presence and version.

``LazyLibrary("oss2")`` imports nothing until first used. Modules check it with
``module.require(OSS2)`` (:mod:`._common.module`): when the library is missing or older than its
floor in :data:`MINIMUM_VERSIONS` (the same floors as ``requirements.txt``), the module fails with a
message naming the pip package and the minimum version, before doing anything else.
"""

from __future__ import annotations

import importlib
import re
import traceback

try:
    from importlib import metadata as _metadata
except ImportError:  # pragma: no cover - Python < 3.8
    _metadata = None

from ansible.module_utils.basic import missing_required_lib

# pip package -> lowest version we support. Keep in step with requirements.txt (a unit test checks).
MINIMUM_VERSIONS = {
    "kubernetes": "29",
    "docker": "7.0",
    "oss2": "2.18",
    "tablestore": "6.0",
    "alibabacloud-tea-openapi": "0.3.9",
    "alibabacloud-fc20230330": "4.0",
    "alibabacloud-ram20150501": "1.0",
    "matplotlib": "3.7",
    "nvidia-ml-py": "12.535",
}


def version_tuple(text):
    """``"2.10.1rc1"`` -> ``(2, 10, 1)``: the leading dotted numbers of a version string."""
    found = re.match(r"\s*v?(\d+(?:\.\d+)*)", str(text or ""))
    if not found:
        return ()
    numbers = [int(part) for part in found.group(1).split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


class LazyLibrary:
    """A Python library imported on first use, remembering the import error if any."""

    def __init__(self, import_name, pip_name=None, url=None):
        self.import_name = import_name
        self.pip_name = pip_name or import_name
        self.url = url
        self._module = None
        self._error = None
        self._tried = False

    def load(self):
        """The imported library, or None when it cannot be imported."""
        return self._load()

    def _load(self):
        if not self._tried:
            self._tried = True
            try:
                self._module = importlib.import_module(self.import_name)
            except ImportError:
                self._error = traceback.format_exc()
        return self._module

    @property
    def available(self):
        return self._load() is not None

    @property
    def error(self):
        self._load()
        return self._error

    @property
    def version(self):
        """The installed version (pip metadata, else the module's ``__version__``), or None."""
        if self._load() is None:
            return None
        if _metadata is not None:
            try:
                return _metadata.version(self.pip_name)
            except Exception:  # pylint: disable=broad-except
                pass
        top = importlib.import_module(self.import_name.split(".")[0])
        return getattr(self._module, "__version__", None) or getattr(top, "__version__", None)

    def problem(self, minimum=None):
        """``None`` when usable, else ``(message, traceback or None)`` naming the pip package and floor."""
        minimum = minimum if minimum is not None else MINIMUM_VERSIONS.get(self.pip_name.lower())
        wanted = "%s>=%s" % (self.pip_name, minimum) if minimum else self.pip_name
        if self._load() is None:
            return missing_required_lib(wanted, url=self.url), self._error
        found = self.version
        if minimum and found and version_tuple(found) < version_tuple(minimum):
            return ("%s %s is installed, but this module needs %s or newer: pip install '%s'"
                    % (self.pip_name, found, minimum, wanted)), None
        return None

    def require(self, module, minimum=None):
        """Same as ``module.require(self)``, for code that holds a plain AnsibleModule."""
        from ansible_collections.opsforge.infra.plugins.module_utils._common.module import require
        return require(module, self, minimum=minimum)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        lib = self._load()
        if lib is None:
            raise ImportError("%s is required: pip install %s" % (self.import_name, self.pip_name))
        return getattr(lib, name)
