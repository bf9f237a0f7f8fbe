# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Account-wide Lightsail pieces: VPC peering, the profile and active names, cost estimates, automatic snapshots."""

from __future__ import annotations

import datetime
import re

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.metric import parse_time
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import operations_of


# -- VPC peering ----------------------------------------------------------------------------------
def vpc_peering(client, state="present", wait=True, wait_timeout=300):
    """Peer (``present``) or unpeer (``absent``) the Lightsail VPC of the client's region with the
    account's default VPC (one IsVpcPeered read when nothing changes)."""
    peered = bool(client.call("IsVpcPeered").get("isPeered"))
    wanted = state == "present"
    before = {"peered": peered, "region": client.region}
    after = {"peered": wanted, "region": client.region}
    if peered == wanted:
        return {"changed": False, "actions": [], "diff": {"before": before, "after": before}, "vpc_peering": before}
    if wanted:
        action, operation = "peer the Lightsail VPC of %s with the default VPC" % client.region, "PeerVpc"
    else:
        action, operation = "unpeer the Lightsail VPC of %s from the default VPC" % client.region, "UnpeerVpc"
    if not client.check_mode:
        operations = operations_of(client.call(operation))
        if wait:
            client.wait_operations(operations, timeout=wait_timeout)
    return {"changed": True, "actions": [action], "diff": {"before": before, "after": after}, "vpc_peering": after}


# -- account information --------------------------------------------------------------------------
def account_info(client):
    """The account's Lightsail profile, whether the region's VPC is peered, and the names in use."""
    profile = dict(client.call("GetProfile"))
    profile.pop("ResponseMetadata", None)
    return {
        "profile": normalize_resource(profile),
        "vpc_peered": bool(client.call("IsVpcPeered").get("isPeered")),
        "active_names": sorted(client.paginate("GetActiveNames", "activeNames")),
    }


# -- cost estimates -------------------------------------------------------------------------------
def cost_estimates(client, resource_names, start_time="-30d", end_time="now", now=None):
    """GetCostEstimate for each resource between two times (ISO 8601 or relative: ``-7d``, ``now``);
    ``total`` sums the usage cost per currency."""
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start, end = parse_time(start_time, now), parse_time(end_time, now)
    if start >= end:
        raise invalid("start_time (%s) must be before end_time (%s)" % (start.isoformat(), end.isoformat()))
    estimates, total = [], {}
    for name in resource_names:
        response = client.call("GetCostEstimate", resourceName=name, startTime=start, endTime=end)
        for estimate in response.get("resourcesBudgetEstimate") or []:
            estimates.append(normalize_resource(estimate))
            for usage in estimate.get("costEstimates") or []:
                for result in usage.get("resultsByTime") or []:
                    currency = result.get("currency") or "USD"
                    total[currency] = round(total.get(currency, 0.0) + float(result.get("usageCost") or 0.0), 6)
    return {"cost_estimates": estimates, "total": total, "start_time": start.isoformat(), "end_time": end.isoformat()}


# -- automatic snapshots --------------------------------------------------------------------------
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def auto_snapshots(client, resource_name, delete_dates=None, keep_last=None, wait=True, wait_timeout=300):
    """Delete automatic snapshots of an instance or disk by date, and/or all but the newest ``keep_last``.

    One GetAutoSnapshots read; dates that do not exist are ignored (already gone), so a second run is
    unchanged. In check mode nothing is deleted and ``deleted`` lists what would be.
    """
    for date in delete_dates or []:
        if not DATE.match(date):
            raise invalid("delete_dates: %r is not a date in the form YYYY-MM-DD" % date)
    if keep_last is not None and keep_last < 0:
        raise invalid("keep_last must be 0 or more")
    current = client.call("GetAutoSnapshots", resourceName=resource_name).get("autoSnapshots") or []
    dates = sorted(a["date"] for a in current)
    doomed = set(d for d in delete_dates or [] if d in dates)
    if keep_last is not None:
        doomed.update(dates[:max(0, len(dates) - keep_last)])
    doomed = sorted(doomed)
    if doomed and not client.check_mode:
        for date in doomed:
            operations = operations_of(client.call("DeleteAutoSnapshot", resourceName=resource_name, date=date))
            if wait:
                client.wait_operations(operations, timeout=wait_timeout)
    before = [normalize_resource(a) for a in sorted(current, key=lambda a: a["date"])]
    after = [a for a in before if a["date"] not in doomed]
    return {"changed": bool(doomed), "deleted": doomed, "auto_snapshots": after,
            "actions": ["delete automatic snapshot %s of %s" % (d, resource_name) for d in doomed],
            "diff": {"before": {"dates": dates}, "after": {"dates": [a["date"] for a in after]}}}
