#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lightsail_domain
short_description: Manage AWS Lightsail DNS zones and their records
version_added: 0.1.0
description:
  - Create or delete a Lightsail DNS zone (a "domain") and manage its records (A, AAAA, CNAME, MX,
    TXT, NS, SRV, and alias A/AAAA records pointing at a Lightsail load balancer or distribution).
  - Records are matched on name, type, target and alias. A CNAME or alias record whose target
    changed is updated in place; other missing records are created. With O(purge_entries=true)
    records not listed in O(entries) are deleted, except the SOA and apex NS records that Lightsail manages.
  - Lightsail serves its DNS API in V(us-east-1) only; the module warns when O(region) is another region.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: The domain name, for example V(example.com).
    type: str
    required: true
  state:
    description: V(present) creates the zone when missing and manages its records; V(absent) deletes the zone and every record in it.
    type: str
    choices: [present, absent]
    default: present
  entries:
    description:
      - DNS records the zone must have. Omitted leaves the records alone.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Record name, relative to the domain (V(www)) or fully qualified (V(www.example.com)).
            V(@) or an empty string is the domain itself.
        type: str
        default: "@"
      type:
        description: Record type.
        type: str
        required: true
        choices: [A, AAAA, CNAME, MX, TXT, NS, SRV]
      target:
        description:
          - The record value. V(A)/V(AAAA) an address (or, with O(entries[].alias=true), the DNS name of a
            Lightsail load balancer or distribution); V(CNAME)/V(NS) a host name; V(MX) V(PRIORITY HOST)
            (V(10 mail.example.com)); V(SRV) V(PRIORITY WEIGHT PORT HOST); V(TXT) the text (Lightsail needs it
            in double quotes; they are added when missing and ignored when comparing).
        type: str
        required: true
      alias:
        description: An alias A/AAAA record pointing at a Lightsail load balancer, distribution or container service.
        type: bool
        default: false
  purge_entries:
    description:
      - Delete records that are not in O(entries) (never the SOA and apex NS records). Has no effect when O(entries) is omitted.
    type: bool
    default: false
  entries_state:
    description:
      - V(present) makes sure the records in O(entries) exist. V(absent) deletes exactly the records in O(entries) that
        exist (matched on name, type and target) and leaves every other record and the zone alone; a missing zone is
        not created. Used for ACME DNS-01 TXT records.
    type: str
    choices: [present, absent]
    default: present
    version_added: 0.2.0
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - opsforge.infra.lightsail.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
    details: An unchanged run reads the zone once (GetDomain, which includes the records) and writes nothing.
"""

EXAMPLES = r"""
- name: Zone with web, mail and SPF records
  opsforge.infra.lightsail_domain:
    region: us-east-1
    name: example.com
    entries:
      - {name: "@", type: A, target: 203.0.113.10}
      - {name: www, type: CNAME, target: example.com}
      - {name: "@", type: MX, target: "10 mail.example.com"}
      - {name: "@", type: TXT, target: "v=spf1 mx -all"}
      - {name: _xmpp-server._tcp, type: SRV, target: "10 5 5269 xmpp.example.com"}
    tags:
      env: prod

- name: Point the apex at a load balancer (alias) and drop every other record
  opsforge.infra.lightsail_domain:
    region: us-east-1
    name: example.com
    entries:
      - name: "@"
        type: A
        alias: true
        target: "{{ lb.load_balancer.dns_name }}"
    purge_entries: true

- name: Remove one ACME challenge TXT record, leaving the other records alone
  opsforge.infra.lightsail_domain:
    region: us-east-1
    name: example.com
    entries:
      - {name: _acme-challenge.shop, type: TXT, target: "gfj9Xq...Rg85nM"}
    entries_state: absent

- name: Delete the zone
  opsforge.infra.lightsail_domain:
    region: us-east-1
    name: example.com
    state: absent
"""

RETURN = r"""
domain:
  description: The zone after the run (predicted in check mode), with snake_case keys; empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: The domain name.
      type: str
      sample: example.com
    arn:
      description: ARN of the zone.
      type: str
    domain_entries:
      description: The records, sorted by name, type and target (C(id), C(name), C(type), C(target), C(is_alias)).
      type: list
      elements: dict
      sample:
        - {id: "-1234", name: example.com, type: A, target: 203.0.113.10, is_alias: false}
        - {id: "-1235", name: www.example.com, type: CNAME, target: example.com, is_alias: false}
    registered_domain_delegation_info:
      description: Name server delegation details when the domain is registered with Route 53 Domains.
      type: dict
    tags:
      description: Tags as a dictionary.
      type: dict
      sample: {env: prod}
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create domain example.com", "create A record example.com -> 203.0.113.10"]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.domain import ENTRY_TYPES  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.domain import manage_domain  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def argument_spec():
    return ArgumentSpec(
        dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            entries=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", default="@"),
                type=dict(type="str", required=True, choices=list(ENTRY_TYPES)),
                target=dict(type="str", required=True),
                alias=dict(type="bool", default=False),
            )),
            purge_entries=dict(type="bool", default=False),
            entries_state=dict(type="str", default="present", choices=["present", "absent"]),
        )
    ).merge(WAIT_SPEC).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(manage_domain, module)


if __name__ == "__main__":
    main()
