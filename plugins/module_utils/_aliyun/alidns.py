# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Alidns (Aliyun DNS, API 2015-01-09) records, over the generic RPC call of alibabacloud-tea-openapi.

No Alidns SDK is needed: the four actions (DescribeSubDomainRecords, AddDomainRecord, UpdateDomainRecord,
DeleteDomainRecord) go through ``Client.call_api``, which signs them (ACS3-HMAC-SHA256) like every Tea SDK.
A record is one (RR, type, value) in a domain: several TXT values under one name are several records.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import TEA_OPENAPI, openapi_config, run_flow
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError, call
from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary

TEA_CLIENT = LazyLibrary("alibabacloud_tea_openapi.client", pip_name="alibabacloud-tea-openapi")
TEA_UTILS = LazyLibrary("alibabacloud_tea_openapi.utils_models", pip_name="alibabacloud-tea-openapi")
TEA_RUNTIME = LazyLibrary("darabonba.runtime", pip_name="alibabacloud-tea-openapi")

VERSION = "2015-01-09"
ENDPOINT = "alidns.aliyuncs.com"
PAGE_SIZE = 100


class Alidns:
    """A signed RPC caller for the Alidns API. ``endpoint`` may be ``host[:port]`` or ``http(s)://host[:port]``."""

    def __init__(self, creds, endpoint=None):
        parts = urlsplit(endpoint if "://" in (endpoint or "") else "https://" + (endpoint or ENDPOINT))
        self.protocol = parts.scheme.upper()
        config = openapi_config(creds, parts.netloc)
        config.protocol = parts.scheme
        self.client = TEA_CLIENT.Client(config)

    def rpc(self, action, what, **query):
        params = TEA_UTILS.Params(action=action, version=VERSION, protocol=self.protocol, pathname="/", method="POST",
                                  auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
        request = TEA_UTILS.OpenApiRequest(query={k: str(v) for k, v in query.items() if v is not None})
        response = call(what, self.client.call_api, params, request, TEA_RUNTIME.RuntimeOptions())
        return (response or {}).get("body") or {}


def relative_name(name, domain):
    """``_acme-challenge.shop.example.com`` in ``example.com`` -> ``_acme-challenge.shop``; the domain itself -> ``@``."""
    name, domain = name.rstrip(".").lower(), domain.rstrip(".").lower()
    if name in ("", "@", domain):
        return "@"
    if name.endswith("." + domain):
        return name[:-len(domain) - 1]
    if "." in name and not name.endswith(domain):
        raise AliyunError("record %s is not in the domain %s" % (name, domain))
    return name


def normalize_record(raw):
    return {
        "record_id": raw.get("RecordId"),
        "domain": raw.get("DomainName"),
        "rr": raw.get("RR"),
        "type": raw.get("Type"),
        "value": raw.get("Value"),
        "ttl": raw.get("TTL"),
        "line": raw.get("Line"),
        "status": raw.get("Status"),
    }


def find_record(api, domain, rr, record_type, value):
    """The record (raw API dict) with this RR, type and value, or None."""
    page = 1
    while True:
        body = api.rpc("DescribeSubDomainRecords", "describe the %s records of %s.%s" % (record_type, rr, domain),
                       SubDomain="%s.%s" % (rr, domain) if rr != "@" else domain, DomainName=domain, Type=record_type,
                       PageNumber=page, PageSize=PAGE_SIZE)
        records = (body.get("DomainRecords") or {}).get("Record") or []
        for record in records:
            if record.get("RR") == rr and record.get("Type") == record_type and record.get("Value") == value:
                return record
        if page * PAGE_SIZE >= int(body.get("TotalCount") or 0) or not records:
            return None
        page += 1


def run_record(api, params, check_mode):
    domain = params["domain"].rstrip(".").lower()
    rr = relative_name(params["record"], domain)
    record_type, value, ttl = params["type"], params["value"], params["ttl"]
    current = find_record(api, domain, rr, record_type, value)
    before = normalize_record(current) if current else {}
    if params["state"] == "absent":
        if current and not check_mode:
            api.rpc("DeleteDomainRecord", "delete the %s record %s.%s" % (record_type, rr, domain), RecordId=current["RecordId"])
        return dict(changed=bool(current), diff=dict(before=before, after={}), record={})
    if current and (ttl is None or int(current.get("TTL") or 0) == ttl):
        return dict(changed=False, diff=dict(before=before, after=before), record=before)
    new = {"record_id": None, "domain": domain, "rr": rr, "type": record_type, "value": value, "line": "default", "status": "ENABLE"}
    after = dict(before or new, ttl=ttl if ttl is not None else (before or {}).get("ttl", 600))
    if not check_mode:
        if current:
            api.rpc("UpdateDomainRecord", "update the %s record %s.%s" % (record_type, rr, domain), RecordId=current["RecordId"],
                    RR=rr, Type=record_type, Value=value, TTL=ttl)
        else:
            body = api.rpc("AddDomainRecord", "add the %s record %s.%s" % (record_type, rr, domain), DomainName=domain, RR=rr,
                           Type=record_type, Value=value, TTL=ttl)
            after["record_id"] = body.get("RecordId")
    return dict(changed=True, diff=dict(before=before, after=after), record=after)


def run_alidns_record(module):
    """alidns_record's one call: the record converged. Alidns is global: without a region, cn-hangzhou signs."""
    return run_flow(module, (TEA_OPENAPI, TEA_CLIENT), lambda creds, params: Alidns(creds, params["endpoint"]), run_record,
                    default_region="cn-hangzhou")
