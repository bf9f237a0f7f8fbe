# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Export of Lightsail snapshots to Amazon EC2 (ExportSnapshot) and EC2 instances created from an export
through CloudFormation (CreateCloudFormationStack), with their records."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import operations_of

LIVE = ("Started", "Succeeded")  # record states that count as done or under way (Failed ones are retried)


def argument_spec():
    ec2 = dict(
        instance_type=dict(type="str", required=True),
        availability_zone=dict(type="str", required=True),
        port_info_source=dict(type="str", default="INSTANCE", choices=["DEFAULT", "INSTANCE", "NONE", "CLOSED"]),
        user_data=dict(type="str"),
    )
    spec = ArgumentSpec(dict(
        snapshot_name=dict(type="str", required=True),
        ec2_instance=dict(type="dict", options=ec2),
    ))
    return spec.merge(WAIT_SPEC)


def export_records(client):
    return client.paginate("GetExportSnapshotRecords", "exportSnapshotRecords")


def stack_records(client):
    return client.paginate("GetCloudFormationStackRecords", "cloudFormationStackRecords")


def export_of(records, snapshot_name):
    """The newest live export record of ``snapshot_name`` (Succeeded before Started), or ``None``."""
    mine = [r for r in records if (r.get("sourceInfo") or {}).get("name") == snapshot_name and r.get("state") in LIVE]
    mine.sort(key=lambda r: (r.get("state") == "Succeeded", r.get("createdAt") or 0))
    return mine[-1] if mine else None


def stack_of(records, export_name):
    """The live CloudFormation stack record built from the export record ``export_name``, or ``None``."""
    for record in records:
        if record.get("state") in LIVE and any(s.get("name") == export_name for s in record.get("sourceInfo") or []):
            return record
    return None


class SnapshotExport:
    """``lightsail_snapshot_export``: one export per snapshot and, with ``ec2_instance``, one stack per export."""

    def __init__(self, client, params):
        self.client = client
        self.params = params
        self.snapshot = params["snapshot_name"]
        self.ec2 = params.get("ec2_instance")

    def _describe(self):
        export = export_of(export_records(self.client), self.snapshot)
        stack = stack_of(stack_records(self.client), export["name"]) if export and self.ec2 else None
        return export, stack

    def _wait_export(self):
        """Poll the export record until it Succeeded: CloudFormation needs the finished AMI."""
        def describe():
            mine = [r for r in export_records(self.client) if (r.get("sourceInfo") or {}).get("name") == self.snapshot]
            mine.sort(key=lambda r: (r.get("state") != "Failed", r.get("createdAt") or 0))
            return mine[-1] if mine else {"state": "Started"}

        return self.client.wait_for(describe, lambda r: r.get("state") == "Succeeded", self.params["wait_timeout"],
                                    "export of snapshot %s" % self.snapshot,
                                    failed_fn=lambda r: "the export record is Failed" if r.get("state") == "Failed" else None)

    def _create_stack(self, export):
        instance = {"sourceName": export["name"], "instanceType": self.ec2["instance_type"],
                    "portInfoSource": self.ec2["port_info_source"], "availabilityZone": self.ec2["availability_zone"]}
        if self.ec2.get("user_data"):
            instance["userData"] = self.ec2["user_data"]
        return self.client.call("CreateCloudFormationStack", instances=[instance])

    def _apply(self, export, stack):
        wait, timeout = self.params["wait"], self.params["wait_timeout"]
        if export is None:
            operations = operations_of(self.client.call("ExportSnapshot", sourceSnapshotName=self.snapshot))
            if wait or self.ec2:
                self.client.wait_operations(operations, timeout=timeout)
        if self.ec2 and stack is None:
            export = self._wait_export()
            operations = operations_of(self._create_stack(export))
            if wait:
                self.client.wait_operations(operations, timeout=timeout)

    def run(self):
        export, stack = self._describe()
        actions = []
        if export is None:
            actions.append("export snapshot %s to Amazon EC2" % self.snapshot)
        if self.ec2 and stack is None:
            actions.append("create EC2 instance %s in %s from the export of %s (CloudFormation)"
                           % (self.ec2["instance_type"], self.ec2["availability_zone"], self.snapshot))
        before = {"export_snapshot_record": normalize_resource(export), "cloud_formation_stack_record": normalize_resource(stack)}
        if not actions:
            after = before
        elif self.client.check_mode:
            predicted = export or {"sourceInfo": {"name": self.snapshot}, "state": "Started"}
            after = {"export_snapshot_record": normalize_resource(predicted),
                     "cloud_formation_stack_record": normalize_resource(stack) if stack else ({"state": "Started"} if self.ec2 else {})}
        else:
            self._apply(export, stack)
            export, stack = self._describe()
            after = {"export_snapshot_record": normalize_resource(export), "cloud_formation_stack_record": normalize_resource(stack)}
        result = {"changed": bool(actions), "actions": actions, "diff": {"before": before, "after": after}}
        result.update(after)
        return result


def export_info(client, snapshot_name=None):
    """Every export record and CloudFormation stack record (all pages), optionally of one snapshot only."""
    exports = export_records(client)
    stacks = stack_records(client)
    if snapshot_name:
        exports = [r for r in exports if (r.get("sourceInfo") or {}).get("name") == snapshot_name]
        names = {r.get("name") for r in exports}
        stacks = [r for r in stacks if any(s.get("name") in names for s in r.get("sourceInfo") or [])]
    return {"export_snapshot_records": [normalize_resource(r) for r in exports],
            "cloud_formation_stack_records": [normalize_resource(r) for r in stacks]}
