# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_contact_method against a Stubber-checked botocore client."""

from __future__ import annotations

from lightsail_utils import CREATED, Stubbed, arn, ops, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_contact_method

RT = "ContactMethod"
EMAIL = {"protocols": ["Email"]}


def method(**over):
    value = {"contactEndpoint": "ops@example.com", "status": "Valid", "protocol": "Email", "name": "Email-ops", "arn": arn("ContactMethod", "Email"),
             "createdAt": CREATED, "resourceType": RT, "tags": []}
    value.update(over)
    return value


BASE = {"protocol": "Email", "contact_endpoint": "ops@example.com"}


def test_create_and_send_verification():
    stub = Stubbed()
    stub.add("GetContactMethods", {"contactMethods": []}, EMAIL)
    stub.add("CreateContactMethod", ops("CreateContactMethod", "Email", resource_type=RT), {"protocol": "Email", "contactEndpoint": "ops@example.com"})
    stub.add("SendContactMethodVerification", ops("SendContactMethodVerification", "Email", resource_type=RT), {"protocol": "Email"})
    stub.add("GetContactMethods", {"contactMethods": [method(status="PendingVerification")]}, EMAIL)
    result = run_module(lightsail_contact_method.main, dict(BASE, send_verification=True), stub)
    assert result["changed"] is True and result["verification_sent"] is True
    assert result["contact_method"]["status"] == "PendingVerification"


def test_unchanged_is_one_read():
    stub = Stubbed()
    stub.add("GetContactMethods", {"contactMethods": [method()]}, EMAIL)
    result = run_module(lightsail_contact_method.main, dict(BASE, send_verification=True), stub)
    assert result["changed"] is False and stub.calls == ["GetContactMethods"] and result["verification_sent"] is False


def test_endpoint_change_recreates():
    stub = Stubbed()
    stub.add("GetContactMethods", {"contactMethods": [method()]}, EMAIL)
    stub.add("DeleteContactMethod", ops("DeleteContactMethod", "Email", resource_type=RT), {"protocol": "Email"})
    stub.add("CreateContactMethod", ops("CreateContactMethod", "Email", resource_type=RT), {"protocol": "Email", "contactEndpoint": "new@example.com"})
    stub.add("GetContactMethods", {"contactMethods": [method(contactEndpoint="new@example.com", status="PendingVerification")]}, EMAIL)
    result = run_module(lightsail_contact_method.main, dict(BASE, contact_endpoint="new@example.com"), stub, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["contact_endpoint"] == "ops@example.com" and result["diff"]["after"]["contact_endpoint"] == "new@example.com"


def test_check_mode_no_writes():
    stub = Stubbed()
    stub.add("GetContactMethods", {"contactMethods": []}, {"protocols": ["SMS"]})
    result = run_module(lightsail_contact_method.main, {"protocol": "SMS", "contact_endpoint": "+14155550100"}, stub, check_mode=True)
    assert result["changed"] is True and stub.count(writes=True) == 0 and result["contact_method"]["status"] == "PendingVerification"


def test_delete_not_found_throttle_failure_and_bad_input():
    stub = Stubbed()
    stub.error("GetContactMethods", "ThrottlingException")
    stub.add("GetContactMethods", {"contactMethods": [method()]}, EMAIL)
    stub.add("DeleteContactMethod", ops("DeleteContactMethod", "Email", resource_type=RT), {"protocol": "Email"})
    assert run_module(lightsail_contact_method.main, {"protocol": "Email", "state": "absent"}, stub)["changed"] is True
    stub = Stubbed()
    stub.add("GetContactMethods", {"contactMethods": []}, EMAIL)
    result = run_module(lightsail_contact_method.main, {"protocol": "Email", "state": "absent"}, stub)
    assert result["changed"] is False and stub.calls == ["GetContactMethods"]
    stub = Stubbed()
    stub.add("GetContactMethods", {"contactMethods": []}, EMAIL)
    stub.add("CreateContactMethod", ops("CreateContactMethod", "Email", status="Failed", resource_type=RT, errorCode="Invalid", errorDetails="bad address"))
    result = run_module(lightsail_contact_method.main, BASE, stub)
    assert result["failed"] is True and "bad address" in result["msg"]
    stub = Stubbed()
    stub.add("GetContactMethods", {"contactMethods": []}, {"protocols": ["SMS"]})
    result = run_module(lightsail_contact_method.main, {"protocol": "SMS", "contact_endpoint": "0155", "send_verification": True}, stub)
    assert result["failed"] is True and "Email only" in result["msg"]


def test_email_endpoint_must_be_an_address():
    stub = Stubbed()
    stub.add("GetContactMethods", {"contactMethods": []}, EMAIL)
    result = run_module(lightsail_contact_method.main, {"protocol": "Email", "contact_endpoint": "ops.example.com"}, stub)
    assert result["failed"] is True and "not an email address" in result["msg"] and stub.count(writes=True) == 0
