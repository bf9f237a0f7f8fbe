#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: alidns_record
short_description: Add or remove one Aliyun DNS (Alidns) record
version_added: 0.2.0
description:
  - Makes sure one record, identified by its name, type and value, is present in (or absent from) an Aliyun DNS
    domain, through the Alidns API 2015-01-09 (C(DescribeSubDomainRecords), C(AddDomainRecord), C(UpdateDomainRecord),
    C(DeleteDomainRecord)). Other records, also other values of the same name and type, are left alone, so several
    ACME DNS-01 TXT values under one name are several calls.
  - A present record whose TTL differs from O(ttl) is updated in place.
  - Requests are signed by alibabacloud-tea-openapi (the library of every Aliyun Tea SDK); no Alidns SDK is needed.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.aliyun
attributes:
  check_mode:
    support: full
    description: Reads the domain and predicts the change without making it.
  diff_mode:
    support: full
    description: Returns the record before and after.
  idempotent:
    support: full
    description: A second run with the same options changes nothing (one C(DescribeSubDomainRecords) call).
options:
  domain:
    description: The domain (zone) in Aliyun DNS, for example V(example.com).
    type: str
    required: true
  record:
    description:
      - Record name, fully qualified (V(_acme-challenge.shop.example.com)) or relative to O(domain)
        (V(_acme-challenge.shop)); V(@) is the domain itself.
    type: str
    required: true
  type:
    description: Record type.
    type: str
    default: TXT
    choices: [A, AAAA, CNAME, MX, TXT, NS, SRV, CAA]
  value:
    description: Record value (for TXT the text itself, without quotes).
    type: str
    required: true
  ttl:
    description: TTL in seconds (Alidns allows 600 and more on free editions, 1 and more on paid ones). Omitted keeps a
      present record's TTL and creates with 600.
    type: int
  state:
    description: V(present) adds the record when missing; V(absent) deletes it when present.
    type: str
    choices: [present, absent]
    default: present
  endpoint:
    description: Alidns endpoint, V(host[:port]) or a V(https://) / V(http://) URL.
    type: str
    default: alidns.aliyuncs.com
notes:
  - O(region) is not needed by Alidns; V(cn-hangzhou) is used when no region is set.
"""

EXAMPLES = r"""
- name: Publish an ACME DNS-01 challenge value
  opsforge.infra.alidns_record:
    domain: example.com
    record: _acme-challenge.shop.example.com
    type: TXT
    value: gfj9Xq...Rg85nM
    ttl: 600

- name: Remove it again (other values of the name stay)
  opsforge.infra.alidns_record:
    domain: example.com
    record: _acme-challenge.shop.example.com
    value: gfj9Xq...Rg85nM
    state: absent
"""

RETURN = r"""
record:
  description: The record after the run (predicted in check mode; RV(record.record_id) is null there for a new record); empty when absent.
  returned: always
  type: dict
  contains:
    record_id:
      description: Alidns record ID.
      type: str
      sample: "9999985"
    domain:
      description: The domain.
      type: str
    rr:
      description: Host record relative to the domain (V(@) for the domain itself).
      type: str
      sample: _acme-challenge.shop
    type:
      description: Record type.
      type: str
    value:
      description: Record value.
      type: str
    ttl:
      description: TTL in seconds.
      type: int
    line:
      description: Resolution line.
      type: str
    status:
      description: V(ENABLE) or V(DISABLE).
      type: str
"""

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun import alidns
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import AUTH_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec, state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule


def argument_spec():
    spec = ArgumentSpec(dict(
        domain=dict(type="str", required=True),
        record=dict(type="str", required=True),
        type=dict(type="str", default="TXT", choices=["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA"]),
        value=dict(type="str", required=True),
        ttl=dict(type="int"),
        endpoint=dict(type="str", default=alidns.ENDPOINT),
    ))
    return spec.merge(state_spec("present", "absent")).merge(AUTH_SPEC)


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(alidns.run_alidns_record, module)


if __name__ == "__main__":
    main()
