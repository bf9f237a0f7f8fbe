# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Change nginx config files safely: swap in, test the whole config, reload, restore on failure.

The new files are written next to the live ones only while an exclusive lock is held; the
complete configuration (``nginx -t``, which reads every included file) must pass before
nginx is reloaded. On any failure every touched file gets its previous bytes back (or is
removed when it did not exist), so the file on disk is the old one and nginx, which was
never reloaded, keeps serving the old configuration.
"""

from __future__ import annotations

import fcntl
import os
import re

from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError

LOCK_PATH = "/run/lock/opsforge-nginx.lock"
_VERSION_RE = re.compile(r"nginx/(\d+(?:\.\d+)*)")
_CONFLICT_RE = re.compile(r"\[warn\].*conflicting server name")


def parse_version(text):
    """``'nginx version: nginx/1.22.1'`` -> ``'1.22.1'`` (``None`` when absent)."""
    match = _VERSION_RE.search(text or "")
    return match.group(1) if match else None


def normalize_file(spec):
    """One desired file: dict(path, content, state, mode) -> a tidy dict."""
    path = spec.get("path")
    if not path or not os.path.isabs(path):
        raise PanelError("every file needs an absolute path (got %r)" % (path,))
    state = spec.get("state") or "present"
    content = spec.get("content")
    if state == "present" and content is None:
        raise PanelError("file %s: content is required when state=present" % path)
    return dict(path=path, state=state, content=panel_files.to_bytes(content) if state == "present" else None,
                mode=panel_files.parse_mode(spec.get("mode")))


class NginxConfig:
    """Apply a set of nginx files as one transaction.

    ``run`` is ``module.run_command`` (or a fake in unit tests): ``run(argv) -> (rc, out, err)``.
    """

    def __init__(self, run, nginx_bin="nginx", systemctl_bin="systemctl", service="nginx", lock_path=LOCK_PATH):
        self.run = run
        self.nginx_bin = nginx_bin
        self.systemctl_bin = systemctl_bin
        self.service = service
        self.lock_path = lock_path

    # -- describe -------------------------------------------------------------------------
    def version(self):
        rc, out, err = self.run([self.nginx_bin, "-v"])
        return parse_version((err or "") + (out or ""))

    @staticmethod
    def plan(desired):
        """Return the files whose bytes (or presence) differ from ``desired``."""
        changes = []
        for spec in desired:
            before = panel_files.read_bytes(spec["path"])
            mode_before = panel_files.file_mode(spec["path"])
            after = spec["content"]
            if before == after and (after is None or mode_before == "0%o" % spec["mode"]):
                continue
            changes.append(dict(spec, before=before))
        return changes

    # -- act ------------------------------------------------------------------------------
    def test(self):
        """``nginx -t``; a warning that a server name is claimed twice counts as a failure (nginx ignores one)."""
        rc, out, err = self.run([self.nginx_bin, "-t", "-q"])
        output = ((err or "") + (out or "")).strip()
        return rc == 0 and not _CONFLICT_RE.search(output), output

    def is_active(self):
        rc, out, err = self.run([self.systemctl_bin, "is-active", "--quiet", self.service])
        return rc == 0

    def reload(self):
        action = "reload" if self.is_active() else "start"
        rc, out, err = self.run([self.systemctl_bin, action, self.service])
        if rc != 0:
            return False, "systemctl %s %s failed: %s" % (action, self.service, ((err or "") + (out or "")).strip())
        return True, action

    def _restore(self, changes):
        for change in changes:
            panel_files.restore(change["path"], change["before"], change["mode"])

    def apply(self, desired, reload=True, check_mode=False):
        """Apply ``desired`` (normalized files). Returns ``(changes, action)``; raises PanelError.

        In check mode ``action`` is the reload (or start) a real run would do.
        """
        changes = self.plan(desired)
        if not changes:
            return changes, None
        if check_mode:
            return changes, (("reload" if self.is_active() else "start") if reload else None)
        lock_dir = os.path.dirname(self.lock_path)
        if not os.path.isdir(lock_dir):
            os.makedirs(lock_dir, 0o755)
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                return changes, self._apply_locked(changes, reload)
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _apply_locked(self, changes, reload):
        written = []
        try:
            for change in changes:
                written.append(change)
                if change["content"] is None:
                    panel_files.remove(change["path"])
                else:
                    panel_files.write_atomic(change["path"], change["content"], change["mode"])
        except PanelError:
            self._restore(written)
            raise
        ok, output = self.test()
        if not ok:
            self._restore(changes)
            raise PanelError(
                "nginx -t rejected the new configuration; the previous files were restored and nginx "
                "keeps serving the old configuration: %s" % output,
                details=dict(nginx_test_output=output, files=[c["path"] for c in changes], rejected_files=_rejected(changes)),
            )
        if not reload:
            return None
        ok, action = self.reload()
        if not ok:
            self._restore(changes)
            self.reload()
            raise PanelError("%s; the previous files were restored" % action,
                             details=dict(files=[c["path"] for c in changes]))
        return action


def _rejected(changes):
    """The files nginx rejected, as they were (so the failed attempt can be kept as it was)."""
    return [dict(path=c["path"], content=None if c["content"] is None else c["content"].decode("utf-8", "replace"))
            for c in changes]


def diff_for(changes):
    """Ansible diff list (one entry per file) for ``changes``."""
    out = []
    for change in changes:
        before = change["before"]
        after = change["content"]
        out.append(dict(
            before_header=change["path"], after_header=change["path"],
            before="" if before is None else before.decode("utf-8", "replace"),
            after="" if after is None else after.decode("utf-8", "replace"),
        ))
    return out
