# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Semantic comparison of RAM policy documents (trust policies and permission policies).

RAM accepts a string or a list wherever a list may appear, ignores the order of
statements and of list items, and treats action names case-insensitively. Two documents
that differ only in these ways are equal here, so modules do not report false changes.
"""

from __future__ import annotations

import json

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError

LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")


def load(document, what="policy document"):
    if isinstance(document, (bytes, bytearray)):
        document = document.decode("utf-8")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise AliyunError("%s is not valid JSON: %s" % (what, exc))
    if not isinstance(document, dict) or "Statement" not in document:
        raise AliyunError("%s must be a JSON object with a Statement" % what)
    return document


def _as_sorted_list(value, lower=False):
    items = value if isinstance(value, list) else [value]
    items = [str(v).lower() if lower else str(v) for v in items]
    return sorted(set(items))


def _norm_statement(statement):
    if not isinstance(statement, dict):
        raise AliyunError("every Statement must be an object")
    out = {}
    for key, value in statement.items():
        if key in LIST_KEYS:
            out[key] = _as_sorted_list(value, lower=key in ("Action", "NotAction"))
        elif key == "Effect":
            out[key] = str(value).capitalize()
        elif key == "Principal" and isinstance(value, dict):
            out[key] = {k: _as_sorted_list(v) for k, v in value.items()}
        elif key == "Condition" and isinstance(value, dict):
            out[key] = {op: {k: _as_sorted_list(v) for k, v in (cond or {}).items()} for op, cond in value.items()}
        else:
            out[key] = value
    return out


def normalize(document, what="policy document"):
    document = load(document, what)
    statements = document.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    normalized = [_norm_statement(s) for s in statements]
    return {"Version": str(document.get("Version", "1")), "Statement": sorted(normalized, key=lambda s: json.dumps(s, sort_keys=True))}


def same(left, right):
    return normalize(left) == normalize(right)


def dumps(document):
    """The compact JSON that is sent to RAM."""
    return json.dumps(load(document), sort_keys=True, separators=(",", ":"))
