# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_vpc_peering: Peer the AWS Lightsail VPC of a region with the account's default VPC (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, operation, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_vpc_peering


def peer_op(op_type, status="Succeeded"):
    return {"operation": operation(op_type, "vpc-0123", status=status, resource_type="PeeredVpc")}


# -- VPC peering ----------------------------------------------------------------------------------
def test_peer_then_unchanged_then_unpeer_then_unchanged():
    stub = Stubbed().add("IsVpcPeered", {"isPeered": False}, {})
    stub.add("PeerVpc", peer_op("PeerVpc", status="Started"), {})
    stub.add("GetOperation", peer_op("PeerVpc"), {"operationId": "op-1"})
    result = run_module(lightsail_vpc_peering.main, {}, stub, diff=True)
    assert result["changed"] is True and result["vpc_peering"] == {"peered": True, "region": "us-east-1"}
    assert result["actions"] == ["peer the Lightsail VPC of us-east-1 with the default VPC"]
    assert result["diff"] == {"before": {"peered": False, "region": "us-east-1"}, "after": {"peered": True, "region": "us-east-1"}}

    stub = Stubbed().add("IsVpcPeered", {"isPeered": True}, {})
    result = run_module(lightsail_vpc_peering.main, {}, stub)
    assert result["changed"] is False and stub.calls == ["IsVpcPeered"]

    stub = Stubbed().add("IsVpcPeered", {"isPeered": True}, {})
    stub.add("UnpeerVpc", peer_op("UnpeerVpc"), {})
    result = run_module(lightsail_vpc_peering.main, {"state": "absent"}, stub)
    assert result["changed"] is True and result["vpc_peering"]["peered"] is False

    stub = Stubbed().add("IsVpcPeered", {"isPeered": False}, {})
    assert run_module(lightsail_vpc_peering.main, {"state": "absent"}, stub)["changed"] is False


def test_peering_check_mode_writes_nothing_and_failure_is_clear():
    stub = Stubbed().add("IsVpcPeered", {"isPeered": False}, {})
    result = run_module(lightsail_vpc_peering.main, {}, stub, check_mode=True)
    assert result["changed"] is True and stub.calls == ["IsVpcPeered"]
    stub = Stubbed().add("IsVpcPeered", {"isPeered": False}, {})
    stub.add("PeerVpc", {"operation": operation(
        "PeerVpc", "vpc-0123", status="Failed", resource_type="PeeredVpc",
        errorCode="NoDefaultVpc", errorDetails="the account has no default VPC")})
    result = run_module(lightsail_vpc_peering.main, {}, stub)
    assert result["failed"] is True and "NoDefaultVpc: the account has no default VPC" in result["msg"]
