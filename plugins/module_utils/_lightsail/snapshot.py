# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail instance and disk snapshots: create, copy from another region, tag, delete, and
rotation (keep the newest N manual snapshots per instance or disk).

Used by ``lightsail_instance_snapshot``, ``lightsail_disk_snapshot`` and ``lightsail_snapshot_rotation``.
"""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import immutable_error
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import jsonable
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import operations_of
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tags_to_dict

# Instance snapshots end "available", disk snapshots "completed".
READY_STATES = ("available", "completed")


def snapshot_ready(snapshot):
    return snapshot.get("state") in READY_STATES


def snapshot_failed(snapshot):
    return "snapshot is in state error" if snapshot.get("state") == "error" else None


class SnapshotKind:
    """What differs between instance and disk snapshots."""

    def __init__(self, kind, resource_type, source_key, ready_state):
        self.kind = kind  # "instance" or "disk"
        self.resource_type = resource_type  # InstanceSnapshot / DiskSnapshot
        self.source_key = source_key  # fromInstanceName / fromDiskName
        self.ready_state = ready_state
        self.get_op = "get_%s_snapshot" % kind
        self.list_op = "get_%s_snapshots" % kind
        self.list_key = "%sSnapshots" % kind
        self.get_key = "%sSnapshot" % kind
        self.create_op = "create_%s_snapshot" % kind
        self.delete_op = "delete_%s_snapshot" % kind
        self.name_param = "%sSnapshotName" % kind
        self.source_param = "%sName" % kind
        self.label = "%s snapshot" % kind


INSTANCE = SnapshotKind("instance", "InstanceSnapshot", "fromInstanceName", "available")
DISK = SnapshotKind("disk", "DiskSnapshot", "fromDiskName", "completed")
KINDS = {"instance": INSTANCE, "disk": DISK}


def get_snapshot(client, kind, name):
    response = client.call(kind.get_op, not_found_ok=True, **{kind.name_param: name})
    return response[kind.get_key] if response else None


def normalize_snapshot(raw):
    """A Lightsail snapshot -> the ``snapshot`` value modules return (snake_case, tags dict)."""
    return normalize_resource(raw)


class Snapshot(LightsailResource):
    """``lightsail_instance_snapshot`` / ``lightsail_disk_snapshot``: state present / absent.

    A snapshot is made from ``instance_name`` / ``disk_name`` (disk snapshots also from the system
    disk of ``instance_name``), or copied from ``source_region`` (a manual snapshot, or an automatic
    snapshot of a resource by date or the latest one). Only its tags change afterwards.
    """

    result_key = "snapshot"

    def __init__(self, client, params, kind):
        super().__init__(client, params)
        self.kind = kind

    @property
    def name(self):
        return self.params["name"]

    @property
    def copying(self):
        return bool(self.params.get("source_region"))

    def describe(self):
        return get_snapshot(self.client, self.kind, self.name)

    def normalize(self, raw):
        return normalize_snapshot(raw)

    def source(self):
        """``(key in the snapshot, name)`` of the resource the user asked to snapshot, or ``None``."""
        params = self.params
        if self.kind is DISK:
            if params.get("disk_name"):
                return "fromDiskName", params["disk_name"]
            if params.get("instance_name"):
                return "fromInstanceName", params["instance_name"]
            return None
        if params.get("instance_name"):
            return "fromInstanceName", params["instance_name"]
        return None

    def validate(self, current):
        params = self.params
        if self.state == "absent":
            return
        if self.copying:
            if not (params.get("source_snapshot_name") or params.get("source_resource_name")):
                raise invalid("source_region needs source_snapshot_name, or source_resource_name with restore_date "
                              "or use_latest_restorable_auto_snapshot")
            if params.get("source_resource_name") and not (params.get("restore_date") or params.get("use_latest_restorable_auto_snapshot")):
                raise invalid("source_resource_name (copy of an automatic snapshot) needs restore_date or use_latest_restorable_auto_snapshot")
            return
        if params.get("source_snapshot_name") or params.get("source_resource_name"):
            raise invalid("source_snapshot_name and source_resource_name need source_region")
        source = self.source()
        if current is None:
            if source is None:
                raise invalid("%s %s does not exist; %s required to create it"
                              % (self.kind.label, self.name, "disk_name or instance_name is" if self.kind is DISK else "instance_name is"))
            return
        if source is not None and current.get(source[0]) != source[1]:
            raise immutable_error(self.kind.label, self.name, source[0], current.get(source[0]), source[1],
                                  "a snapshot is never retaken; give the new snapshot another name")

    # -- actions ----------------------------------------------------------------------------
    def _tag_action(self, current_tags):
        return Action("update tags of %s %s" % (self.kind.label, self.name),
                      lambda: ensure_tags(self.client, self.name, current_tags, self.params.get("tags"), self.params.get("purge_tags", True)))

    def plan_create(self):
        params = self.params
        if self.copying:
            request = {"sourceRegion": params["source_region"], "targetSnapshotName": self.name}
            if params.get("source_snapshot_name"):
                request["sourceSnapshotName"] = params["source_snapshot_name"]
                what = "snapshot %s" % params["source_snapshot_name"]
            else:
                request["sourceResourceName"] = params["source_resource_name"]
                if params.get("restore_date"):
                    request["restoreDate"] = params["restore_date"]
                    what = "automatic snapshot of %s from %s" % (params["source_resource_name"], params["restore_date"])
                else:
                    request["useLatestRestorableAutoSnapshot"] = True
                    what = "latest automatic snapshot of %s" % params["source_resource_name"]
            actions = [Action("copy %s from %s to %s %s" % (what, params["source_region"], self.client.region, self.name),
                              lambda: self.client.call("copy_snapshot", **request))]
            if params.get("tags"):
                actions.append(self._tag_action({}))
            return actions
        key, source = self.source()
        request = {self.kind.name_param: self.name}
        request[self.kind.source_param if key == self.kind.source_key else "instanceName"] = source
        if params.get("tags"):
            request["tags"] = dict_to_tags(params["tags"])
        return [Action("create %s %s of %s" % (self.kind.label, self.name, source),
                       lambda: self.client.call(self.kind.create_op, **request))]

    def plan_update(self, current):
        current_tags = tags_to_dict(current.get("tags"))
        to_set, to_remove = tag_changes(current_tags, self.params.get("tags"), self.params.get("purge_tags", True))
        if to_set or to_remove:
            return [self._tag_action(current_tags)]
        return []

    def plan_delete(self, current):
        return [Action("delete %s %s" % (self.kind.label, self.name),
                       lambda: self.client.call(self.kind.delete_op, **{self.kind.name_param: self.name}))]

    # -- results ----------------------------------------------------------------------------
    def predict(self, current):
        if self.state == "absent":
            return {}
        params = self.params
        if current is None:
            raw = {"name": self.name, "resourceType": self.kind.resource_type, "state": self.kind.ready_state,
                   "location": {"regionName": self.client.region}, "tags": dict_to_tags(params.get("tags") or {})}
            source = None if self.copying else self.source()
            if source:
                raw[source[0]] = source[1]
        else:
            raw = dict(current)
            raw["tags"] = dict_to_tags(predict_tags(tags_to_dict(current.get("tags")), params.get("tags"), params.get("purge_tags", True)))
        return self.normalize(raw)

    ready = staticmethod(snapshot_ready)
    failed = staticmethod(snapshot_failed)

    def what(self):
        return "%s %s" % (self.kind.label, self.name)


# -- rotation ---------------------------------------------------------------------------------
def rotate_snapshots(client, params):
    """``lightsail_snapshot_rotation``: keep the newest ``keep`` manual snapshots of each named
    instance or disk (optionally only those whose name starts with ``name_prefix``), delete the
    older ones. Snapshots still ``pending`` are never deleted. One list read (all pages); in check
    mode nothing is deleted and the result says what would be.
    """
    kind = KINDS[params["resource_type"]]
    keep = params["keep"]
    if keep < 0:
        raise invalid("keep must be 0 or more, got %d" % keep)
    resources = list(dict.fromkeys(params["resource_names"]))
    if not resources:
        raise invalid("resource_names must name at least one %s" % kind.kind)
    prefix = params.get("name_prefix") or ""
    snapshots = client.paginate(kind.list_op, kind.list_key)
    by_resource = {name: [] for name in resources}
    for snapshot in snapshots:
        source = snapshot.get(kind.source_key)
        if source in by_resource and (snapshot.get("name") or "").startswith(prefix):
            by_resource[source].append(snapshot)

    kept, to_delete, skipped = {}, [], []
    for name in resources:
        ordered = sorted(by_resource[name], key=lambda s: (s.get("createdAt") is not None, s.get("createdAt"), s.get("name")), reverse=True)
        kept[name] = [s["name"] for s in ordered[:keep]]
        for snapshot in ordered[keep:]:
            if snapshot.get("state") == "pending":
                skipped.append(snapshot["name"])
                kept[name].append(snapshot["name"])
            else:
                to_delete.append(snapshot)

    before = {name: [s["name"] for s in sorted(by_resource[name], key=lambda s: s["name"])] for name in resources}
    after = {name: sorted(kept[name]) for name in resources}
    actions = ["delete %s %s (of %s, created %s)" % (kind.label, s["name"], s.get(kind.source_key), jsonable(s.get("createdAt")))
               for s in to_delete]
    if not client.check_mode:
        for snapshot in to_delete:
            response = client.call(kind.delete_op, **{kind.name_param: snapshot["name"]})
            if params.get("wait", True):
                client.wait_operations(operations_of(response), timeout=params.get("wait_timeout") or 300)
    return {
        "changed": bool(to_delete),
        "actions": actions,
        "deleted": [s["name"] for s in to_delete],
        "kept": kept,
        "skipped_pending": skipped,
        "deleted_snapshots": [normalize_snapshot(s) for s in to_delete],
        "diff": {"before": {"snapshots": before}, "after": {"snapshots": after}},
    }
