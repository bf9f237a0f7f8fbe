# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The release ledger of one app: ``<root>/<app>/<n>/manifest.json`` plus a copy of each file.

Layout::

    <root>/<app>/current          number of the live release (the last good one)
    <root>/<app>/last             number of the last recorded attempt (good or failed)
    <root>/<app>/history.jsonl    one JSON line per publish / rollback
    <root>/<app>/<n>/manifest.json
    <root>/<app>/<n>/files/<i>    the bytes of manifest["files"][i]

A manifest holds the files (path, sha256, mode, size, existed), the certificate (serial,
expiry), when, who, the result and free-form ``meta`` (unit name, domains, ...).

Secret files (``secret_files``) are never copied and never hashed plainly: their entry has
``secret: true``, no sha256 and no size, and a ``fingerprint`` - an HMAC-SHA256 keyed with a
random per-app key (``<root>/<app>/.secret-key``, 0600) - so an unchanged secret is still
recognised. A rollback leaves secret files as they are.

Every change happens under an exclusive lock on ``<root>/<app>/.lock``, and a release
directory is created with ``mkdir`` (which fails when it exists), so release numbers are
unique however many writers run at once.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import hmac
import json
import os
import re
import shutil

from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError

_APP_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
RESULTS = ("success", "failed")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_app_name(app):
    if not app or not _APP_RE.match(app):
        raise PanelError("invalid app name %r: use letters, digits, '_', '.', '-'" % (app,))
    return app


class Ledger:
    def __init__(self, root, app):
        self.root = root
        self.app = check_app_name(app)
        self.base = os.path.join(root, app)

    # -- describe -------------------------------------------------------------------------
    def releases(self):
        if not os.path.isdir(self.base):
            return []
        return sorted(int(n) for n in os.listdir(self.base) if n.isdigit() and os.path.isfile(self._manifest_path(int(n))))

    def _manifest_path(self, number):
        return os.path.join(self.base, str(number), "manifest.json")

    def manifest(self, number):
        path = self._manifest_path(number)
        try:
            with open(path) as handle:
                return json.load(handle)
        except FileNotFoundError:
            raise PanelError("app %s has no release %s (releases: %s)" % (self.app, number, self.releases() or "none"))
        except ValueError as exc:
            raise PanelError("the manifest %s is not valid JSON: %s" % (path, exc), cause=exc)

    def _pointer(self, name):
        data = panel_files.read_bytes(os.path.join(self.base, name))
        if data is None or not data.strip().isdigit():
            return None
        return int(data.strip())

    def current(self):
        return self._pointer("current")

    def last(self):
        return self._pointer("last")

    def describe(self):
        numbers = self.releases()
        return dict(app=self.app, path=self.base, current=self.current(), last=self.last(), releases=numbers,
                    manifests=[self.manifest(n) for n in numbers])

    @contextlib.contextmanager
    def locked(self):
        """Hold the ledger's exclusive lock (every writer of this app's ledger takes it)."""
        try:
            os.makedirs(self.base, 0o755, exist_ok=True)
            handle = open(os.path.join(self.base, ".lock"), "a")
        except OSError as exc:
            raise PanelError("cannot lock the ledger of %s: %s" % (self.app, exc), cause=exc)
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _secret_key(self, create):
        path = os.path.join(self.base, ".secret-key")
        key = panel_files.read_bytes(path)
        if key is None and create:
            key = os.urandom(32)
            panel_files.write_atomic(path, key, 0o600)
        return key

    def inputs_fingerprint(self, inputs, create_key=False):
        """HMAC-SHA256 (key of this app's ledger) of ``inputs`` as canonical JSON: never a plain hash of what may hold secrets.

        ``None`` when the ledger has no key yet and ``create_key`` is false.
        """
        key = self._secret_key(create_key)
        if key is None:
            return None
        if isinstance(inputs, str):  # JSON text (how modules get it, so no_log masks one string, not every value in it)
            try:
                inputs = json.loads(inputs)
            except ValueError:
                pass
        text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
        return "hmac-sha256:" + hmac.new(key, text, hashlib.sha256).hexdigest()

    def remember_inputs(self, inputs, release):
        """Note that the live ``release`` came from ``inputs`` (a cache read by panel_apps to skip unchanged apps)."""
        record = dict(release=release, fingerprint=self.inputs_fingerprint(inputs, create_key=True))
        panel_files.write_atomic(os.path.join(self.base, "inputs.json"), (json.dumps(record) + "\n").encode(), 0o600)

    def remembered_inputs(self):
        """``dict(release, fingerprint)`` written by remember_inputs, or ``None``."""
        data = panel_files.read_bytes(os.path.join(self.base, "inputs.json"))
        try:
            return json.loads(data) if data else None
        except ValueError:
            return None

    def capture(self, paths, secret_files=(), create_key=True, contents=None):
        """Read the files now on disk: list of (entry, bytes-or-None). Secret files carry no copy and no plain hash.

        ``contents`` (path -> text, ``None`` for absent) replaces what is on disk, for an attempt that was rejected and undone.
        """
        out = []
        seen = set()
        secrets = set(secret_files or ())
        for path in paths:
            if not path or not os.path.isabs(path):
                raise PanelError("every recorded file needs an absolute path (got %r)" % (path,))
            if path in seen:
                continue
            seen.add(path)
            data = panel_files.to_bytes(contents[path]) if path in (contents or {}) else panel_files.read_bytes(path)
            entry = dict(path=path, existed=data is not None,
                         sha256=None if data is None else panel_files.sha256_bytes(data),
                         size=None if data is None else len(data), mode=panel_files.file_mode(path))
            if path in secrets:
                key = self._secret_key(create_key) or b""
                entry.update(secret=True, sha256=None, size=None,
                             fingerprint=None if data is None else "hmac-sha256:" + hmac.new(key, data, hashlib.sha256).hexdigest())
                data = None
            out.append((entry, data))
        return out

    def _next_number(self):
        """Allocate the next release directory (mkdir fails when another writer took the number)."""
        taken = [int(n) for n in os.listdir(self.base) if n.isdigit()] if os.path.isdir(self.base) else []
        number = max(taken or [0]) + 1
        while True:
            try:
                os.mkdir(os.path.join(self.base, str(number)), 0o700)
                return number
            except FileExistsError:
                number += 1
            except OSError as exc:
                raise PanelError("cannot create release %s of %s: %s" % (number, self.app, exc), cause=exc)

    # -- act ------------------------------------------------------------------------------
    def record(self, paths, result="success", who=None, meta=None, certificate=None, keep=5, check_mode=False, now=None,
               secret_files=(), contents=None):
        """Record the files now on disk as a new release unless the live one already matches.

        Returns ``(changed, manifest, pruned)``.
        """
        if result not in RESULTS:
            raise PanelError("result must be one of %s" % ", ".join(RESULTS))
        if check_mode:
            return self._record(paths, result, who, meta, certificate, keep, True, now, secret_files, contents)
        with self.locked():
            return self._record(paths, result, who, meta, certificate, keep, False, now, secret_files, contents)

    @staticmethod
    def _same_files(live, entries):
        def key(f):
            return (f["path"], f.get("sha256"), f.get("fingerprint"))
        return [key(f) for f in live.get("files", [])] == [key(e) for e in entries]

    def _record(self, paths, result, who, meta, certificate, keep, check_mode, now, secret_files, contents):  # pylint: disable=too-many-arguments
        captured = self.capture(paths, secret_files, create_key=not check_mode, contents=contents)
        entries = [entry for entry, _data in captured]
        current = self.current()
        if result == "success" and current is not None:
            live = self.manifest(current)
            same_cert = (live.get("certificate") or {}).get("serial") == (certificate or {}).get("serial")
            if self._same_files(live, entries) and same_cert and live.get("meta", {}) == (meta or {}):
                return False, live, []
        manifest = dict(app=self.app, release=None, time=now or utcnow(), who=who or "unknown", result=result,
                        files=entries, certificate=certificate, meta=meta or {})
        if check_mode:
            numbers = self.releases()
            manifest["release"] = (numbers[-1] if numbers else 0) + 1
            return True, manifest, []
        number = manifest["release"] = self._next_number()
        files_dir = os.path.join(self.base, str(number), "files")
        os.makedirs(files_dir, 0o700, exist_ok=True)
        for index, (_entry, data) in enumerate(captured):
            if data is not None:
                panel_files.write_atomic(os.path.join(files_dir, str(index)), data, 0o600)
        panel_files.write_atomic(self._manifest_path(number), (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode(), 0o644)
        panel_files.write_atomic(os.path.join(self.base, "last"), ("%d\n" % number).encode(), 0o644)
        if result == "success":
            panel_files.write_atomic(os.path.join(self.base, "current"), ("%d\n" % number).encode(), 0o644)
        self._history(dict(time=manifest["time"], who=manifest["who"], action="publish", release=number, result=result))
        pruned = self.prune(keep)
        return True, manifest, pruned

    def resolve(self, to):
        """``to`` is a release number, ``'previous'`` or ``'current'``."""
        current = self.current()
        if to in (None, "", "previous"):
            if current is None:
                raise PanelError("app %s has no live release to roll back from" % self.app)
            good = [n for n in self.releases() if n < current and self.manifest(n).get("result") == "success"]
            if not good:
                raise PanelError("app %s: release %s is the oldest good release; there is nothing to roll back to" % (self.app, current))
            return good[-1]
        if to == "current":
            if current is None:
                raise PanelError("app %s has no live (successful) release to go back to" % self.app)
            return current
        try:
            number = int(to)
        except (TypeError, ValueError):
            raise PanelError("rollback target must be a release number, 'previous' or 'current' (got %r)" % (to,))
        manifest = self.manifest(number)
        if manifest.get("result") != "success":
            raise PanelError("release %s of %s was a failed publish; roll back to a successful release" % (number, self.app))
        return number

    def rollback(self, to=None, who=None, check_mode=False):
        """Rewrite exactly the files of the target release (secret files stay as they are).

        Returns ``(changed, manifest, changed_files)``.
        """
        if check_mode:
            return self._rollback(to, who, True)
        with self.locked():
            return self._rollback(to, who, False)

    def _rollback(self, to, who, check_mode):
        number = self.resolve(to)
        manifest = self.manifest(number)
        changed_files = []
        for index, entry in enumerate(manifest.get("files", [])):
            path = entry["path"]
            if entry.get("secret"):
                continue
            disk_sha = panel_files.sha256_file(path)
            if entry.get("existed", True):
                stored = os.path.join(self.base, str(number), "files", str(index))
                data = panel_files.read_bytes(stored)
                if data is None or panel_files.sha256_bytes(data) != entry["sha256"]:
                    raise PanelError("release %s of %s is damaged: the copy of %s is missing or altered" % (number, self.app, path))
                if disk_sha != entry["sha256"] or panel_files.file_mode(path) != entry.get("mode"):
                    changed_files.append(path)
                    if not check_mode:
                        panel_files.write_atomic(path, data, panel_files.parse_mode(entry.get("mode")))
            elif disk_sha is not None:
                changed_files.append(path)
                if not check_mode:
                    panel_files.remove(path)
        pointer_changed = self.current() != number
        changed = bool(changed_files) or pointer_changed
        if changed and not check_mode:
            panel_files.write_atomic(os.path.join(self.base, "current"), ("%d\n" % number).encode(), 0o644)
            self._history(dict(time=utcnow(), who=who or "unknown", action="rollback", release=number, files=changed_files))
        return changed, manifest, changed_files

    def prune(self, keep):
        """Delete the oldest releases beyond ``keep``; never the live one. Returns the numbers removed."""
        if keep is None or keep < 1:
            return []
        numbers = self.releases()
        current = self.current()
        removable = [n for n in numbers if n != current]
        excess = len(numbers) - keep
        pruned = removable[:max(0, excess)]
        for number in pruned:
            shutil.rmtree(os.path.join(self.base, str(number)), ignore_errors=True)
        return pruned

    def _history(self, event):
        os.makedirs(self.base, 0o755, exist_ok=True)
        with open(os.path.join(self.base, "history.jsonl"), "a") as handle:
            handle.write(json.dumps(event, sort_keys=True) + "\n")


def normalize_manifest(manifest):
    """The manifest as returned to the user (files without their bytes)."""
    if manifest is None:
        return None
    out = dict(manifest)
    out["files"] = [dict(f) for f in manifest.get("files", [])]
    return out
