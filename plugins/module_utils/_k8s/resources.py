# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Helpers shared by the GPU platform services: desired-state comparison, merge patches,
quantities, and the create-or-patch step every module uses."""

from __future__ import annotations

import copy
import decimal

_SUFFIXES = {
    "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60,
    "n": decimal.Decimal("1e-9"), "u": decimal.Decimal("1e-6"), "m": decimal.Decimal("1e-3"),
    "k": 10 ** 3, "K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18,
}

# Metadata the server owns; never compared, never shown in diffs.
SERVER_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
                   "deletionGracePeriodSeconds")


def parse_quantity(value):
    """A Kubernetes quantity (``"500m"``, ``"8Gi"``, ``2``, ``"1e3"``) as a Decimal.

    Raises ValueError with the offending text.
    """
    if value is None:
        return decimal.Decimal(0)
    if isinstance(value, (int, float)):
        return decimal.Decimal(str(value))
    text = str(value).strip()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix) and text[:-len(suffix)]:
            number = text[:-len(suffix)]
            try:
                return decimal.Decimal(number) * decimal.Decimal(_SUFFIXES[suffix])
            except decimal.InvalidOperation:
                break
    try:
        return decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError("invalid quantity %r (use e.g. 500m, 4, 16Gi)" % (value,)) from None


def format_quantity(value, binary=False):
    """Decimal -> a short quantity string (``Gi``/``Mi`` for bytes when ``binary``)."""
    value = decimal.Decimal(value)
    if binary:
        for suffix in ("Ti", "Gi", "Mi", "Ki"):
            unit = decimal.Decimal(_SUFFIXES[suffix])
            if value >= unit and value % unit == 0:
                return "%d%s" % (value / unit, suffix)
    if value == value.to_integral_value():
        return str(int(value))
    milli = value * 1000
    if milli == milli.to_integral_value():
        return "%dm" % milli
    return str(value.normalize())


def is_subset(desired, current):
    """True when every key / item of ``desired`` is in ``current`` with the same value.

    Lists must have the same length, item by item. Quantities are strings on both sides
    (the server may answer ``"2"`` where we sent ``2``): scalars compare as text.
    """
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return False
        return all(is_subset(v, current.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(current, list) or len(desired) != len(current):
            return False
        return all(is_subset(d, c) for d, c in zip(desired, current))
    if desired is None:
        return current is None
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired == current
    if current is None:
        return False
    if str(desired) == str(current):
        return True
    try:
        return parse_quantity(desired) == parse_quantity(current)
    except ValueError:
        return False


def get_path(obj, path, default=None):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return obj


def merge_patch(current, desired, replace_paths=()):
    """A JSON merge patch turning ``current`` into ``desired``.

    Dicts merge (keys of ``current`` not in ``desired`` are kept), except the dicts at
    ``replace_paths`` (tuples of keys) whose extra keys are removed (set to ``None``).
    """
    patch = copy.deepcopy(desired)
    patch.pop("apiVersion", None)
    patch.pop("kind", None)
    for path in replace_paths:
        old = get_path(current, path) or {}
        new = get_path(desired, path)
        if not isinstance(old, dict):
            continue
        target = patch
        for key in path:
            target = target.setdefault(key, {})
        for key in old:
            if new is None or key not in new:
                target[key] = None
    return patch


def extra_keys(current, desired, replace_paths):
    """True when a dict at one of ``replace_paths`` holds keys ``desired`` does not."""
    for path in replace_paths:
        old = get_path(current, path) or {}
        new = get_path(desired, path) or {}
        if isinstance(old, dict) and set(old) - set(new):
            return True
    return False


def clean(obj):
    """A copy of ``obj`` without server-owned metadata and status (for diffs and returns)."""
    if obj is None:
        return None
    out = copy.deepcopy(obj)
    meta = out.get("metadata") or {}
    for key in SERVER_METADATA:
        meta.pop(key, None)
    out.pop("status", None)
    return out


def ensure(api, kind, desired, namespace=None, replace_paths=()):
    """Create ``desired`` or merge-patch it into the live object. Returns ``(changed, before, after)``.

    In check mode the api sends ``dryRun=All``, so ``after`` is what the server would hold.
    """
    name = desired["metadata"]["name"]
    before = api.get(kind, name, namespace)
    if before is None:
        after = api.create(kind, desired, namespace)
        return True, None, after or desired
    if is_subset(strip_type(desired), before) and not extra_keys(before, desired, replace_paths):
        return False, before, before
    after = api.patch(kind, name, merge_patch(before, desired, replace_paths), namespace)
    return True, before, after


def strip_type(obj):
    out = dict(obj)
    out.pop("apiVersion", None)
    out.pop("kind", None)
    return out


def delete_if_present(api, kind, name, namespace=None):
    """Delete; ``True`` when something was deleted (or would be, in check mode)."""
    return api.delete(kind, name, namespace) is not None
