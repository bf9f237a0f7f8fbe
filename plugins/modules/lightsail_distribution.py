#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_distribution
short_description: Manage Amazon Lightsail content delivery network (CDN) distributions
version_added: 0.1.0
description:
  - Create, update and delete a Lightsail distribution (origin, default and per-path cache behaviours,
    cache settings, bundle, IPv4/IPv6), attach or detach a certificate, and reset its cache.
  - Distributions are global; the module always calls the Lightsail API in V(us-east-1), whatever O(region) says.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the distribution.
    type: str
    required: true
  state:
    description: Whether the distribution should exist.
    type: str
    choices: [present, absent]
    default: present
  origin:
    description: The origin (a Lightsail instance, load balancer, container service or bucket). Required to create.
    type: dict
    suboptions:
      name:
        description: Name of the origin resource.
        type: str
      region_name:
        description: Region of the origin resource.
        type: str
      protocol_policy:
        description: How the distribution talks to the origin.
        type: str
        choices: [http-only, https-only]
      response_timeout:
        description: Seconds the distribution waits for the origin.
        type: int
      ip_address_type:
        description: IP address type used to reach the origin.
        type: str
        choices: [ipv4, ipv6, dualstack]
  default_cache_behavior:
    description: Default behaviour for paths not in O(cache_behaviors). Required to create.
    type: str
    choices: [cache, dont-cache]
  cache_behaviors:
    description: Per-path behaviours; the list replaces the current one. V([]) removes them all.
    type: list
    elements: dict
    suboptions:
      path:
        description: Path pattern, for example V(/images/*) or V(*.jpg).
        type: str
        required: true
      behavior:
        description: Cache or not.
        type: str
        choices: [cache, dont-cache]
        required: true
  cache_behavior_settings:
    description: Cache settings; only the given keys are compared and changed.
    type: dict
    suboptions:
      default_ttl:
        description: Default time to live, seconds.
        type: int
      minimum_ttl:
        description: Minimum time to live, seconds.
        type: int
      maximum_ttl:
        description: Maximum time to live, seconds.
        type: int
      allowed_http_methods:
        description: For example V(GET,HEAD) or V(GET,HEAD,OPTIONS,PUT,PATCH,POST,DELETE).
        type: str
      cached_http_methods:
        description: For example V(GET,HEAD).
        type: str
      forwarded_cookies:
        description: Cookies forwarded to the origin.
        type: dict
        suboptions:
          option:
            description: Which cookies.
            type: str
            choices: [none, allow-list, all]
          cookies_allow_list:
            description: Cookie names.
            type: list
            elements: str
      forwarded_headers:
        description: Headers forwarded to the origin.
        type: dict
        suboptions:
          option:
            description: Which headers.
            type: str
            choices: [none, allow-list, all]
          headers_allow_list:
            description: Header names.
            type: list
            elements: str
      forwarded_query_strings:
        description: Query strings forwarded to the origin.
        type: dict
        suboptions:
          option:
            description: Forward query strings.
            type: bool
          query_strings_allow_list:
            description: Query string names.
            type: list
            elements: str
  bundle_id:
    description: Plan, for example V(small_1_0). Required to create.
    type: str
  ip_address_type:
    description: V(dualstack) (IPv4 and IPv6) or V(ipv4).
    type: str
    choices: [dualstack, ipv4, ipv6]
  certificate_name:
    description:
      - Lightsail certificate (in us-east-1, see M(opsforge.infra.lightsail_certificate)) to attach. V("") detaches the current one.
    type: str
  is_enabled:
    description: Enable or disable the distribution.
    type: bool
  reset_cache:
    description: Reset (invalidate) the whole cache. Reports a change every time.
    type: bool
    default: false
  wait_timeout:
    default: 1800
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
    support: partial
    details: O(reset_cache=true) resets the cache on every run.
"""

EXAMPLES = r"""
- name: CDN in front of a bucket, images cached, API not
  opsforge.infra.lightsail_distribution:
    name: acme-cdn
    origin:
      name: acme-assets
      region_name: eu-west-1
      protocol_policy: https-only
    default_cache_behavior: cache
    cache_behaviors:
      - path: /api/*
        behavior: dont-cache
    cache_behavior_settings:
      default_ttl: 86400
      forwarded_query_strings:
        option: false
    bundle_id: small_1_0
    ip_address_type: dualstack
    certificate_name: acme-cdn-cert

- name: Flush the cache after a deploy
  opsforge.infra.lightsail_distribution:
    name: acme-cdn
    reset_cache: true
"""

RETURN = r"""
distribution:
  description: The distribution after the run (empty after O(state=absent)).
  returned: always
  type: dict
  sample:
    name: acme-cdn
    domain_name: d111111abcdef8.cloudfront.net
    status: Deployed
    is_enabled: true
    bundle_id: small_1_0
    origin: {name: acme-assets, region_name: eu-west-1, protocol_policy: https-only, resource_type: Bucket}
    default_cache_behavior: {behavior: cache}
    cache_behaviors: [{path: /api/*, behavior: dont-cache}]
    certificate_name: acme-cdn-cert
    ip_address_type: dualstack
cache_reset:
  description: Status of the cache reset started by this run.
  returned: when the cache was reset
  type: dict
  sample: {status: InProgress, create_time: "2026-01-02T03:04:05+00:00"}
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
diff:
  description: The distribution before and after (same shape as RV(distribution)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.distribution import DISTRIBUTION_REGION
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.distribution import Distribution
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.distribution import forwarding_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def argument_spec():
    spec = ArgumentSpec(dict(
        name=dict(type="str", required=True),
        origin=dict(type="dict", options=dict(
            name=dict(type="str"),
            region_name=dict(type="str"),
            protocol_policy=dict(type="str", choices=["http-only", "https-only"]),
            response_timeout=dict(type="int"),
            ip_address_type=dict(type="str", choices=["ipv4", "ipv6", "dualstack"]),
        )),
        default_cache_behavior=dict(type="str", choices=["cache", "dont-cache"]),
        cache_behaviors=dict(type="list", elements="dict", options=dict(
            path=dict(type="str", required=True),
            behavior=dict(type="str", required=True, choices=["cache", "dont-cache"]),
        )),
        cache_behavior_settings=dict(type="dict", options=dict(
            default_ttl=dict(type="int"),
            minimum_ttl=dict(type="int"),
            maximum_ttl=dict(type="int"),
            allowed_http_methods=dict(type="str"),
            cached_http_methods=dict(type="str"),
            forwarded_cookies=forwarding_spec("cookies_allow_list"),
            forwarded_headers=forwarding_spec("headers_allow_list"),
            forwarded_query_strings=forwarding_spec("query_strings_allow_list", option_type="bool"),
        )),
        bundle_id=dict(type="str"),
        ip_address_type=dict(type="str", choices=["dualstack", "ipv4", "ipv6"]),
        certificate_name=dict(type="str"),
        is_enabled=dict(type="bool"),
        reset_cache=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    ))
    return spec.merge(state_spec("present", "absent")).merge(TAGS_SPEC)


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: Distribution(module.lightsail(region=DISTRIBUTION_REGION), module.params).run())


if __name__ == "__main__":
    main()
