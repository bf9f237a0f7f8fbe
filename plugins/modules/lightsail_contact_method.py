#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_contact_method
short_description: Manage Amazon Lightsail notification contact methods (email, SMS)
version_added: 0.1.0
description:
  - Creates or deletes the email or SMS contact method of a region (Lightsail allows one per protocol and region),
    and sends the email verification message.
  - Changing the endpoint deletes the contact method and creates a new one, which must be verified again.
author:
  - opsforge.infra contributors (@opsforge)
options:
  protocol:
    description: V(Email) or V(SMS).
    type: str
    required: true
    choices: [Email, SMS]
  contact_endpoint:
    description: The email address, or the phone number in E.164 format (V(+14155550100)). Required to create.
    type: str
  state:
    description: Whether the contact method should exist.
    type: str
    choices: [present, absent]
    default: present
  send_verification:
    description:
      - Send the verification email when the contact method is new or still C(PendingVerification). Email only.
    type: bool
    default: false
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
    details: With O(send_verification=true) a verification email is sent on every run until the address is verified.
"""

EXAMPLES = r"""
- name: Alarm notifications by email
  opsforge.infra.lightsail_contact_method:
    protocol: Email
    contact_endpoint: ops@example.com
    send_verification: true
    region: eu-west-1

- name: And by SMS
  opsforge.infra.lightsail_contact_method:
    protocol: SMS
    contact_endpoint: "+14155550100"
    region: us-east-1
"""

RETURN = r"""
contact_method:
  description: The contact method after the run (empty after O(state=absent)).
  returned: always
  type: dict
  sample: {protocol: Email, contact_endpoint: ops@example.com, status: PendingVerification, name: Email-ops@example.com}
verification_sent:
  description: Whether this run sent a verification message.
  returned: always
  type: bool
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
diff:
  description: The contact method before and after (same shape as RV(contact_method)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.alarm import ContactMethod
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import WAIT_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def main():
    spec = ArgumentSpec(dict(
        protocol=dict(type="str", required=True, choices=["Email", "SMS"]),
        contact_endpoint=dict(type="str"),
        send_verification=dict(type="bool", default=False),
    )).merge(state_spec("present", "absent")).merge(WAIT_SPEC).merge(TAGS_SPEC)
    module = LightsailModule(spec=spec)
    module.run(lambda: ContactMethod(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
