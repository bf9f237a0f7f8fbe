# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Guarded, lazy imports of optional SDKs.

``LazyLibrary("oss2")`` imports nothing until first used. ``require(module)`` imports it
and, when that fails, fails the module with ``missing_required_lib()`` and the original
traceback, so users see which pip package to install.
"""

from __future__ import annotations

import importlib
import traceback

from ansible.module_utils.basic import missing_required_lib


class LazyLibrary:
    """A Python library imported on first use, remembering the import error if any."""

    def __init__(self, import_name, pip_name=None, url=None):
        self.import_name = import_name
        self.pip_name = pip_name or import_name
        self.url = url
        self._module = None
        self._error = None
        self._tried = False

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

    def require(self, module):
        """Return the imported library or fail ``module`` with a clear message."""
        lib = self._load()
        if lib is None:
            module.fail_json(msg=missing_required_lib(self.pip_name, url=self.url), exception=self._error)
        return lib

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        lib = self._load()
        if lib is None:
            raise ImportError("%s is required: pip install %s" % (self.import_name, self.pip_name))
        return getattr(lib, name)
