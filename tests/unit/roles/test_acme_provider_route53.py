# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""acme_certificate's route53 provider: the role's task file drives amazon.aws.route53, and every request it sends is
validated by botocore's Stubber against the real Route 53 service model; it waits until the change is INSYNC."""

from __future__ import annotations

from unittest import mock

import boto3
import botocore.session
from botocore.stub import Stubber

from ansible_collections.opsforge.infra.tests.unit.roles.acme_providers import provider_calls
from ansible_collections.opsforge.infra.tests.unit.roles.acme_providers import run_module

ZONE_ID = "Z0123456789ABCDEFGHIJ"
NAME = "_acme-challenge.shop.example.com"
TOKENS = ["tokenForTheName", "tokenForTheWildcard"]
ROLE_VARS = dict(acme_certificate_route53_zone="example.com", acme_certificate_route53_access_key="AKIDEXAMPLE",
                 acme_certificate_route53_secret_key="s3cr3t-value")


def stubbed():
    client = botocore.session.get_session().create_client(
        "route53", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="s3cr3t-value")
    return client, Stubber(client)


def zones(stub):
    stub.add_response("list_hosted_zones", {"HostedZones": [
        {"Id": "/hostedzone/" + ZONE_ID, "Name": "example.com.", "CallerReference": "ref", "Config": {"PrivateZone": False}}],
        "IsTruncated": False, "MaxItems": "100", "Marker": ""}, {})


def records(stub, existing):
    stub.add_response("list_resource_record_sets", {"ResourceRecordSets": existing, "IsTruncated": False, "MaxItems": "300"},
                      {"HostedZoneId": ZONE_ID})


def change(stub, action, ttl=60):
    rrset = {"Name": NAME + ".", "Type": "TXT", "TTL": ttl, "ResourceRecords": [{"Value": '"%s"' % t} for t in TOKENS]}
    stub.add_response("change_resource_record_sets", {"ChangeInfo": {"Id": "/change/C1", "Status": "PENDING", "SubmittedAt": "2026-01-01T00:00:00Z"}},
                      {"HostedZoneId": ZONE_ID, "ChangeBatch": {"Changes": [{"Action": action, "ResourceRecordSet": rrset}]}})
    for status in ("PENDING", "INSYNC"):
        stub.add_response("get_change", {"ChangeInfo": {"Id": "/change/C1", "Status": status, "SubmittedAt": "2026-01-01T00:00:00Z"}},
                          {"Id": "/change/C1"})


def run(state, client, stub, check_mode=False):
    results = []
    with mock.patch.object(boto3.session.Session, "client", lambda *a, **kw: client), \
            mock.patch("time.sleep"), stub:
        for fqcn, args in provider_calls("route53", state, {NAME: TOKENS}, **ROLE_VARS):
            assert fqcn == "amazon.aws.route53"
            result = run_module(fqcn, args, check_mode=check_mode)
            assert not result.get("failed"), result["msg"]
            results.append(result)
        stub.assert_no_pending_responses()
    return results


def test_publish_creates_one_txt_set_with_both_values_and_waits_for_insync():
    client, stub = stubbed()
    zones(stub)
    records(stub, [])
    change(stub, "CREATE")
    (result,) = run("present", client, stub)
    assert result["changed"] is True and not result.get("failed"), result
    assert "s3cr3t-value" not in repr(result)


def test_publish_again_is_unchanged_and_writes_nothing():
    client, stub = stubbed()
    zones(stub)
    records(stub, [{"Name": NAME + ".", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"%s"' % t} for t in TOKENS]}])
    (result,) = run("present", client, stub)
    assert result["changed"] is False, result


def test_removal_deletes_the_set_and_waits():
    client, stub = stubbed()
    zones(stub)
    records(stub, [{"Name": NAME + ".", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"%s"' % t} for t in TOKENS]}])
    change(stub, "DELETE")
    (result,) = run("absent", client, stub)
    assert result["changed"] is True, result


def test_removal_of_a_missing_set_is_unchanged():
    client, stub = stubbed()
    zones(stub)
    records(stub, [])
    (result,) = run("absent", client, stub)
    assert result["changed"] is False, result


def test_the_role_passes_the_documented_options():
    ((fqcn, args),) = provider_calls("route53", "present", {NAME: TOKENS}, acme_certificate_route53_hosted_zone_id="Z1")
    assert fqcn == "amazon.aws.route53"
    assert args["hosted_zone_id"] == "Z1" and "zone" not in args and "secret_key" not in args
    assert args["wait"] is True and args["value"] == ['"tokenForTheName"', '"tokenForTheWildcard"']
