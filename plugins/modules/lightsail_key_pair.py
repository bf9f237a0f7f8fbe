#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_key_pair
short_description: Create, import and delete AWS Lightsail SSH key pairs; download the default key pair
version_added: 0.1.0
description:
  - Creates a key pair (Lightsail generates it; the private key is returned B(once), at creation, and can be
    written to a file with mode V(0600)), imports an existing public key, deletes a key pair, or downloads
    the region's default key pair.
  - An existing key pair is never replaced (Lightsail cannot); delete it and create it again to rotate it.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  name:
    description: Name of the key pair. Required unless O(download_default=true).
    type: str
  state:
    description: V(present) creates or imports the key pair if it does not exist; V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
  public_key:
    description:
      - An OpenSSH public key (for example the content of C(~/.ssh/id_ed25519.pub)) to import instead of generating one.
      - When the key pair exists, its fingerprint is compared with this key's (RFC 4716 MD5 or OpenSSH SHA256, whichever
        Lightsail reports); a different key fails with nothing changed (remove the key pair with O(state=absent) first).
        A key pair Lightsail generated has a fingerprint of its private key, which cannot be compared, so that gives a warning.
    type: str
  private_key_path:
    description:
      - Where to write the generated private key (mode V(0600)), on the host that runs the module.
      - Written only when the key pair is created, or with O(download_default=true).
    type: path
  download_default:
    description:
      - Download the region's default key pair (Lightsail creates it when missing) instead of managing O(name).
      - Returns RV(private_key) and writes it to O(private_key_path) when given; C(changed) reports whether that file changed.
    type: bool
    default: false
notes:
  - RV(private_key) is a secret. Prefer O(private_key_path) (then it is not returned at all), or use C(no_log) on the task.
seealso:
  - module: opsforge.infra.lightsail_key_pair_info
"""

EXAMPLES = r"""
- name: Generate a key pair and keep the private key in a 0600 file
  opsforge.infra.lightsail_key_pair:
    name: deploy
    region: eu-west-1
    private_key_path: "{{ lookup('env', 'HOME') }}/.ssh/lightsail-deploy"
    tags:
      team: ops
  no_log: true
  delegate_to: localhost

- name: Import my own public key
  opsforge.infra.lightsail_key_pair:
    name: alice
    region: eu-west-1
    public_key: "{{ lookup('file', '~/.ssh/id_ed25519.pub') }}"

- name: Fetch the default key pair of the region
  opsforge.infra.lightsail_key_pair:
    download_default: true
    region: eu-west-1
    private_key_path: /home/ops/.ssh/lightsail-default-eu-west-1.pem
  no_log: true

- name: Delete a key pair
  opsforge.infra.lightsail_key_pair:
    name: alice
    region: eu-west-1
    state: absent
"""

RETURN = r"""
key_pair:
  description: The key pair after the run (predicted in check mode), in snake_case; V({}) when absent or with O(download_default).
  returned: unless O(download_default=true)
  type: dict
  sample:
    name: deploy
    arn: arn:aws:lightsail:eu-west-1:123456789012:KeyPair/8e1f
    fingerprint: "a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:90"
    location: {availability_zone: all, region_name: eu-west-1}
    tags: {team: ops}
private_key:
  description:
    - The private key (PEM). B(Secret); returned only when Lightsail generated the key pair in this run, or with O(download_default=true).
  returned: when created by Lightsail, or downloaded
  type: str
public_key:
  description: The public key (OpenSSH format) of a generated or downloaded key pair.
  returned: when created by Lightsail, or downloaded
  type: str
created_at:
  description: When the default key pair was created.
  returned: with O(download_default=true), outside check mode
  type: str
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: ["create key pair deploy"]
diff:
  description: The key pair before and after.
  returned: unless O(download_default=true)
  type: dict
  contains:
    before:
      description: Before the run.
      type: dict
    after:
      description: After the run.
      type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.key_pair import argument_spec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.key_pair import manage_key_pair  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: manage_key_pair(module.lightsail(), module.params))


if __name__ == "__main__":
    main()
