# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""All of a host's apps in one pass: lock them, claim their names, and tell which ones a publish would change.

An app is *unchanged* when everything a publish would converge already matches its live release:
- the variables it is published with are those the live release was recorded with (an HMAC of them, keyed by the
  app's ledger key, kept in ``<root>/<app>/inputs.json`` by ``release_ledger``);
- every file of the live release's manifest is on disk with the recorded hash (or HMAC fingerprint for a secret
  file) and mode, or absent when it was recorded absent;
- the certificate on disk is the recorded one (serial), its key is there, and it is not due for renewal;
- the unit and nginx are active (and the unit enabled); the app owns its names and certificate in the registry.
Everything else is *pending* and goes through the full publish flow of that app.
"""

from __future__ import annotations

import datetime
import hmac
import os

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._panel import files as panel_files
from ansible_collections.opsforge.infra.plugins.module_utils._panel.certs import certificate_info
from ansible_collections.opsforge.infra.plugins.module_utils._panel.claims import Claims
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.ledger import Ledger, check_app_name
from ansible_collections.opsforge.infra.plugins.module_utils._panel.lock import PublishLock


def unit_states(run, units, systemctl="systemctl"):
    """``{unit: dict(active_state, unit_file_state)}`` for every unit, from one ``systemctl show``."""
    units = sorted(set(units))
    if not units:
        return {}
    rc, out, _err = run([systemctl, "show"] + units + ["--property=Id,ActiveState,UnitFileState"])
    states = {}
    if rc != 0:
        return states
    for block in (out or "").split("\n\n"):
        props = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
        if props.get("Id"):
            states[props["Id"].strip()] = dict(active_state=props.get("ActiveState", "").strip(),
                                               unit_file_state=props.get("UnitFileState", "").strip())
    # systemctl show prints the blocks in the order asked: fall back on it when an Id is an alias
    blocks = [b for b in (out or "").split("\n\n") if b.strip()]
    if len(states) < len(units) and len(blocks) == len(units):
        for unit, block in zip(units, blocks):
            props = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
            states.setdefault(unit, dict(active_state=props.get("ActiveState", ""), unit_file_state=props.get("UnitFileState", "")))
    return states


def _file_reasons(ledger, live, number):
    key = None
    for entry in live.get("files", []):
        path = entry["path"]
        data = panel_files.read_bytes(path)
        if not entry.get("existed", True):
            if data is not None:
                yield "%s exists but release %s has none" % (path, number)
            continue
        if data is None:
            yield "%s is missing" % path
            continue
        if entry.get("secret"):
            key = key if key is not None else (ledger._secret_key(False) or b"")  # pylint: disable=protected-access
            same = entry.get("fingerprint") == "hmac-sha256:" + hmac.new(key, data, "sha256").hexdigest()
        else:
            same = entry.get("sha256") == panel_files.sha256_bytes(data)
        if not same:
            yield "%s differs from release %s" % (path, number)
        elif entry.get("mode") and panel_files.file_mode(path) != entry["mode"]:
            yield "%s has mode %s, release %s has %s" % (path, panel_files.file_mode(path), number, entry["mode"])


def _certificate_reasons(run, spec, live, now):
    recorded = live.get("certificate") or {}
    path = spec.get("certificate_path")
    if not path:
        return
    if spec.get("ask_ca"):
        yield "the renewal decision asks the CA (ARI) or a shifted clock"
        return
    info = certificate_info(run, path, now=now)
    if info is None:
        yield "certificate %s is missing" % path
        return
    if info["serial"] != recorded.get("serial"):
        yield "certificate %s is not the one of the live release" % path
    if info["days_left"] < spec.get("remaining_days", 30):
        yield "certificate %s is due for renewal (%s days left)" % (path, info["days_left"])
    if spec.get("key_path") and not os.path.exists(spec["key_path"]):
        yield "certificate key %s is missing" % spec["key_path"]


def app_reasons(run, spec, root, states, registry, now=None):
    """Why a publish of ``spec`` would change something (empty list: nothing to do)."""
    ledger = Ledger(root, spec["app"])
    number = ledger.current()
    if number is None:
        return ["no live release"]
    remembered = ledger.remembered_inputs() or {}
    if remembered.get("release") != number:
        return ["no record of the variables of release %s" % number]
    if remembered.get("fingerprint") != ledger.inputs_fingerprint(spec.get("inputs")):
        return ["its variables changed since release %s" % number]
    live = ledger.manifest(number)
    reasons = list(_file_reasons(ledger, live, number))
    reasons += list(_certificate_reasons(run, spec, live, now or datetime.datetime.now(datetime.timezone.utc)))
    unit = spec.get("unit") or spec["app"] + ".service"
    state = states.get(unit) or {}
    if state.get("active_state") != "active" or state.get("unit_file_state") != "enabled":
        reasons.append("%s is %s/%s" % (unit, state.get("active_state") or "unknown", state.get("unit_file_state") or "unknown"))
    owned = sorted(n for n, a in registry["names"].items() if a == spec["app"])
    if owned != sorted({n.lower() for n in spec.get("server_names") or []}):
        reasons.append("its names in the registry are %s" % (", ".join(owned) or "none"))
    if spec.get("certificate") and registry["certificates"].get(spec["certificate"]) != spec["app"]:
        reasons.append("it does not own certificate %s in the registry" % spec["certificate"])
    return reasons


def check_apps(run, specs, root, claims, now=None):
    """``[dict(app, unchanged, reasons)]`` for every app of ``specs``, reading systemd once for all of them."""
    states = unit_states(run, [s.get("unit") or s["app"] + ".service" for s in specs] + ["nginx.service"])
    nginx = states.get("nginx.service") or {}
    registry = claims.registry()
    out = []
    for spec in specs:
        reasons = app_reasons(run, spec, root, states, registry, now=now)
        if nginx.get("active_state") != "active":
            reasons.append("nginx is %s" % (nginx.get("active_state") or "unknown"))
        out.append(dict(app=spec["app"], unchanged=not reasons, reasons=reasons))
    return out


def acquire_locks(lock_dir, apps, owner, wait, stale_after):
    """Lock every app (in name order, so two passes never wait on each other crosswise); all or none.

    Returns ``(tokens, took_over)``: ``{app: token}`` and ``{app: previous owner}`` for stale locks taken over.
    """
    tokens, took_over = {}, {}
    try:
        for app in sorted(set(apps)):
            lock = PublishLock(os.path.join(lock_dir, check_app_name(app) + ".lock"), app)
            tokens[app] = lock.acquire(owner, wait=wait, stale_after=stale_after)
            if lock.took_over:
                took_over[app] = lock.took_over
    except PanelError:
        release_locks(lock_dir, tokens)
        raise
    return tokens, took_over


def release_locks(lock_dir, tokens):
    """Give back the locks of ``tokens`` (``{app: token}``); returns the apps whose lock was removed."""
    return sorted(app for app, token in (tokens or {}).items()
                  if token and PublishLock(os.path.join(lock_dir, check_app_name(app) + ".lock"), app).release(token))


def lock_holders(lock_dir, apps):
    """``{app: owner}`` of the apps whose lock another run holds (for check mode, which takes no lock)."""
    out = {}
    for app in apps:
        held = PublishLock(os.path.join(lock_dir, check_app_name(app) + ".lock"), app).holder()
        if held:
            out[app] = held.get("owner")
    return out


# ---- the panel_apps module ----------------------------------------------------------------------------
APPS_SPEC = ArgumentSpec(dict(
    apps=dict(type="list", elements="dict", default=[], options=dict(
        app=dict(type="str", required=True),
        inputs=dict(type="str", no_log=True),
        unit=dict(type="str"),
        server_names=dict(type="list", elements="str", default=[]),
        certificate=dict(type="str"),
        certificate_path=dict(type="path"),
        key_path=dict(type="path", no_log=False),
        remaining_days=dict(type="int", default=30),
        ask_ca=dict(type="bool", default=False),
    )),
    state=dict(type="str", default="checked", choices=["acquired", "checked", "released"]),
    owner=dict(type="str", default="unknown"),
    wait=dict(type="int", default=600),
    stale_after=dict(type="int", default=3600),
    tokens=dict(type="dict", default={}, no_log=False),
    root=dict(type="path", default="/var/lib/opsforge/releases"),
    lock_dir=dict(type="path", default="/run/lock/opsforge-panel"),
    registry=dict(type="path", default="/var/lib/opsforge/panel/claims.json"),
    conf_dir=dict(type="path", default="/etc/nginx/conf.d"),
))


def run_apps(module):
    """The panel_apps module's one call: take, check or give back every listed app."""
    params = module.params
    specs = params["apps"]
    for spec in specs:
        check_app_name(spec["app"])
    if params["state"] == "released":
        return dict(changed=False, released=release_locks(params["lock_dir"], params["tokens"]))
    claims = Claims(params["registry"], params["conf_dir"])
    tokens, took_over, changed = {}, {}, False
    if params["state"] == "acquired":
        if module.check_mode:
            for app, owner in sorted(lock_holders(params["lock_dir"], [s["app"] for s in specs]).items()):
                module.warn("app %s is being published by %s; a real run would wait for it" % (app, owner))
        else:
            tokens, took_over = acquire_locks(params["lock_dir"], [s["app"] for s in specs], params["owner"],
                                              params["wait"], params["stale_after"])
        try:
            changed = claims.claim_many([dict(app=s["app"], names=s["server_names"], certificate=s["certificate"]) for s in specs],
                                        check_mode=module.check_mode)
        except PanelError:
            release_locks(params["lock_dir"], tokens)
            raise
    for app, old in sorted(took_over.items()):
        module.warn("took over the lock of %s left by %s (older than %ss)" % (app, old, params["stale_after"]))
    checked = check_apps(module.run_command, specs, params["root"], claims)
    return dict(changed=changed, apps=checked, pending=[a["app"] for a in checked if not a["unchanged"]], tokens=tokens,
                took_over=took_over)
