# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail block storage disks: create (empty or from a snapshot), attach at a path, detach,
automatic-snapshot add-on, tags, delete. Used by ``lightsail_disk`` and ``lightsail_disk_info``."""

from __future__ import annotations

import re

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import disk_available
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import disk_failed
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import immutable_error
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tags_to_dict

AUTO_SNAPSHOT = "AutoSnapshot"
TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):00$")


def validate_time_of_day(value, option="auto_snapshot_time"):
    """Lightsail takes automatic snapshots on the hour, in UTC: ``HH:00``."""
    if value is not None and not TIME_OF_DAY.match(value):
        raise invalid("%s must be a whole hour in UTC as HH:00 (for example 06:00), got %r" % (option, value))


def auto_snapshot_addon(add_ons):
    """The enabled AutoSnapshot add-on dict of a resource, or ``None``."""
    for add_on in add_ons or []:
        if add_on.get("name") == AUTO_SNAPSHOT and (add_on.get("status") or "").lower() in ("enabled", "enabling"):
            return add_on
    return None


def auto_snapshot_actions(client, resource_name, add_ons, enabled, time_of_day):
    """Actions that make the AutoSnapshot add-on of ``resource_name`` match ``enabled``/``time_of_day``.

    ``enabled=None`` leaves the add-on alone; ``time_of_day=None`` accepts any time.
    """
    current = auto_snapshot_addon(add_ons)
    if enabled is None:
        return []
    if not enabled:
        if current is None:
            return []
        return [Action("disable automatic snapshots of %s" % resource_name,
                       lambda: client.call("disable_add_on", addOnType=AUTO_SNAPSHOT, resourceName=resource_name))]
    if current is not None and (time_of_day is None or current.get("snapshotTimeOfDay") == time_of_day):
        return []
    request = {"addOnType": AUTO_SNAPSHOT}
    if time_of_day:
        request["autoSnapshotAddOnRequest"] = {"snapshotTimeOfDay": time_of_day}
    verb = "enable" if current is None else "change"
    return [Action("%s automatic snapshots of %s%s" % (verb, resource_name, " at %s UTC" % time_of_day if time_of_day else ""),
                   lambda: client.call("enable_add_on", resourceName=resource_name, addOnRequest=request))]


def predict_add_ons(add_ons, enabled, time_of_day):
    """The raw add-on list expected after :func:`auto_snapshot_actions`."""
    others = [a for a in add_ons or [] if a.get("name") != AUTO_SNAPSHOT]
    current = auto_snapshot_addon(add_ons)
    if enabled is None:
        return list(add_ons or [])
    if not enabled:
        return others
    new = dict(current or {"name": AUTO_SNAPSHOT, "status": "Enabled"})
    if time_of_day:
        new["snapshotTimeOfDay"] = time_of_day
    return others + [new]


def normalize_disk(raw):
    """A Lightsail ``Disk`` -> the ``disk`` value modules return (snake_case, tags dict)."""
    return normalize_resource(raw)


def get_disk(client, name):
    response = client.call("get_disk", not_found_ok=True, diskName=name)
    return response["disk"] if response else None


def list_disks(client):
    return client.paginate("get_disks", "disks")


class Disk(LightsailResource):
    """``lightsail_disk``: state present / attached / detached / absent."""

    result_key = "disk"

    def __init__(self, client, params):
        params = dict(params)
        if params.get("auto_snapshot_time") and params.get("auto_snapshot") is None:
            params["auto_snapshot"] = True  # a time asks for automatic snapshots
        super().__init__(client, params)

    @property
    def name(self):
        return self.params["name"]

    def describe(self):
        return get_disk(self.client, self.name)

    def normalize(self, raw):
        return normalize_disk(raw)

    # -- what the user asked for ------------------------------------------------------------
    def want_attached(self):
        """``(instance, path)`` the disk must be attached at, or ``None``."""
        if self.state == "attached" or (self.state == "present" and self.params.get("instance_name")):
            return self.params["instance_name"], self.params["disk_path"]
        return None

    def validate(self, current):
        params = self.params
        validate_time_of_day(params.get("auto_snapshot_time"))
        if params.get("auto_snapshot_time") and params.get("auto_snapshot") is False:
            raise invalid("auto_snapshot_time is set but auto_snapshot is false")
        if self.state in ("present", "attached") and params.get("instance_name") and not params.get("disk_path"):
            raise invalid("disk_path is required to attach disk %s to instance %s" % (self.name, params["instance_name"]))
        if self.state == "absent":
            return
        if current is None:
            missing = [o for o in ("zone", "size_gb") if not params.get(o)]
            if missing:
                raise invalid("disk %s does not exist; %s required to create it" % (self.name, " and ".join(missing) + (" are" if len(missing) > 1 else " is")))
            return
        zone = (current.get("location") or {}).get("availabilityZone")
        if params.get("zone") and params["zone"] != zone:
            raise immutable_error("disk", self.name, "zone", zone, params["zone"],
                                  "snapshot it and create a new disk from the snapshot in the other zone")
        if params.get("size_gb") and params["size_gb"] != current.get("sizeInGb"):
            raise immutable_error("disk", self.name, "size_gb", current.get("sizeInGb"), params["size_gb"],
                                  "snapshot it and create a larger disk from the snapshot")
        if current.get("isSystemDisk"):
            raise invalid("%s is the system disk of an instance; manage it with the instance" % self.name)

    # -- actions ----------------------------------------------------------------------------
    def _attach(self, instance, path):
        params = {"diskName": self.name, "instanceName": instance, "diskPath": path}
        if self.params.get("auto_mount") is not None:
            params["autoMounting"] = self.params["auto_mount"]
        return Action("attach disk %s to %s at %s" % (self.name, instance, path),
                      lambda: self.client.call("attach_disk", **params))

    def _detach(self, current):
        return Action("detach disk %s from %s" % (self.name, current.get("attachedTo")),
                      lambda: self.client.call("detach_disk", diskName=self.name),
                      then=self._wait_available)

    def _wait_available(self):
        self.client.wait_for(self.describe, lambda d: d.get("state") == "available", timeout=self.wait_timeout,
                             what="disk %s" % self.name, failed_fn=disk_failed)

    def plan_create(self):
        params = self.params
        request = {"diskName": self.name, "availabilityZone": params["zone"], "sizeInGb": params["size_gb"]}
        if params.get("tags"):
            request["tags"] = dict_to_tags(params["tags"])
        if params.get("auto_snapshot"):
            add_on = {"addOnType": AUTO_SNAPSHOT}
            if params.get("auto_snapshot_time"):
                add_on["autoSnapshotAddOnRequest"] = {"snapshotTimeOfDay": params["auto_snapshot_time"]}
            request["addOns"] = [add_on]
        if params.get("snapshot_name"):
            request["diskSnapshotName"] = params["snapshot_name"]
            create = Action("create disk %s (%s GB) in %s from snapshot %s" % (self.name, params["size_gb"], params["zone"], params["snapshot_name"]),
                            lambda: self.client.call("create_disk_from_snapshot", **request))
        else:
            create = Action("create disk %s (%s GB) in %s" % (self.name, params["size_gb"], params["zone"]),
                            lambda: self.client.call("create_disk", **request))
        actions = [create]
        attach = self.want_attached()
        if attach:
            create.then = self._wait_available
            actions.append(self._attach(*attach))
        return actions

    def plan_update(self, current):
        actions = []
        current_tags = tags_to_dict(current.get("tags"))
        to_set, to_remove = tag_changes(current_tags, self.params.get("tags"), self.params.get("purge_tags", True))
        if to_set or to_remove:
            actions.append(Action("update tags of disk %s" % self.name,
                                  lambda: ensure_tags(self.client, self.name, current_tags, self.params.get("tags"),
                                                      self.params.get("purge_tags", True))))
        actions.extend(auto_snapshot_actions(self.client, self.name, current.get("addOns"), self.params.get("auto_snapshot"),
                                             self.params.get("auto_snapshot_time")))
        attached_to = current.get("attachedTo") if current.get("isAttached") else None
        want = self.want_attached()
        if want:
            if attached_to and (attached_to, current.get("path")) != want:
                actions.append(self._detach(current))
            if (attached_to, current.get("path")) != want:
                actions.append(self._attach(*want))
        elif self.state == "detached" and attached_to:
            actions.append(self._detach(current))
        return actions

    def plan_delete(self, current):
        actions = []
        if current.get("isAttached"):
            actions.append(self._detach(current))
        request = {"diskName": self.name}
        if self.params.get("force_delete_add_ons"):
            request["forceDeleteAddOns"] = True
        actions.append(Action("delete disk %s" % self.name, lambda: self.client.call("delete_disk", **request)))
        return actions

    # -- results ----------------------------------------------------------------------------
    def predict(self, current):
        if self.state == "absent":
            return {}
        params = self.params
        if current is None:
            raw = {"name": self.name, "sizeInGb": params["size_gb"], "resourceType": "Disk",
                   "location": {"availabilityZone": params["zone"], "regionName": self.client.region},
                   "tags": dict_to_tags(params.get("tags") or {}), "state": "available", "isAttached": False,
                   "addOns": predict_add_ons([], params.get("auto_snapshot"), params.get("auto_snapshot_time"))}
        else:
            raw = dict(current)
            current_tags = tags_to_dict(current.get("tags"))
            raw["tags"] = dict_to_tags(predict_tags(current_tags, params.get("tags"), params.get("purge_tags", True)))
            raw["addOns"] = predict_add_ons(current.get("addOns"), params.get("auto_snapshot"), params.get("auto_snapshot_time"))
        want = self.want_attached()
        if want:
            raw.update(isAttached=True, attachedTo=want[0], path=want[1], state="in-use", attachmentState="attached")
        elif self.state == "detached":
            raw.update(isAttached=False, state="available")
            for key in ("attachedTo", "path", "attachmentState"):
                raw.pop(key, None)
        return self.normalize(raw)

    ready = staticmethod(disk_available)
    failed = staticmethod(disk_failed)

    def what(self):
        return "disk %s" % self.name


def disk_info(client, params):
    """``lightsail_disk_info``: one disk by name (missing -> empty list) or all, optionally filtered."""
    if params.get("name"):
        raw = get_disk(client, params["name"])
        disks = [raw] if raw else []
    else:
        disks = list_disks(client)
    if params.get("instance_name"):
        disks = [d for d in disks if d.get("attachedTo") == params["instance_name"]]
    return {"disks": [normalize_disk(d) for d in sorted(disks, key=lambda d: d.get("name") or "")]}
