# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail tags: lowercase ``[{"key": .., "value": ..}]`` lists <-> plain dicts, and TagResource/UntagResource."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import compare_tags


def tags_to_dict(tag_list):
    """``[{"key": "a", "value": "1"}]`` -> ``{"a": "1"}`` (a missing value becomes ``""``)."""
    return {tag["key"]: tag.get("value", "") for tag in tag_list or []}


def dict_to_tags(tags):
    """``{"a": "1"}`` -> ``[{"key": "a", "value": "1"}]`` (sorted by key, values as strings)."""
    return [{"key": str(k), "value": "" if v is None else str(v)} for k, v in sorted((tags or {}).items())]


def tag_changes(current, desired, purge=True):
    """``(to_set, to_remove)`` to go from ``current`` to ``desired`` dicts; ``desired=None`` leaves tags alone."""
    return compare_tags(current, desired, purge=purge)


def predict_tags(current, desired, purge=True):
    """The tag dict after :func:`ensure_tags` (for check mode and diffs)."""
    to_set, to_remove = tag_changes(current, desired, purge)
    result = {k: v for k, v in (current or {}).items() if k not in to_remove}
    result.update(to_set)
    return result


def ensure_tags(client, resource_name, current, desired, purge=True, resource_arn=None):
    """Make the tags of ``resource_name`` equal ``desired`` (dict); return the operations started.

    ``current`` is the resource's tag dict as read. Nothing is called when nothing differs, or
    when ``client.check_mode`` (the caller reports ``changed`` from :func:`tag_changes`).
    """
    to_set, to_remove = tag_changes(current, desired, purge)
    operations = []
    if client.check_mode:
        return operations
    extra = {"resourceArn": resource_arn} if resource_arn else {}
    if to_remove:
        response = client.call("untag_resource", resourceName=resource_name, tagKeys=to_remove, **extra)
        operations.extend(response.get("operations") or [])
    if to_set:
        response = client.call("tag_resource", resourceName=resource_name, tags=dict_to_tags(to_set), **extra)
        operations.extend(response.get("operations") or [])
    return operations
