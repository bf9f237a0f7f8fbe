# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""systemd unit files: verify offline with ``systemd-analyze verify``, then install atomically."""

from __future__ import annotations

import os
import re
import shutil
import tempfile

from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError

UNIT_SUFFIXES = (".service", ".socket", ".timer", ".path", ".mount", ".target")
_NAME_RE = re.compile(r"^[A-Za-z0-9:_.@-]+$")


def unit_name(name):
    """Validate a unit name and add ``.service`` when it has no unit suffix."""
    if not name or not _NAME_RE.match(name):
        raise PanelError("invalid unit name %r: use letters, digits and :_.@-" % (name,))
    if not name.endswith(UNIT_SUFFIXES):
        name += ".service"
    return name


def verify(run, name, content, systemd_analyze="systemd-analyze"):
    """Run ``systemd-analyze verify`` on ``content`` staged as ``<tmp>/<name>``.

    Returns ``(ok, output)``. The staged file carries the real unit name (systemd-analyze
    needs the suffix); nothing under /etc is touched.
    """
    tmpdir = tempfile.mkdtemp(prefix="opsforge-unit-")
    try:
        staged = os.path.join(tmpdir, name)
        panel_files.write_atomic(staged, panel_files.to_bytes(content), 0o644)
        rc, out, err = run([systemd_analyze, "verify", "--man=no", staged])
        output = ((err or "") + (out or "")).strip()
        return rc == 0, output
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def unit_state(run, name, systemctl="systemctl"):
    """``dict(active_state, sub_state, unit_file_state)`` of ``name`` from ``systemctl show``
    (values ``None`` when systemd cannot be asked), so a role can skip a start/enable that
    would change nothing."""
    state = dict(active_state=None, sub_state=None, unit_file_state=None)
    try:
        rc, out, _err = run([systemctl, "show", name, "--property=ActiveState,SubState,UnitFileState"])
    except OSError:
        return state
    if rc != 0:
        return state
    keys = dict(ActiveState="active_state", SubState="sub_state", UnitFileState="unit_file_state")
    for line in (out or "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key in keys:
            state[keys[key]] = value.strip() or None
    return state


class UnitFile:
    def __init__(self, run, directory="/etc/systemd/system", systemd_analyze="systemd-analyze"):
        self.run = run
        self.directory = directory
        self.systemd_analyze = systemd_analyze

    def path(self, name):
        return os.path.join(self.directory, name)

    def describe(self, name):
        path = self.path(name)
        data = panel_files.read_bytes(path)
        if data is None:
            return None
        return dict(name=name, path=path, sha256=panel_files.sha256_bytes(data), content=data.decode("utf-8", "replace"))

    def ensure(self, name, content, state="present", validate=True, check_mode=False):
        """Return ``(before, after)`` descriptions; raise PanelError when the unit does not verify."""
        name = unit_name(name)
        before = self.describe(name)
        path = self.path(name)
        if state == "absent":
            if before is not None and not check_mode:
                panel_files.remove(path)
            return before, None
        if content is None or not content.strip():
            raise PanelError("unit %s: content is empty" % name)
        if not content.endswith("\n"):
            content += "\n"
        if validate:
            ok, output = verify(self.run, name, content, self.systemd_analyze)
            if not ok:
                raise PanelError("systemd-analyze verify rejected %s; nothing was installed: %s" % (name, output),
                                 details=dict(verify_output=output))
        after = dict(name=name, path=path, sha256=panel_files.sha256_bytes(content.encode("utf-8")), content=content)
        if (before is None or before["sha256"] != after["sha256"]) and not check_mode:
            panel_files.write_atomic(path, content.encode("utf-8"), 0o644)
        return before, after
