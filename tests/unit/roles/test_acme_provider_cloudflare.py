# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""acme_certificate's cloudflare provider: the role's task file drives community.general.cloudflare_dns against a fake
Cloudflare API v4 on 127.0.0.1. Every request is checked against the documented DNS-records API shape
(data/cloudflare_dns_records_api.json: method, path, query parameters, JSON body fields and types, bearer token)."""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.community.general.plugins.modules import cloudflare_dns

from ansible_collections.opsforge.infra.tests.unit.roles.acme_providers import provider_calls
from ansible_collections.opsforge.infra.tests.unit.roles.acme_providers import run_module

API = json.load(open(os.path.join(os.path.dirname(__file__), "data", "cloudflare_dns_records_api.json")))
TOKEN = "cf-token-never-logged"
ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"
NAME = "_acme-challenge.shop.example.com"
TOKENS = ["tokenForTheName", "tokenForTheWildcard"]
ROLE_VARS = dict(acme_certificate_cloudflare_zone="example.com", acme_certificate_cloudflare_api_token=TOKEN)
TYPES = {"string": str, "number": (int, float), "boolean": bool, "array": list, "object": dict}


def _endpoint(method, path):
    for endpoint in API["endpoints"]:
        pattern = "^" + re.sub(r"\{[a-z_]+\}", "[0-9a-f]{32}", re.escape(endpoint["path"]).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        if endpoint["method"] == method and re.match(pattern, path):
            return endpoint
    raise AssertionError("%s %s is not in the documented API" % (method, path))


def check_request(method, url, headers, body):
    """Raise AssertionError unless the request matches the documented API."""
    parts = urlsplit(url)
    assert parts.path.startswith("/client/v4/"), parts.path
    endpoint = _endpoint(method, parts.path[len("/client/v4"):])
    assert headers.get(API["auth"]["header"]) == "%s %s" % (API["auth"]["scheme"], TOKEN), "no bearer token"
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        assert key in endpoint.get("query", {}), "undocumented query parameter %s on %s %s" % (key, method, endpoint["path"])
        if endpoint["query"][key] == "number":
            assert value.isdigit(), (key, value)
    if "body" in endpoint:
        data = json.loads(body)
        for key, kind in endpoint["body"]["required"].items():
            assert isinstance(data.get(key), TYPES[kind]), "body field %s missing or not a %s: %r" % (key, kind, data)
        for key, value in data.items():
            kind = endpoint["body"]["required"].get(key) or endpoint["body"]["optional"].get(key)
            assert kind, "undocumented body field %s" % key
            assert value is None or isinstance(value, TYPES[kind]), (key, value)
        assert data.get("ttl", 1) == 1 or 60 <= data["ttl"] <= 86400, data
    else:
        assert not body, "a %s carries no body" % method
    return endpoint


class FakeCloudflare:
    """The zone example.com and its DNS records, behind the documented API; records every request."""

    def __init__(self, records=()):
        self.records = {}
        for record in records:
            record_id = uuid.uuid4().hex
            self.records[record_id] = dict(record, id=record_id)
        self.requests = []
        self.errors = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                try:
                    endpoint = check_request(self.command, self.path, self.headers, body)
                except AssertionError as exc:
                    fake.errors.append(str(exc))
                    return self._reply(400, None, success=False)
                fake.requests.append((self.command, urlsplit(self.path).path, dict(parse_qsl(urlsplit(self.path).query)),
                                      json.loads(body) if body else None))
                status, result = fake.answer(self.command, endpoint["path"], urlsplit(self.path), body)
                self._reply(status, result)

            def _reply(self, status, result, success=True):
                info = {"page": 1, "per_page": 100, "count": len(result), "total_count": len(result), "total_pages": 1} \
                    if isinstance(result, list) else None
                envelope = {"success": success, "errors": [], "messages": [], "result": result}
                if info:
                    envelope["result_info"] = info
                data = json.dumps(envelope).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/client/v4" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, method, template, url, body):
        query = dict(parse_qsl(url.query))
        if template == "/zones":
            return 200, [{"id": ZONE_ID, "name": "example.com", "status": "active"}] if query.get("name") in (None, "example.com") else []
        if method == "GET":
            return 200, [r for r in self.records.values()
                         if all(r.get(k) == query[k] for k in ("type", "name", "content") if k in query)]
        record_id = url.path.rsplit("/", 1)[-1]
        if method == "DELETE":
            self.records.pop(record_id)
            return 200, {"id": record_id}
        data = json.loads(body)
        record_id = record_id if method == "PUT" else uuid.uuid4().hex
        self.records[record_id] = dict(data, id=record_id, zone_id=ZONE_ID, zone_name="example.com", proxied=False, proxiable=False)
        return 200, self.records[record_id]

    def txt(self):
        return sorted(r["content"].strip('"') for r in self.records.values() if r["type"] == "TXT" and r["name"] == NAME)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cloudflare():
    fake = FakeCloudflare([{"type": "TXT", "name": NAME, "content": "someone-elses-value", "ttl": 1}])
    with mock.patch.object(cloudflare_dns.CloudflareAPI, "cf_api_endpoint", fake.url):
        yield fake
    fake.close()
    assert not fake.errors, fake.errors


def run(state, check_mode=False):
    out = []
    for fqcn, args in provider_calls("cloudflare", state, {NAME: TOKENS}, **ROLE_VARS):
        assert fqcn == "community.general.cloudflare_dns"
        result = run_module(fqcn, args, check_mode=check_mode)
        assert not result.get("failed"), result["msg"]
        assert TOKEN not in repr(result)
        out.append(result)
    return out


def test_publish_adds_one_txt_record_per_value_and_leaves_the_others(cloudflare):
    assert [r["changed"] for r in run("present")] == [True, True]
    assert cloudflare.txt() == sorted(TOKENS + ["someone-elses-value"])
    posts = [r for r in cloudflare.requests if r[0] == "POST"]
    assert [(p[1], p[3]["type"], p[3]["name"], p[3]["content"].strip('"'), p[3]["ttl"]) for p in posts] == [
        ("/client/v4/zones/%s/dns_records" % ZONE_ID, "TXT", NAME, t, 120) for t in TOKENS]
    writes = len([r for r in cloudflare.requests if r[0] != "GET"])
    assert [r["changed"] for r in run("present")] == [False, False]
    assert len([r for r in cloudflare.requests if r[0] != "GET"]) == writes


def test_check_mode_writes_nothing(cloudflare):
    assert [r["changed"] for r in run("present", check_mode=True)] == [True, True]
    assert [r[0] for r in cloudflare.requests if r[0] != "GET"] == []


def test_removal_deletes_exactly_the_published_values(cloudflare):
    run("present")
    assert [r["changed"] for r in run("absent")] == [True, True]
    assert cloudflare.txt() == ["someone-elses-value"]
    assert [r["changed"] for r in run("absent")] == [False, False]


def test_the_documented_shape_rejects_what_the_api_does_not_know():
    with pytest.raises(AssertionError, match="undocumented body field"):
        check_request("POST", "/client/v4/zones/%s/dns_records" % ZONE_ID, {"Authorization": "Bearer " + TOKEN},
                      json.dumps({"type": "TXT", "name": NAME, "content": "x", "value": "x"}))
    with pytest.raises(AssertionError, match="not in the documented API"):
        check_request("PATCH", "/client/v4/zones/example.com/records", {"Authorization": "Bearer " + TOKEN}, "")
