# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory Tablestore behind the ``tablestore.OTSClient`` interface.

It keeps the semantics the camera code depends on, with the SDK's own model classes and
error type: row existence conditions (``OTSConditionCheckFail``), primary keys checked
against the table schema, ``INF_MIN`` / ``INF_MAX``, ``get_range`` in both directions with
``limit`` and a per-call scan budget that yields ``next_start_primary_key`` (as the real
service does when it stops early, also under a column filter), max_version 1, and the
table administration calls used by the ``ots_table`` module.
"""

import copy

import tablestore as ts

CONDITION_FAILED = "OTSConditionCheckFail"


def _error(status, code, message):
    return ts.OTSServiceError(status, code, message, request_id="fake-request")


class _Key:
    """Sortable wrapper of one primary key value, with INF_MIN < everything < INF_MAX."""

    __slots__ = ("rank", "value")

    def __init__(self, value):
        if value is ts.INF_MIN:
            self.rank, self.value = 0, None
        elif value is ts.INF_MAX:
            self.rank, self.value = 2, None
        else:
            self.rank, self.value = 1, value.encode("utf-8") if isinstance(value, str) else value

    def _t(self):
        return (self.rank, self.value if self.rank == 1 else 0)

    def __lt__(self, other):
        return self._t() < other._t()

    def __le__(self, other):
        return self._t() <= other._t()

    def __eq__(self, other):
        return self._t() == other._t()

    def __hash__(self):
        return hash(self._t())


class FakeTable:
    def __init__(self, meta, options, throughput):
        self.meta = meta
        self.options = options
        self.throughput = throughput
        self.rows = {}

    @property
    def pk_names(self):
        return [name for name, _type in self.meta.schema_of_primary_key]


class FakeOTSClient:
    def __init__(self, scan_budget=50):
        self.tables = {}
        self.scan_budget = scan_budget
        self.calls = []

    # ------------------------------------------------------------------ admin
    def create_table(self, table_meta, table_options, reserved_throughput, secondary_indexes=None, sse_spec=None):
        self.calls.append(("create_table", table_meta.table_name))
        if table_meta.table_name in self.tables:
            raise _error(409, "OTSObjectAlreadyExist", "Requested table already exists.")
        if not 1 <= len(table_meta.schema_of_primary_key) <= 4:
            raise _error(400, "OTSParameterInvalid", "The number of primary key columns must be in range: [1, 4].")
        self.tables[table_meta.table_name] = FakeTable(copy.deepcopy(table_meta), copy.deepcopy(table_options), reserved_throughput)

    def describe_table(self, table_name):
        table = self._table(table_name)
        details = ts.ReservedThroughputDetails(table.throughput.capacity_unit, 0, 0)
        return ts.DescribeTableResponse(copy.deepcopy(table.meta), copy.deepcopy(table.options), details)

    def update_table(self, table_name, table_options=None, reserved_throughput=None):
        self.calls.append(("update_table", table_name))
        table = self._table(table_name)
        if table_options is not None:
            for attr in ("time_to_live", "max_version", "max_time_deviation"):
                value = getattr(table_options, attr)
                if value is not None:
                    setattr(table.options, attr, value)
        if reserved_throughput is not None:
            table.throughput = reserved_throughput
        return ts.UpdateTableResponse(ts.ReservedThroughputDetails(table.throughput.capacity_unit, 0, 0), table.options)

    def delete_table(self, table_name):
        self.calls.append(("delete_table", table_name))
        self._table(table_name)
        del self.tables[table_name]

    def list_table(self):
        return tuple(sorted(self.tables))

    # ------------------------------------------------------------------- rows
    def _table(self, name):
        if name not in self.tables:
            raise _error(404, "OTSObjectNotExist", "Requested table does not exist.")
        return self.tables[name]

    def _pk(self, table, primary_key, allow_inf=False):
        names = [item[0] for item in primary_key]
        if names != table.pk_names:
            raise _error(400, "OTSInvalidPK", "Validate PK name fail. Input: %s, Meta: %s." % (names, table.pk_names))
        values = tuple(item[1] for item in primary_key)
        for value in values:
            if (value is ts.INF_MIN or value is ts.INF_MAX) and not allow_inf:
                raise _error(400, "OTSParameterInvalid", "INF_MIN/INF_MAX is only allowed in a range.")
            if isinstance(value, str) and len(value.encode("utf-8")) > 1024:
                raise _error(400, "OTSParameterInvalid", "The length of primary key column exceeds 1024.")
        return values

    def _check(self, table, key, condition):
        expectation = getattr(condition, "row_existence_expectation", ts.RowExistenceExpectation.IGNORE) if condition else ts.RowExistenceExpectation.IGNORE
        exists = key in table.rows
        if (expectation == ts.RowExistenceExpectation.EXPECT_NOT_EXIST and exists) or (
            expectation == ts.RowExistenceExpectation.EXPECT_EXIST and not exists
        ):
            raise _error(403, CONDITION_FAILED, "Condition check failed.")

    def put_row(self, table_name, row, condition=None, return_type=None, transaction_id=None):
        table = self._table(table_name)
        key = self._pk(table, row.primary_key)
        self._check(table, key, condition)
        table.rows[key] = {col[0]: col[1] for col in (row.attribute_columns or [])}
        return ts.CapacityUnit(0, 1), None

    def update_row(self, table_name, row, condition, return_type=None, transaction_id=None):
        table = self._table(table_name)
        key = self._pk(table, row.primary_key)
        self._check(table, key, condition)
        current = dict(table.rows.get(key, {}))
        for kind, columns in (row.attribute_columns or {}).items():
            for col in columns:
                if kind == "PUT":
                    current[col[0]] = col[1]
                elif kind in ("DELETE", "DELETE_ALL"):
                    current.pop(col if isinstance(col, str) else col[0], None)
                else:
                    raise _error(400, "OTSParameterInvalid", "unsupported update type %s" % kind)
        table.rows[key] = current
        return ts.CapacityUnit(0, 1), None

    def delete_row(self, table_name, row=None, condition=None, return_type=None, transaction_id=None, **kwargs):
        table = self._table(table_name)
        primary_key = row.primary_key if row is not None else kwargs["primary_key"]
        key = self._pk(table, primary_key)
        self._check(table, key, condition)
        table.rows.pop(key, None)
        return ts.CapacityUnit(0, 1), None

    def _row(self, table, key, columns_to_get):
        attrs = table.rows[key]
        names = sorted(attrs) if not columns_to_get else [c for c in columns_to_get if c in attrs]
        return ts.Row(list(zip(table.pk_names, key)), [(n, attrs[n], 1) for n in names])

    def get_row(self, table_name, primary_key, columns_to_get=None, column_filter=None, max_version=1, **kwargs):
        table = self._table(table_name)
        key = self._pk(table, primary_key)
        if key not in table.rows or not _passes(table.rows[key], column_filter):
            return ts.CapacityUnit(1, 0), None, None
        return ts.CapacityUnit(1, 0), self._row(table, key, columns_to_get), None

    def get_range(self, table_name, direction, inclusive_start_primary_key, exclusive_end_primary_key,
                  columns_to_get=None, limit=None, column_filter=None, max_version=1, **kwargs):
        table = self._table(table_name)
        start = tuple(_Key(v) for v in self._pk(table, inclusive_start_primary_key, allow_inf=True))
        end = tuple(_Key(v) for v in self._pk(table, exclusive_end_primary_key, allow_inf=True))
        if limit is not None and limit <= 0:
            raise _error(400, "OTSParameterInvalid", "The limit must be greater than 0.")
        if direction == ts.Direction.FORWARD:
            if start >= end:
                raise _error(400, "OTSParameterInvalid", "Begin key must less than end key in FORWARD")
            keys = sorted((k for k in table.rows if start <= tuple(map(_Key, k)) < end), key=lambda k: tuple(map(_Key, k)))
        elif direction == ts.Direction.BACKWARD:
            if end >= start:
                raise _error(400, "OTSParameterInvalid", "Begin key must more than end key in BACKWARD")
            keys = sorted((k for k in table.rows if end < tuple(map(_Key, k)) <= start), key=lambda k: tuple(map(_Key, k)), reverse=True)
        else:
            raise _error(400, "OTSParameterInvalid", "bad direction")
        rows, scanned = [], 0
        for key in keys:
            if (limit is not None and len(rows) >= limit) or scanned >= self.scan_budget:
                return ts.CapacityUnit(scanned, 0), list(zip(table.pk_names, key)), rows, None
            scanned += 1
            if _passes(table.rows[key], column_filter):
                rows.append(self._row(table, key, columns_to_get))
        return ts.CapacityUnit(scanned, 0), None, rows, None


def _passes(attrs, condition):
    if condition is None:
        return True
    if isinstance(condition, ts.SingleColumnCondition):
        if condition.column_name not in attrs:
            return condition.pass_if_missing
        value = attrs[condition.column_name]
        ops = {
            ts.ComparatorType.EQUAL: lambda a, b: a == b,
            ts.ComparatorType.NOT_EQUAL: lambda a, b: a != b,
            ts.ComparatorType.GREATER_THAN: lambda a, b: a > b,
            ts.ComparatorType.GREATER_EQUAL: lambda a, b: a >= b,
            ts.ComparatorType.LESS_THAN: lambda a, b: a < b,
            ts.ComparatorType.LESS_EQUAL: lambda a, b: a <= b,
        }
        return ops[condition.comparator](value, condition.column_value)
    raise NotImplementedError(type(condition).__name__)


def camera_tables(client=None):
    """A fake with the camera backend's three tables, as Terraform creates them."""
    client = client or FakeOTSClient()
    for name, pk in (("images", ["partition_key", "row_key"]), ("devices", ["device_id"]), ("device_nonces", ["device_id", "nonce"])):
        meta = ts.TableMeta(name, [(n, "STRING") for n in pk])
        client.create_table(meta, ts.TableOptions(time_to_live=-1, max_version=1), ts.ReservedThroughput(ts.CapacityUnit(0, 0)))
    return client
