# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""alidns_record against a fake Alidns endpoint on 127.0.0.1.

Every request is checked against the Alidns 2015-01-09 API metadata (data/alidns_2015-01-09.json: action names,
parameter names, required parameters, types) and its ACS3-HMAC-SHA256 signature is recomputed here from the documented
algorithm with the test's secret. The acme_certificate role's aliyun_dns provider task file is driven the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.alidns import relative_name
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError
from ansible_collections.opsforge.infra.plugins.modules import alidns_record
from ansible_collections.opsforge.infra.tests.unit.roles.acme_providers import provider_calls
from ansible_collections.opsforge.infra.tests.unit.roles.acme_providers import run_module
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.module_runner import run_module as run_in_process

API = json.load(open(os.path.join(os.path.dirname(__file__), "data", "alidns_2015-01-09.json")))
AK, SECRET = "LTAI-test-key", "alidns-secret-never-logged"
NAME = "_acme-challenge.shop.example.com"


def _encode(value):
    return quote(value, safe="-_.~")


def expected_signature(method, path, query, headers, body):
    """ACS3-HMAC-SHA256 as Alibaba Cloud documents it (V3 request signature)."""
    auth = headers["authorization"]
    assert auth.startswith("ACS3-HMAC-SHA256 "), auth
    fields = dict(part.split("=", 1) for part in auth[len("ACS3-HMAC-SHA256 "):].split(","))
    assert fields["Credential"] == AK
    signed = fields["SignedHeaders"].split(";")
    assert {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-content-sha256", "x-acs-signature-nonce"} <= set(signed)
    assert headers["x-acs-content-sha256"] == hashlib.sha256(body).hexdigest()
    canonical = "\n".join([
        method, path,
        "&".join("%s=%s" % (_encode(k), _encode(v)) for k, v in sorted(query)),
        "".join("%s:%s\n" % (h, headers[h].strip()) for h in signed),
        ";".join(signed),
        hashlib.sha256(body).hexdigest()])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return fields["Signature"], hmac.new(SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def check_params(action, params):
    assert action in API["actions"], "%s is not an Alidns %s action" % (action, API["version"])
    model = API["actions"][action]["parameters"]
    for name, value in params.items():
        assert name in model, "%s has no parameter %s" % (action, name)
        if model[name]["type"] == "Long":
            assert value.lstrip("-").isdigit(), (name, value)
    missing = [n for n, p in model.items() if p["required"] and n not in params]
    assert not missing, "%s lacks required %s" % (action, missing)


class FakeAlidns:
    def __init__(self, records=()):
        self.records = [dict(r) for r in records]
        self.actions = []
        self.errors = []
        self.next_id = 1000
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urlsplit(self.path)
                query = parse_qsl(url.query, keep_blank_values=True)
                headers = {k.lower(): v for k, v in self.headers.items()}
                params = dict(query)
                params.update(parse_qsl(body.decode()))
                action = headers.get("x-acs-action")
                try:
                    assert headers.get("x-acs-version") == API["version"], headers.get("x-acs-version")
                    got, want = expected_signature("POST", url.path or "/", query, headers, body)
                    assert got == want, "signature %s, expected %s" % (got, want)
                    check_params(action, params)
                    status, answer = 200, fake.answer(action, params)
                except AssertionError as exc:
                    fake.errors.append(str(exc))
                    status, answer = 400, {"Code": "InvalidParameter", "Message": str(exc), "RequestId": "r"}
                fake.actions.append(action)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, action, p):
        if action == "DescribeSubDomainRecords":
            rr = p["SubDomain"][:-len(p["DomainName"]) - 1] if p["SubDomain"] != p["DomainName"] else "@"
            found = [r for r in self.records if r["RR"] == rr and r["Type"] == p.get("Type", r["Type"])]
            return {"TotalCount": len(found), "PageNumber": 1, "PageSize": 100, "RequestId": "r", "DomainRecords": {"Record": found}}
        if action == "AddDomainRecord":
            self.next_id += 1
            self.records.append({"RecordId": str(self.next_id), "DomainName": p["DomainName"], "RR": p["RR"], "Type": p["Type"],
                                 "Value": p["Value"], "TTL": int(p.get("TTL", 600)), "Line": "default", "Status": "ENABLE"})
            return {"RecordId": str(self.next_id), "RequestId": "r"}
        record = [r for r in self.records if r["RecordId"] == p["RecordId"]][0]
        if action == "DeleteDomainRecord":
            self.records.remove(record)
        else:
            record.update(TTL=int(p["TTL"]), Value=p["Value"])
        return {"RecordId": p["RecordId"], "RequestId": "r"}

    def values(self):
        return sorted(r["Value"] for r in self.records if r["RR"] == "_acme-challenge.shop")


@pytest.fixture
def alidns():
    fake = FakeAlidns([{"RecordId": "1", "DomainName": "example.com", "RR": "_acme-challenge.shop", "Type": "TXT",
                        "Value": "someone-elses-value", "TTL": 600, "Line": "default", "Status": "ENABLE"}])
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    assert not fake.errors, fake.errors


def run(fake, check_mode=False, **params):
    args = dict(dict(domain="example.com", record=NAME, value="token-1", access_key=AK, secret_key=SECRET,
                     endpoint=fake.endpoint), **params)
    result = run_module("opsforge.infra.alidns_record", args, check_mode=check_mode)
    assert SECRET not in repr(result)
    return result


def test_lifecycle_check_apply_again_absent_twice(alidns):
    result = run(alidns, check_mode=True, ttl=600)
    assert result["changed"] and result["record"]["record_id"] is None and alidns.values() == ["someone-elses-value"]
    result = run(alidns, ttl=600)
    assert result["changed"] and result["record"]["rr"] == "_acme-challenge.shop" and result["record"]["record_id"]
    assert result["diff"]["before"] == {}
    assert alidns.values() == ["someone-elses-value", "token-1"]
    assert not run(alidns, check_mode=True, ttl=600)["changed"]
    before = list(alidns.actions)
    assert not run(alidns, ttl=600)["changed"]
    assert alidns.actions[len(before):] == ["DescribeSubDomainRecords"]
    assert run(alidns, state="absent")["changed"]
    assert alidns.values() == ["someone-elses-value"]
    assert not run(alidns, state="absent")["changed"]


def test_a_different_ttl_is_updated_in_place(alidns):
    run(alidns, ttl=600)
    result = run(alidns, ttl=1200)
    assert result["changed"] and result["diff"]["before"]["ttl"] == 600 and result["record"]["ttl"] == 1200
    assert "UpdateDomainRecord" in alidns.actions and alidns.values() == ["someone-elses-value", "token-1"]


def test_a_wrong_secret_fails_clearly_and_changes_nothing(alidns):
    result = run(alidns, secret_key="not-the-secret")
    alidns.errors.clear()
    assert result.get("failed"), result
    assert "describe the TXT records of _acme-challenge.shop.example.com failed (InvalidParameter)" in result["msg"], result["msg"]
    assert "not-the-secret" not in repr(result)
    assert alidns.values() == ["someone-elses-value"]


def test_names_are_made_relative_to_the_domain():
    assert relative_name(NAME + ".", "example.com") == "_acme-challenge.shop"
    assert relative_name("example.com", "example.com.") == "@"
    assert relative_name("www", "example.com") == "www"
    with pytest.raises(AliyunError, match="not in the domain"):
        relative_name("www.example.org", "example.com")


def test_the_metadata_rejects_unknown_and_missing_parameters():
    with pytest.raises(AssertionError, match="has no parameter"):
        check_params("AddDomainRecord", {"DomainName": "example.com", "RR": "a", "Type": "TXT", "Value": "v", "Record": "x"})
    with pytest.raises(AssertionError, match="lacks required"):
        check_params("DeleteDomainRecord", {})


def test_the_role_provider_adds_and_removes_each_value(alidns):
    tokens = ["tokenForTheName", "tokenForTheWildcard"]
    role_vars = dict(acme_certificate_aliyun_domain="example.com", acme_certificate_aliyun_access_key=AK,
                     acme_certificate_aliyun_secret_key=SECRET, acme_certificate_aliyun_endpoint=alidns.endpoint)
    for state, want in (("present", sorted(tokens + ["someone-elses-value"])), ("absent", ["someone-elses-value"])):
        calls = provider_calls("aliyun_dns", state, {NAME: tokens}, **role_vars)
        assert [c[0] for c in calls] == ["opsforge.infra.alidns_record"] * 2
        for fqcn, args in calls:
            result = run_module(fqcn, args)
            assert result["changed"] and not result.get("failed"), result
        assert alidns.values() == want


def test_a_misspelled_option_is_refused_before_any_request(alidns, capsys):
    result = run_in_process(capsys, alidns_record, domain="example.com", record=NAME, value="v", access_key=AK, secret_key=SECRET,
                            endpoint=alidns.endpoint, tll=600)
    assert result["failed"] is True and "tll" in result["msg"]
    assert alidns.actions == []
