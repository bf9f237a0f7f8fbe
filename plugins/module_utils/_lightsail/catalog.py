# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Read-only Lightsail facts: the catalog (blueprints, bundles, regions and zones) and operations."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource

CATALOG_PARTS = ("blueprints", "bundles", "regions")


def catalog_info(client, gather=CATALOG_PARTS, include_inactive=False, platform=None):
    """``{"blueprints": [...], "bundles": [...], "regions": [...]}`` for the parts in ``gather``."""
    result = {}
    if "blueprints" in gather:
        items = client.paginate("GetBlueprints", "blueprints", includeInactive=include_inactive)
        if platform:
            items = [b for b in items if b.get("platform") == platform]
        result["blueprints"] = [normalize_resource(b) for b in items]
    if "bundles" in gather:
        items = client.paginate("GetBundles", "bundles", includeInactive=include_inactive)
        if platform:
            items = [b for b in items if platform in (b.get("supportedPlatforms") or [])]
        result["bundles"] = [normalize_resource(b) for b in items]
    if "regions" in gather:
        response = client.call("GetRegions", includeAvailabilityZones=True)
        result["regions"] = [normalize_resource(r) for r in response.get("regions") or []]
    return result


def operation_info(client, operation_id=None, resource_name=None, limit=50):
    """One operation by id, the operations of a resource, or the account's most recent ones (newest first)."""
    if operation_id:
        response = client.call("GetOperation", not_found_ok=True, operationId=operation_id)
        return [normalize_resource(response["operation"])] if response else []
    operations = []
    token = None
    while True:
        params = {"pageToken": token} if token else {}
        if resource_name:
            response = client.call("GetOperationsForResource", resourceName=resource_name, **params)
        else:
            response = client.call("GetOperations", **params)
        operations.extend(response.get("operations") or [])
        token = response.get("nextPageToken")
        if not token or (limit and len(operations) >= limit):
            break
    if limit:
        operations = operations[:limit]
    return [normalize_resource(o) for o in operations]
