# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The panel modules: each one's argument spec and its one call.

A module is ``module = OpsforgeModule(spec=X_SPEC)`` then ``module.run(x, module.params, host)``
(``_common/module.py``). ``host`` is what the call needs from the module: ``run`` (run_command),
``bin_path`` (get_bin_path), ``check_mode`` and ``diff``. Results carry their ``warnings``; the
diffs of check and real runs are built here, not in the modules.
"""

from __future__ import annotations

import collections
import os

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._panel.certs import certificate_info
from ansible_collections.opsforge.infra.plugins.module_utils._panel.certstate import certificate_state
from ansible_collections.opsforge.infra.plugins.module_utils._panel.claims import Claims
from ansible_collections.opsforge.infra.plugins.module_utils._panel.errors import PanelError
from ansible_collections.opsforge.infra.plugins.module_utils._panel.ledger import Ledger, check_app_name, normalize_manifest
from ansible_collections.opsforge.infra.plugins.module_utils._panel.lock import PublishLock
from ansible_collections.opsforge.infra.plugins.module_utils._panel.nginx import NginxConfig, diff_for, normalize_file
from ansible_collections.opsforge.infra.plugins.module_utils._panel.status import collect, table
from ansible_collections.opsforge.infra.plugins.module_utils._panel.systemd import UnitFile, unit_state

Host = collections.namedtuple("Host", "run bin_path check_mode diff")


def host_of(module):
    """What the panel calls need from an AnsibleModule."""
    return Host(module.run_command, module.get_bin_path, module.check_mode, module._diff)


# ---- panel_claim ---------------------------------------------------------------------------------------
CLAIM_SPEC = ArgumentSpec(dict(
    app=dict(type="str", required=True),
    server_names=dict(type="list", elements="str", default=[]),
    certificate=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    registry=dict(type="path", default="/var/lib/opsforge/panel/claims.json"),
    conf_dir=dict(type="path", default="/etc/nginx/conf.d"),
))
# server_names defaults to [], so a required_if on it could never fire: panel_claim checks it.


def panel_claim(params, host):
    claims = Claims(params["registry"], params["conf_dir"])
    app = check_app_name(params["app"])
    if params["state"] == "present":
        if not params["server_names"]:
            raise PanelError("server_names is required with state=present (at least one name that app %s publishes); use "
                             "state=absent to release its names. Nothing was changed." % app)
        changed, owned = claims.claim(app, params["server_names"], params["certificate"], check_mode=host.check_mode)
        return dict(changed=changed, claims=owned)
    changed, remove, reason = claims.release(app, params["certificate"], check_mode=host.check_mode)
    return dict(changed=changed, claims=dict(names=[], certificate=None), remove_certificate=remove, reason=reason)


# ---- panel_lock ----------------------------------------------------------------------------------------
LOCK_SPEC = ArgumentSpec(dict(
    app=dict(type="str", required=True),
    state=dict(type="str", default="acquired", choices=["acquired", "released"]),
    owner=dict(type="str", default="unknown"),
    wait=dict(type="int", default=600),
    stale_after=dict(type="int", default=3600),
    token=dict(type="str", no_log=False),
    lock_dir=dict(type="path", default="/run/lock/opsforge-panel"),
), required_if=[("state", "released", ["token"])])


def panel_lock(params, host):
    lock = PublishLock(os.path.join(params["lock_dir"], check_app_name(params["app"]) + ".lock"), params["app"])
    if params["state"] == "released":
        return dict(changed=False, token=params["token"], took_over=None, released=lock.release(params["token"]))
    warnings = []
    if host.check_mode:
        held = lock.holder()
        if held:
            warnings.append("app %s is being published by %s; a real run would wait for it" % (params["app"], held.get("owner")))
        return dict(changed=False, token=None, took_over=None, released=False, warnings=warnings)
    token = lock.acquire(params["owner"], wait=params["wait"], stale_after=params["stale_after"])
    if lock.took_over:
        warnings.append("took over the lock of %s left by %s (older than %ss)" % (params["app"], lock.took_over, params["stale_after"]))
    return dict(changed=False, token=token, took_over=lock.took_over, released=False, warnings=warnings)


# ---- panel_status_info ---------------------------------------------------------------------------------
STATUS_SPEC = ArgumentSpec(dict(
    root=dict(type="path", default="/var/lib/opsforge/releases"),
    apps=dict(type="list", elements="str", default=[]),
))


def panel_status(params, host):
    apps = collect(host.run, params["root"], params["apps"])
    return dict(changed=False, apps=apps, table=table(apps))


# ---- panel_certificate_info ----------------------------------------------------------------------------
CERTIFICATE_SPEC = ArgumentSpec(dict(
    domains=dict(type="list", elements="str", required=True),
    certificate_path=dict(type="path", required=True),
    key_path=dict(type="path", required=True),
    csr_path=dict(type="path", required=True),
    account_key_path=dict(type="path", required=True),
    cert_dir=dict(type="path", required=True),
    metadata_path=dict(type="path", required=True),
    metadata_content=dict(type="str", required=True),
    key_type=dict(type="str", default="ECC", choices=["ECC", "RSA"], no_log=False),
    key_curve=dict(type="str", default="secp256r1", no_log=False),
    key_size=dict(type="int", default=2048, no_log=False),
    remaining_days=dict(type="int", default=30),
    trusted_root_file=dict(type="path"),
))


def panel_certificate(params, host):
    return dict(certificate_state(params, host.run), changed=False)


# ---- release_ledger ------------------------------------------------------------------------------------
LEDGER_SPEC = ArgumentSpec(dict(
    app=dict(type="str", required=True),
    root=dict(type="path", default="/var/lib/opsforge/releases"),
    operation=dict(type="str", default="info", choices=["record", "rollback", "info"]),
    files=dict(type="list", elements="path", default=[]),
    secret_files=dict(type="list", elements="path", default=[], no_log=False),  # paths, not secrets
    contents=dict(type="dict", default={}),
    result=dict(type="str", default="success", choices=["success", "failed"]),
    who=dict(type="str"),
    meta=dict(type="dict", default={}),
    certificate_path=dict(type="path"),
    keep=dict(type="int", default=5),
    to=dict(type="str", default="previous"),
    inputs=dict(type="str", no_log=True),
))


def release_ledger(params, host):
    if params["keep"] < 1:
        raise PanelError("keep must be 1 or more (got %s)" % params["keep"])
    ledger = Ledger(params["root"], params["app"])
    if params["operation"] == "record":
        return _record(params, host, ledger)
    if params["operation"] == "rollback":
        changed, manifest, changed_files = ledger.rollback(params["to"], who=params["who"], check_mode=host.check_mode)
        kept = [f["path"] for f in manifest.get("files", []) if f.get("secret")]
        return dict(changed=changed, release=normalize_manifest(manifest), current=manifest["release"], changed_files=changed_files,
                    secret_files_kept=kept)
    info = ledger.describe()
    current = info["current"]
    live = next((m for m in info["manifests"] if m.get("release") == current), None)
    return dict(changed=False, release=normalize_manifest(live), current=current, last=info["last"],
                releases=[normalize_manifest(m) for m in info["manifests"]])


def _record(params, host, ledger):
    cert = certificate_info(host.run, params["certificate_path"]) if params["certificate_path"] else None
    if cert:
        cert = dict(path=cert["path"], serial=cert["serial"], not_after=cert["not_after"])
    changed, manifest, pruned = ledger.record(params["files"], result=params["result"], who=params["who"], meta=params["meta"],
                                              certificate=cert, keep=params["keep"], check_mode=host.check_mode,
                                              secret_files=params["secret_files"], contents=params["contents"])
    current = manifest["release"] if (host.check_mode and changed and params["result"] == "success") else ledger.current()
    if params["inputs"] is not None and params["result"] == "success" and not host.check_mode and current is not None:
        ledger.remember_inputs(params["inputs"], current)
    return dict(changed=changed, release=normalize_manifest(manifest), current=current, pruned=pruned)


# ---- systemd_unit_file ---------------------------------------------------------------------------------
UNIT_SPEC = ArgumentSpec(dict(
    name=dict(type="str", required=True),
    content=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    directory=dict(type="path", default="/etc/systemd/system"),
    verify=dict(type="bool", default=True),
), required_if=[("state", "present", ("content",))])


def normalize_unit(desc):
    if desc is None:
        return None
    return dict(name=desc["name"], path=desc["path"], sha256=desc["sha256"])


def unit_diff(before, after):
    """The file diff of a unit change (empty text for a missing file)."""
    return dict(before=(before or {}).get("content", ""), after=(after or {}).get("content", ""),
                before_header=(before or after or {}).get("path", ""), after_header=(after or before or {}).get("path", ""))


def systemd_unit_file(params, host):
    analyze = host.bin_path("systemd-analyze", required=params["verify"] and params["state"] == "present")
    units = UnitFile(host.run, directory=params["directory"], systemd_analyze=analyze or "systemd-analyze")
    before, after = units.ensure(params["name"], params["content"], state=params["state"],
                                 validate=params["verify"], check_mode=host.check_mode)
    changed = (before or {}).get("sha256") != (after or {}).get("sha256")
    result = dict(changed=changed, unit=normalize_unit(after))
    systemctl = host.bin_path("systemctl")
    if systemctl and after is not None:
        result["service"] = unit_state(host.run, after["name"], systemctl)
    if host.diff:
        result["diff"] = unit_diff(before, after)
    return result


# ---- nginx_site_config ---------------------------------------------------------------------------------
SITE_CONFIG_SPEC = ArgumentSpec(dict(
    files=dict(type="list", elements="dict", required=True, options=dict(
        path=dict(type="path", required=True),
        content=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        mode=dict(type="raw", default="0644"),
    )),
    require_files=dict(type="list", elements="path", default=[]),
    require_message=dict(type="str", default=""),
    reload=dict(type="bool", default=True),
    service=dict(type="str", default="nginx"),
    nginx_binary=dict(type="str", default="nginx"),
))


def _missing_files(params, check_mode):
    """Warnings for required files that are missing in check mode; PanelError in a real run."""
    missing = [path for path in params["require_files"] if not os.path.exists(path)]
    if not missing:
        return []
    if not check_mode:
        advice = params["require_message"].strip()
        raise PanelError(" ".join(part for part in ("%s missing." % ", ".join(missing), advice, "Nothing was changed.") if part),
                         details=dict(missing_files=missing))
    return ["%s missing (a real run would stop here unless an earlier task creates it)" % ", ".join(missing)]


def nginx_site_config(params, host):
    warnings = _missing_files(params, host.check_mode)
    nginx_bin = params["nginx_binary"]
    if not os.path.isabs(nginx_bin):
        nginx_bin = host.bin_path(nginx_bin, required=True, opt_dirs=["/usr/sbin", "/usr/local/sbin"])
    systemctl = host.bin_path("systemctl", required=True)
    config = NginxConfig(host.run, nginx_bin=nginx_bin, systemctl_bin=systemctl, service=params["service"])
    desired = [normalize_file(spec) for spec in params["files"]]
    changes, action = config.apply(desired, reload=params["reload"], check_mode=host.check_mode)
    result = dict(
        changed=bool(changes), warnings=warnings,
        nginx_site_config=dict(changed_files=[c["path"] for c in changes], action=action, nginx_version=config.version(),
                               service=unit_state(host.run, params["service"], systemctl)),
    )
    if host.diff:
        result["diff"] = diff_for(changes)
    return result
