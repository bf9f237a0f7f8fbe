# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_subdomain (mysite.amazonlightsail.com) against a Stubber-checked client."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from lightsail_utils import CREATED, Stubbed, arn, operation, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_subdomain

CDN = arn("Distribution", "cdn-1")
OTHER_CDN = arn("Distribution", "cdn-2")


def sub(state="UNATTACHED", attached=None, name="mysite"):
    value = {"subdomainName": name, "arn": arn("Subdomain", name), "fqdn": "%s.amazonlightsail.com" % name, "depth": name.count(".") + 1,
             "state": state, "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "createdAt": CREATED}
    if attached:
        value["attachedResource"] = {"arn": attached, "name": attached.rsplit("/", 1)[-1], "attachedAt": CREATED}
    return value


def get(stub, value=None, missing=False):
    if missing:
        stub.error("GetSubdomains", params={"subdomainName": "mysite"})
    else:
        stub.add("GetSubdomains", {"subdomains": [value or sub()]}, {"subdomainName": "mysite"})


def sop(op_type, value=None):
    return {"subdomain": value or sub(), "operation": operation(op_type, "mysite", resource_type="Subdomain")}


def run(params, stub, **kwargs):
    return run_module(lightsail_subdomain.main, dict({"name": "mysite"}, **params), stub, **kwargs)


def test_create_checks_availability_then_associates():
    stub = Stubbed()
    get(stub, missing=True)
    stub.add("CheckSubdomainAvailability", {"available": True, "subdomainName": "mysite"}, {"subdomainName": "mysite"})
    stub.add("CreateSubdomain", sop("CreateSubdomain", sub(state="CREATING")), {"subdomainName": "mysite", "tags": [{"key": "app", "value": "blog"}]})
    get(stub, sub(state="CREATING"))
    get(stub, sub())
    stub.add("UpdateSubdomainAssociation", sop("UpdateSubdomainAssociation"),
             {"subdomainName": "mysite", "action": "ASSOCIATE", "targetResourceArn": CDN})
    get(stub, sub(state="ATTACHED", attached=CDN))
    result = run({"target_resource_arn": CDN, "tags": {"app": "blog"}}, stub)
    assert result["changed"] is True
    assert result["actions"] == ["create subdomain mysite", "associate subdomain mysite with %s" % CDN]
    assert result["subdomain"]["fqdn"] == "mysite.amazonlightsail.com" and result["subdomain"]["attached_resource"]["arn"] == CDN


def test_unchanged_is_one_read_and_taken_name_fails_before_creating():
    stub = Stubbed()
    get(stub, sub(state="ATTACHED", attached=CDN))
    result = run({"target_resource_arn": CDN}, stub)
    assert result["changed"] is False and stub.calls == ["GetSubdomains"]

    stub = Stubbed()
    get(stub, missing=True)
    stub.add("CheckSubdomainAvailability", {"available": False, "subdomainName": "mysite"}, {"subdomainName": "mysite"})
    result = run({}, stub)
    assert result["failed"] is True and "subdomain mysite is not available" in result["msg"]
    assert stub.count("CreateSubdomain") == 0


def test_move_to_another_distribution_and_detach():
    stub = Stubbed()
    get(stub, sub(state="ATTACHED", attached=OTHER_CDN))
    stub.add("UpdateSubdomainAssociation", sop("UpdateSubdomainAssociation"),
             {"subdomainName": "mysite", "action": "TRANSFER", "targetResourceArn": CDN})
    get(stub, sub(state="ATTACHED", attached=CDN))
    result = run({"target_resource_arn": CDN}, stub, diff=True)
    assert result["actions"] == ["move subdomain mysite from %s to %s" % (OTHER_CDN, CDN)]
    assert result["diff"]["before"]["attached_resource"]["arn"] == OTHER_CDN

    stub = Stubbed()
    get(stub, sub(state="ATTACHED", attached=CDN))
    stub.add("UpdateSubdomainAssociation", sop("UpdateSubdomainAssociation"), {"subdomainName": "mysite", "action": "DISASSOCIATE"})
    get(stub, sub())
    result = run({"detach": True}, stub)
    assert result["actions"] == ["disassociate subdomain mysite from %s" % CDN]


def test_absent_disassociates_waits_and_deletes_then_absent_again_is_unchanged():
    stub = Stubbed()
    get(stub, sub(state="ATTACHED", attached=CDN))
    stub.add("UpdateSubdomainAssociation", sop("UpdateSubdomainAssociation"), {"subdomainName": "mysite", "action": "DISASSOCIATE"})
    get(stub, sub(state="DETACHING", attached=CDN))
    get(stub, sub())
    stub.add("DeleteSubdomain", sop("DeleteSubdomain"), {"subdomainName": "mysite"})
    result = run({"state": "absent"}, stub)
    assert result["changed"] is True and result["subdomain"] == {}
    assert result["actions"] == ["disassociate subdomain mysite from %s" % CDN, "delete subdomain mysite"]

    stub = Stubbed()
    get(stub, missing=True)
    assert run({"state": "absent"}, stub)["changed"] is False


def test_check_mode_predicts_without_any_write_or_reservation():
    stub = Stubbed()
    get(stub, missing=True)
    result = run({"target_resource_arn": CDN}, stub, check_mode=True)
    assert result["changed"] is True and stub.calls == ["GetSubdomains"]
    assert result["subdomain"]["fqdn"] == "mysite.amazonlightsail.com"
    assert result["subdomain"]["attached_resource"]["arn"] == CDN


def test_bad_name_fails_before_any_call():
    result = run_module(lightsail_subdomain.main, {"name": "My_Site"}, Stubbed())
    assert result["failed"] is True and "lowercase" in result["msg"]
