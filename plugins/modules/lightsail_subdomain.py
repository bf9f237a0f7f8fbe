#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_subdomain
short_description: Create, associate and delete AWS Lightsail subdomains (mysite.amazonlightsail.com)
version_added: 0.2.0
description:
  - Creates a Lightsail subdomain such as V(mysite) (web address C(mysite.amazonlightsail.com)) or V(blog.mysite),
    after checking that the name is free (C(CheckSubdomainAvailability)); associates it with a resource (today
    Lightsail accepts CDN distributions), moves it to another one, disassociates it, or deletes it
    (C(CreateSubdomain), C(UpdateSubdomainAssociation), C(DeleteSubdomain)).
  - An unchanged subdomain costs one C(GetSubdomains) read.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  name:
    description: The subdomain, one or two labels of lowercase letters, digits and hyphens (V(mysite), V(blog.mysite)), at most 39 characters.
    type: str
    required: true
  state:
    description: V(present) creates it; V(absent) disassociates it (waiting until it is unattached) and deletes it.
    type: str
    default: present
    choices: [present, absent]
  target_resource_arn:
    description:
      - ARN of the resource (a Lightsail distribution) the subdomain should point to. One attached elsewhere is moved.
      - Omit to leave the association alone.
    type: str
  detach:
    description: Disassociate the subdomain from its resource.
    type: bool
    default: false
  tags:
    description:
      - Tags set when the subdomain is created. Lightsail returns subdomain tags only in the full listing, so later
        changes are not compared; use the C(TagResource) API for those.
    type: dict
seealso:
  - module: opsforge.infra.lightsail_distribution
"""

EXAMPLES = r"""
- name: mysite.amazonlightsail.com in front of the CDN
  opsforge.infra.lightsail_subdomain:
    name: mysite
    region: us-east-1
    target_resource_arn: "{{ cdn.distribution.arn }}"

- name: Remove it
  opsforge.infra.lightsail_subdomain:
    name: mysite
    region: us-east-1
    state: absent
"""

RETURN = r"""
subdomain:
  description: The subdomain after the run (predicted in check mode), snake_case; V({}) when absent.
  returned: always
  type: dict
  sample:
    subdomain_name: mysite
    fqdn: mysite.amazonlightsail.com
    depth: 1
    state: ATTACHED
    attached_resource: {arn: "arn:aws:lightsail:us-east-1:123456789012:Distribution/cdn-1", name: cdn-1}
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: ["create subdomain mysite", "associate subdomain mysite with arn:aws:lightsail:us-east-1:123456789012:Distribution/cdn-1"]
diff:
  description: The subdomain before and after.
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.subdomain import Subdomain  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.subdomain import argument_spec  # noqa: E402


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: Subdomain(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
