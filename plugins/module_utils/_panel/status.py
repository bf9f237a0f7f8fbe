# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Collect the state of every app in the release ledger and render it as a table."""

from __future__ import annotations

import os
import re

from ansible_collections.opsforge.infra.plugins.module_utils._panel import certs as panel_certs
from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.ledger import Ledger

_SERVER_RE = re.compile(r"^\s*server\s+([^\s;]+)", re.M)
_SERVER_NAME_RE = re.compile(r"^\s*server_name\s+([^;]+);", re.M)

COLUMNS = (
    ("app", "APP"),
    ("unit_state", "UNIT"),
    ("domains", "DOMAINS"),
    ("upstreams", "UPSTREAMS"),
    ("cert_expiry", "CERT EXPIRES"),
    ("cert_days_left", "DAYS"),
    ("current_release", "LIVE"),
    ("last_result", "LAST PUBLISH"),
)


def parse_upstreams(text):
    return _SERVER_RE.findall(text or "")


def parse_server_names(text):
    names = []
    for match in _SERVER_NAME_RE.findall(text or ""):
        for name in match.split():
            if name not in names and name != "_":
                names.append(name)
    return names


def unit_state(run, unit, systemctl="systemctl"):
    if not unit:
        return dict(active_state=None, sub_state=None, unit_file_state=None)
    rc, out, err = run([systemctl, "show", unit, "--property=ActiveState,SubState,UnitFileState"])
    props = {}
    for line in (out or "").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            props[key] = value
    return dict(active_state=props.get("ActiveState"), sub_state=props.get("SubState"), unit_file_state=props.get("UnitFileState") or None)


def app_status(run, root, app):
    ledger = Ledger(root, app)
    current = ledger.current()
    last = ledger.last()
    manifest = ledger.manifest(current) if current is not None else None
    last_manifest = ledger.manifest(last) if last is not None else None
    ref = manifest or last_manifest or {}
    meta = ref.get("meta") or {}
    unit = meta.get("unit")
    site_conf = meta.get("site_conf")
    upstream_conf = meta.get("upstream_conf")
    site_text = (panel_files.read_bytes(site_conf) or b"").decode("utf-8", "replace") if site_conf else ""
    upstream_text = (panel_files.read_bytes(upstream_conf) or b"").decode("utf-8", "replace") if upstream_conf else ""
    cert_path = (ref.get("certificate") or {}).get("path") or meta.get("certificate_path")
    try:
        cert = panel_certs.certificate_info(run, cert_path)
    except PanelError as exc:
        cert = dict(path=cert_path, error=exc.msg)
    state = unit_state(run, unit)
    return dict(
        app=app,
        unit=unit,
        unit_state=state["active_state"],
        unit_sub_state=state["sub_state"],
        unit_enabled=state["unit_file_state"],
        domains=parse_server_names(site_text) or list(meta.get("domains") or []),
        upstreams=parse_upstreams(upstream_text),
        site_conf=site_conf if site_conf and os.path.exists(site_conf) else None,
        certificate=cert,
        current_release=current,
        last_release=last,
        last_result=(last_manifest or {}).get("result"),
        last_publish_time=(last_manifest or {}).get("time"),
        last_publish_who=(last_manifest or {}).get("who"),
        releases=ledger.releases(),
    )


def collect(run, root, apps=None):
    if apps:
        names = list(apps)
    elif os.path.isdir(root):
        names = sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    else:
        names = []
    return [app_status(run, root, name) for name in names]


def _cell(status, key):
    if key == "domains":
        return ",".join(status["domains"]) or "-"
    if key == "upstreams":
        return ",".join(status["upstreams"]) or "-"
    if key == "cert_expiry":
        cert = status.get("certificate") or {}
        return (cert.get("not_after") or "-")[:10]
    if key == "cert_days_left":
        cert = status.get("certificate") or {}
        return "-" if cert.get("days_left") is None else str(cert["days_left"])
    if key == "current_release":
        return "-" if status["current_release"] is None else str(status["current_release"])
    if key == "last_result":
        if status["last_release"] is None:
            return "-"
        return "%s (#%s)" % (status["last_result"], status["last_release"])
    value = status.get(key)
    return "-" if value in (None, "") else str(value)


def table(statuses):
    """A fixed-width text table (list of lines)."""
    rows = [[title for _key, title in COLUMNS]]
    for status in statuses:
        rows.append([_cell(status, key) for key, _title in COLUMNS])
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    if not statuses:
        lines.append("(no apps published on this host)")
    return lines
