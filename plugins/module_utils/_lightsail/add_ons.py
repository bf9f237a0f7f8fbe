# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail instance add-ons (automatic snapshots, stop on idle): their options, the
EnableAddOn request, and whether an enabled add-on differs from the wanted one."""

from __future__ import annotations

ADD_ON_TYPES = {"auto_snapshot": "AutoSnapshot", "stop_instance_on_idle": "StopInstanceOnIdle"}


def add_on_options():
    """Suboptions of the ``add_ons`` list."""
    return dict(
        type=dict(type="str", required=True, choices=list(ADD_ON_TYPES)),
        snapshot_time_of_day=dict(type="str"),
        threshold=dict(type="str"),
        duration=dict(type="str"),
    )


def current_add_ons(instance):
    """Enabled add-ons: {"AutoSnapshot": {...}, ...}."""
    found = {}
    for add_on in (instance or {}).get("addOns") or []:
        if (add_on.get("status") or "").lower() in ("enabled", "enabling"):
            found[add_on.get("name")] = add_on
    return found


def add_on_request(add_on):
    api_type = ADD_ON_TYPES[add_on["type"]]
    request = {"addOnType": api_type}
    if api_type == "AutoSnapshot" and add_on.get("snapshot_time_of_day"):
        request["autoSnapshotAddOnRequest"] = {"snapshotTimeOfDay": add_on["snapshot_time_of_day"]}
    if api_type == "StopInstanceOnIdle":
        idle = {k: add_on[k] for k in ("threshold", "duration") if add_on.get(k)}
        if idle:
            request["stopInstanceOnIdleRequest"] = idle
    return request


def add_on_differs(current, add_on):
    if current is None:
        return True
    if add_on["type"] == "auto_snapshot":
        wanted = add_on.get("snapshot_time_of_day")
        return bool(wanted) and wanted != current.get("snapshotTimeOfDay")
    return any(add_on.get(k) and add_on[k] != current.get(k) for k in ("threshold", "duration"))
