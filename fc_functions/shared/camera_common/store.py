"""Tablestore access for the handlers, written against the ``OTSClient`` interface.

``client`` is a ``tablestore.OTSClient`` in production and a fake with the same methods in
tests. ``tablestore`` itself is imported on first use (it is slow to import).
"""

import json
import logging

from .errors import HttpError, conflict, unauthorized

LOG = logging.getLogger("camera")

IMAGE_COLUMNS = ["device_id", "has_motion", "oss_path_original", "oss_path_thumbnail", "created_at", "image_size"]
DEVICE_COLUMNS = ["owner_id", "salt", "secret_hash", "status", "created_at", "webhook"]
MAX_PAGES = 10


def _ts():
    from .clients import load_tablestore

    return load_tablestore()


def _attrs(row):
    if row is None:
        return None
    return {col[0]: col[1] for col in row.attribute_columns}


def _condition_failed(exc):
    return getattr(exc, "code", "") == "OTSConditionCheckFail"


def _unavailable(exc):
    LOG.error(json.dumps({"event": "tablestore_error", "error": type(exc).__name__, "code": getattr(exc, "code", None)}))
    return HttpError(503, "Unavailable", "storage is unavailable, try again")


class Store:
    def __init__(self, client, config):
        self.client = client
        self.config = config

    def _call(self, name, *args, **kwargs):
        ts = _ts()
        try:
            return getattr(self.client, name)(*args, **kwargs)
        except ts.OTSServiceError as exc:
            if _condition_failed(exc):
                raise
            raise _unavailable(exc)
        except ts.OTSClientError as exc:
            raise _unavailable(exc)

    # ------------------------------------------------------------------ devices
    def get_device(self, device_id):
        dummy, row, dummy2 = self._call("get_row", self.config.devices_table, [("device_id", device_id)], columns_to_get=DEVICE_COLUMNS, max_version=1)
        attrs = _attrs(row)
        if attrs and attrs.get("webhook"):
            try:
                attrs["webhook"] = json.loads(attrs["webhook"])
            except ValueError:
                attrs["webhook"] = None
        return attrs

    def create_device(self, device_id, attrs):
        ts = _ts()
        columns = [(k, json.dumps(v, sort_keys=True) if isinstance(v, dict) else v) for k, v in sorted(attrs.items()) if v is not None]
        row = ts.Row([("device_id", device_id)], columns)
        try:
            self._call("put_row", self.config.devices_table, row, ts.Condition(ts.RowExistenceExpectation.EXPECT_NOT_EXIST))
        except ts.OTSServiceError:
            raise conflict("device is already registered", code="DeviceExists")

    def use_nonce(self, device_id, nonce, now):
        """Record a nonce once; a second use is a replay (401)."""
        ts = _ts()
        row = ts.Row([("device_id", device_id), ("nonce", nonce)], [("seen_at", int(now))])
        try:
            self._call("put_row", self.config.nonces_table, row, ts.Condition(ts.RowExistenceExpectation.EXPECT_NOT_EXIST))
        except ts.OTSServiceError:
            raise unauthorized("request was already used", code="Replay")

    # ------------------------------------------------------------------- images
    def get_image(self, device_id, row_key):
        pk = [("partition_key", device_id), ("row_key", row_key)]
        dummy, row, dummy2 = self._call("get_row", self.config.images_table, pk, columns_to_get=IMAGE_COLUMNS, max_version=1)
        return _attrs(row)

    def create_image(self, device_id, row_key, attrs):
        """Insert the row unless it exists; return True when it was created."""
        ts = _ts()
        row = ts.Row([("partition_key", device_id), ("row_key", row_key)], sorted((k, v) for k, v in attrs.items() if v is not None))
        try:
            self._call("put_row", self.config.images_table, row, ts.Condition(ts.RowExistenceExpectation.EXPECT_NOT_EXIST))
        except ts.OTSServiceError:
            return False
        return True

    def update_image(self, device_id, row_key, attrs):
        ts = _ts()
        row = ts.Row([("partition_key", device_id), ("row_key", row_key)], {"PUT": sorted((k, v) for k, v in attrs.items() if v is not None)})
        self._call("update_row", self.config.images_table, row, ts.Condition(ts.RowExistenceExpectation.IGNORE))

    def query_images(self, device_id, start_ms, end_ms, limit, motion=None, resume_key=None):
        """Images of one device with ``start_ms <= time <= end_ms``, newest first.

        Returns ``(items, next_row_key)``; ``next_row_key`` is None at the end.
        """
        ts = _ts()
        start = [("partition_key", device_id), ("row_key", resume_key or ("%013d~" % end_ms))]
        end = [("partition_key", device_id), ("row_key", "%013d" % start_ms)]
        column_filter = None
        if motion is not None:
            column_filter = ts.SingleColumnCondition("has_motion", bool(motion), ts.ComparatorType.EQUAL, pass_if_missing=False)
        items = []
        next_key = None
        for _dummy in range(MAX_PAGES):
            dummy2, next_pk, rows, dummy3 = self._call(
                "get_range", self.config.images_table, ts.Direction.BACKWARD, start, end,
                columns_to_get=IMAGE_COLUMNS, limit=limit - len(items), column_filter=column_filter, max_version=1,
            )
            for row in rows:
                pk = dict(row.primary_key)
                if pk.get("partition_key") != device_id:  # never another device's data
                    continue
                item = _attrs(row)
                item["image_id"] = pk["row_key"]
                items.append(item)
            if not next_pk:
                return items, None
            next_pk = list(next_pk)
            if dict(next_pk).get("partition_key") != device_id:
                return items, None
            next_key = dict(next_pk).get("row_key")
            if len(items) >= limit:
                return items[:limit], next_key
            start = next_pk
        return items, next_key
