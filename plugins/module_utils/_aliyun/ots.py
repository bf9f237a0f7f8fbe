# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Tablestore tables: describe, compare, converge (used by the ``ots_table`` module)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import TABLESTORE, run_flow
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError, call
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.resource import Action, AliyunResource

NOT_FOUND = ("OTSObjectNotExist",)


def ots_client(creds, instance, endpoint=None):
    endpoint = endpoint or "https://%s.%s.ots.aliyuncs.com" % (instance, creds.region)
    return TABLESTORE.OTSClient(endpoint, creds.access_key, creds.secret_key, instance, sts_token=creds.security_token,
                                logger_name="opsforge.tablestore", retry_policy=TABLESTORE.NoRetryPolicy())


def _columns(items):
    return [{"name": name, "type": str(kind).upper()} for name, kind in items or []]


def normalize_table(response, name):
    meta, options = response.table_meta, response.table_options
    cu = response.reserved_throughput_details.capacity_unit
    return {
        "name": name,
        "primary_key": _columns(meta.schema_of_primary_key),
        "defined_columns": sorted(_columns(getattr(meta, "defined_columns", None)), key=lambda c: c["name"]),
        "time_to_live": options.time_to_live,
        "max_versions": options.max_version,
        "max_time_deviation": options.max_time_deviation,
        "reserved_read": cu.read or 0,
        "reserved_write": cu.write or 0,
    }


class OtsTable(AliyunResource):
    """One table on the resource loop; the prediction is the desired table."""

    result_key = "table"

    def __init__(self, client, name, params=None, check_mode=False):
        super().__init__(client, params, check_mode)
        self.name = name
        self.wanted = None

    def describe(self):
        response = call("describe table %s" % self.name, self.client.describe_table, self.name, not_found=NOT_FOUND)
        return normalize_table(response, self.name) if response is not None else None

    def validate(self, current):
        if self.absent:
            return
        desired = self.desired(self.params)
        if current is not None:
            if not self.params["primary_key"]:
                desired["primary_key"] = current["primary_key"]
            if self.params["defined_columns"] is None:
                desired["defined_columns"] = current["defined_columns"]
        self.check(current, desired, self.params)
        self.wanted = desired

    def plan_create(self):
        return [Action("create", lambda: self.create(self.wanted))]

    def plan_update(self, current):
        return [] if current == self.wanted else [Action("update", lambda: self.update(current, self.wanted))]

    def plan_delete(self, current):
        return [Action("delete", self.delete)]

    def predict(self, current):
        return {} if self.absent else self.wanted

    def desired(self, params):
        return {
            "name": self.name,
            "primary_key": [{"name": c["name"], "type": c["type"].upper()} for c in params["primary_key"] or []],
            "defined_columns": sorted(({"name": c["name"], "type": c["type"].upper()} for c in params["defined_columns"] or []), key=lambda c: c["name"]),
            "time_to_live": params["time_to_live"],
            "max_versions": params["max_versions"],
            "max_time_deviation": params["max_time_deviation"],
            "reserved_read": params["reserved_read"],
            "reserved_write": params["reserved_write"],
        }

    def check(self, current, desired, params):
        if not desired["primary_key"]:
            raise AliyunError("primary_key is required to create table %s" % self.name)
        if not 1 <= len(desired["primary_key"]) <= 4:
            raise AliyunError("a Tablestore table has 1 to 4 primary key columns, %d given" % len(desired["primary_key"]))
        names = [c["name"] for c in desired["primary_key"] + desired["defined_columns"]]
        if len(names) != len(set(names)):
            raise AliyunError("column names must be unique across primary_key and defined_columns")
        if desired["time_to_live"] != -1 and desired["time_to_live"] < 86400:
            raise AliyunError("time_to_live must be -1 (keep forever) or at least 86400 seconds")
        if current is None:
            return
        if current["primary_key"] != desired["primary_key"]:
            raise AliyunError("the primary key of table %s cannot change (it is %s); drop and recreate the table"
                              % (self.name, ", ".join("%s:%s" % (c["name"], c["type"]) for c in current["primary_key"])))
        if params["defined_columns"] is not None and current["defined_columns"] != desired["defined_columns"]:
            raise AliyunError("the defined columns of table %s differ (%s) and cannot be changed in place by this module"
                              % (self.name, ", ".join(c["name"] for c in current["defined_columns"]) or "none"))

    def create(self, desired):
        ts = TABLESTORE
        meta = ts.TableMeta(self.name, [(c["name"], c["type"]) for c in desired["primary_key"]],
                            [(c["name"], c["type"]) for c in desired["defined_columns"]])
        options = ts.TableOptions(time_to_live=desired["time_to_live"], max_version=desired["max_versions"],
                                  max_time_deviation=desired["max_time_deviation"])
        throughput = ts.ReservedThroughput(ts.CapacityUnit(desired["reserved_read"], desired["reserved_write"]))
        call("create table %s" % self.name, self.client.create_table, meta, options, throughput)

    def update(self, current, desired):
        ts = TABLESTORE
        option_keys = ("time_to_live", "max_versions", "max_time_deviation")
        if any(current[k] != desired[k] for k in option_keys):
            options = ts.TableOptions(time_to_live=desired["time_to_live"], max_version=desired["max_versions"],
                                      max_time_deviation=desired["max_time_deviation"])
            call("update table %s options" % self.name, self.client.update_table, self.name, table_options=options)
        if (current["reserved_read"], current["reserved_write"]) != (desired["reserved_read"], desired["reserved_write"]):
            throughput = ts.ReservedThroughput(ts.CapacityUnit(desired["reserved_read"], desired["reserved_write"]))
            call("update table %s throughput" % self.name, self.client.update_table, self.name, reserved_throughput=throughput)

    def delete(self):
        call("delete table %s" % self.name, self.client.delete_table, self.name, not_found=NOT_FOUND)


def run(client, params, check_mode):
    """Converge one table; return the module result (changed, diff, table)."""
    return OtsTable(client, params["name"], params, check_mode).run()


def run_ots_table(module):
    """ots_table's one call."""
    return run_flow(module, (TABLESTORE,), lambda creds, params: ots_client(creds, params["instance"], params["endpoint"]), run)
