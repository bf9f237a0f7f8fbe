# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The host-wide view of what the panel publishes: each server name and certificate name has one owner app.

The registry is a JSON file (``/var/lib/opsforge/panel/claims.json``)::

    {"names": {"shop.example.com": "shop"}, "certificates": {"shop.example.com": "shop"}}

changed only under an exclusive lock. Site files that opsforge wrote before the registry existed
(``# Managed by opsforge.infra`` in ``<conf_dir>/<app>.conf``) count as well: their ``server_name``
and ``ssl_certificate`` lines are owned by ``<app>``. Names compare case-insensitively.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import re

from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError

REGISTRY = "/var/lib/opsforge/panel/claims.json"
CONF_DIR = "/etc/nginx/conf.d"
_MARK = "Managed by opsforge.infra"
_SERVER_NAME_RE = re.compile(r"^\s*server_name\s+([^;]+);", re.M)
_CERT_RE = re.compile(r"^\s*ssl_certificate\s+(\S+?)\.crt\s*;", re.M)


def scan_site_files(conf_dir):
    """``{app: (names, certificate names)}`` read from the opsforge-managed site files in ``conf_dir``."""
    out = {}
    for path in sorted(glob.glob(os.path.join(conf_dir, "*.conf"))):
        text = (panel_files.read_bytes(path) or b"").decode("utf-8", "replace")
        if _MARK not in text:
            continue
        names = {n.lower() for line in _SERVER_NAME_RE.findall(text) for n in line.split()}
        certs = {os.path.basename(c) for c in _CERT_RE.findall(text)}
        out[os.path.basename(path)[:-len(".conf")]] = (names, certs)
    return out


class Claims:
    def __init__(self, path=REGISTRY, conf_dir=CONF_DIR):
        self.path = path
        self.conf_dir = conf_dir

    @contextlib.contextmanager
    def _locked(self):
        try:
            os.makedirs(os.path.dirname(self.path), 0o755, exist_ok=True)
            handle = open(self.path + ".lock", "a")
        except OSError as exc:
            raise PanelError("cannot lock %s: %s" % (self.path, exc), cause=exc)
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def registry(self):
        data = panel_files.read_bytes(self.path)
        if data is None:
            return dict(names={}, certificates={})
        try:
            loaded = json.loads(data)
        except ValueError as exc:
            raise PanelError("%s is not valid JSON: %s" % (self.path, exc), cause=exc)
        return dict(names=dict(loaded.get("names") or {}), certificates=dict(loaded.get("certificates") or {}))

    def view(self):
        """The registry plus what the managed site files publish (the registry wins)."""
        reg = self.registry()
        names, certs = {}, {}
        for app, (site_names, site_certs) in scan_site_files(self.conf_dir).items():
            names.update({n: app for n in site_names})
            certs.update({c: app for c in site_certs})
        names.update(reg["names"])
        certs.update(reg["certificates"])
        return dict(names=names, certificates=certs)

    def _write(self, reg):
        text = json.dumps(dict(names=dict(sorted(reg["names"].items())), certificates=dict(sorted(reg["certificates"].items()))),
                          indent=2) + "\n"
        panel_files.write_atomic(self.path, text.encode(), 0o644)

    def claim(self, app, names, certificate=None, check_mode=False):
        """Make ``app`` the owner of exactly ``names`` (and ``certificate``). Raises PanelError naming the owner on a clash.

        Returns ``(changed, {"names": [...], "certificate": ...})``.
        """
        wanted = sorted({n.lower() for n in names})
        with self._locked():
            view = self.view()
            clashes = ["%s (served by app %s)" % (n, view["names"][n]) for n in wanted if view["names"].get(n, app) != app]
            if certificate and view["certificates"].get(certificate, app) != app:
                clashes.append("certificate %s (owned by app %s)" % (certificate, view["certificates"][certificate]))
            if clashes:
                raise PanelError("app %s cannot claim %s: each name and certificate has one owner on this host. Remove it from "
                                 "the other app first, or choose other names. Nothing was changed." % (app, "; ".join(clashes)),
                                 details=dict(conflicts=clashes))
            reg = self.registry()
            new = dict(names={n: a for n, a in reg["names"].items() if a != app},
                       certificates={c: a for c, a in reg["certificates"].items() if a != app})
            new["names"].update({n: app for n in wanted})
            if certificate:
                new["certificates"][certificate] = app
            changed = new != reg
            if changed and not check_mode:
                self._write(new)
        return changed, dict(names=wanted, certificate=certificate)

    def claim_many(self, specs, check_mode=False):
        """Claim for several apps at once, all or nothing: ``specs`` is a list of ``dict(app, names, certificate)``.

        A clash with another app on the host, or between two apps of ``specs``, raises PanelError naming the owner before
        anything is written. Returns whether the registry changed.
        """
        with self._locked():
            view = self.view()
            mine = {s["app"] for s in specs}
            wanted, certs, clashes = {}, {}, []
            for spec in specs:
                app = spec["app"]
                items = [(wanted, view["names"], n, "%s") for n in sorted({n.lower() for n in spec["names"]})]
                if spec.get("certificate"):
                    items.append((certs, view["certificates"], spec["certificate"], "certificate %s"))
                for taken, owners, key, what in items:
                    first = taken.setdefault(key, app)
                    if first != app:
                        clashes.append((what + " (listed by app %s and app %s)") % (key, first, app))
                    elif owners.get(key, app) != app:
                        clashes.append((what + " (owned by app %s)") % (key, owners[key]))
            if clashes:
                raise PanelError("cannot claim %s: each name and certificate has one owner on this host. Remove it from the other "
                                 "app first, or choose other names. Nothing was changed." % "; ".join(clashes),
                                 details=dict(conflicts=clashes))
            reg = self.registry()
            new = dict(names={n: a for n, a in reg["names"].items() if a not in mine},
                       certificates={c: a for c, a in reg["certificates"].items() if a not in mine})
            new["names"].update(wanted)
            new["certificates"].update(certs)
            changed = new != reg
            if changed and not check_mode:
                self._write(new)
        return changed

    def release(self, app, certificate=None, check_mode=False):
        """Drop ``app``'s claims. Returns ``(changed, remove_certificate, reason)``.

        The certificate may go only when no other app owns it or refers to it in its site file.
        """
        with self._locked():
            reg = self.registry()
            owner = reg["certificates"].get(certificate)
            users = sorted(a for a, (_n, certs) in scan_site_files(self.conf_dir).items() if certificate in certs and a != app)
            if owner not in (None, app):
                remove, reason = False, "certificate %s is owned by app %s" % (certificate, owner)
            elif users:
                remove, reason = False, "certificate %s is still used by app %s" % (certificate, ", ".join(users))
            else:
                remove, reason = bool(certificate), ""
            new = dict(names={n: a for n, a in reg["names"].items() if a != app},
                       certificates={c: a for c, a in reg["certificates"].items() if a != app})
            changed = new != reg
            if changed and not check_mode:
                self._write(new)
        return changed, remove, reason
