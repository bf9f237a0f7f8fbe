# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Read a PEM certificate's serial, expiry and names with the ``openssl`` command (no Python deps)."""

from __future__ import annotations

import datetime
import os

from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError


def _parse_time(value):
    # "Nov 23 00:12:29 2031 GMT"
    value = " ".join(value.split())
    return datetime.datetime.strptime(value, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=datetime.timezone.utc)


def parse_x509_text(text):
    """Parse ``openssl x509 -noout -serial -enddate -subject -issuer`` output."""
    info = {}
    for line in (text or "").splitlines():
        if "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip().lower()
        if key == "serial":
            info["serial"] = value.strip().upper()
        elif key == "notafter":
            info["not_after"] = _parse_time(value.strip())
        elif key == "subject":
            info["subject"] = value.strip()
        elif key == "issuer":
            info["issuer"] = value.strip()
    if "serial" not in info or "not_after" not in info:
        raise PanelError("cannot parse the certificate (openssl said: %s)" % (text or "").strip()[:300])
    return info


def certificate_info(run, path, now=None, openssl="openssl"):
    """Return a JSON-safe dict for the certificate at ``path``, or ``None`` when it is missing."""
    if not path or not os.path.exists(path):
        return None
    rc, out, err = run([openssl, "x509", "-in", path, "-noout", "-serial", "-enddate", "-subject", "-issuer"])
    if rc != 0:
        raise PanelError("openssl cannot read %s: %s" % (path, (err or out or "").strip()))
    info = parse_x509_text(out)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_after = info["not_after"]
    return dict(
        path=path,
        serial=info["serial"],
        not_after=not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        days_left=int((not_after - now).total_seconds() // 86400),
        subject=info.get("subject"),
        issuer=info.get("issuer"),
    )
