#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: panel_certificate_info
short_description: Tell whether an ACME certificate on the host is exactly as the acme_certificate role leaves it
version_added: 0.1.0
description:
  - In one pass reads the directories, the account key, the certificate key, the CSR, the certificate, its chain and the
    renewal record that the C(opsforge.infra.acme_certificate) role
    manages, and returns RV(current=true) when none of them would change and the certificate is not due for renewal.
  - The role runs it first and skips its converge steps when it is current, so a re-run with nothing to do costs one
    round trip. Otherwise RV(reasons) says what differs.
  - Only reads. Key material is never returned.
author:
  - opsforge maintainers (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.panel.info_attributes
options:
  domains:
    description: The names the certificate must cover, exactly.
    type: list
    elements: str
    required: true
  certificate_path:
    description: The certificate (full chain, PEM).
    type: path
    required: true
  key_path:
    description: The certificate key; must be mode C(0600), owned by root.
    type: path
    required: true
  csr_path:
    description: The CSR; must name exactly O(domains) and be for the key at O(key_path).
    type: path
    required: true
  account_key_path:
    description: The ACME account key; must be mode C(0600) in a C(0700) directory.
    type: path
    required: true
  cert_dir:
    description: The certificate directory; must be mode C(0755).
    type: path
    required: true
  metadata_path:
    description: The renewal record; must hold exactly O(metadata_content), mode C(0644).
    type: path
    required: true
  metadata_content:
    description: What the renewal record must hold.
    type: str
    required: true
  key_type:
    description: Wanted type of the certificate key.
    type: str
    choices: [ECC, RSA]
    default: ECC
  key_curve:
    description: Curve of an ECC key.
    type: str
    default: secp256r1
  key_size:
    description: Size of an RSA key.
    type: int
    default: 2048
  remaining_days:
    description: The certificate is due for renewal when it has fewer days left.
    type: int
    default: 30
  trusted_root_file:
    description: When set, the installed chain must verify against this root (C(openssl verify)).
    type: path
requirements:
  - The C(cryptography) Python library on the host (without it RV(current) is false).
seealso:
  - module: community.crypto.acme_certificate_renewal_info
"""

EXAMPLES = r"""
- name: Is the certificate of example.com as the role would leave it?
  opsforge.infra.panel_certificate_info:
    domains: [example.com, www.example.com]
    certificate_path: /etc/nginx/certs/example.com.crt
    key_path: /etc/nginx/certs/example.com.key
    csr_path: /etc/nginx/certs/example.com.csr
    account_key_path: /etc/opsforge/acme/account.key
    cert_dir: /etc/nginx/certs
    metadata_path: /var/lib/opsforge/acme/certificates/example.com.json
    metadata_content: "{{ lookup('ansible.builtin.file', 'example.com.json') }}\n"
  register: cert_state

- name: Say why not
  ansible.builtin.debug:
    var: cert_state.reasons
  when: not cert_state.current
"""

RETURN = r"""
current:
  description: Whether nothing would change and the certificate is not due.
  returned: always
  type: bool
  sample: true
reasons:
  description: What differs, one sentence each; empty when RV(current) is true.
  returned: always
  type: list
  elements: str
  sample: ["certificate /etc/nginx/certs/example.com.crt is due for renewal (12 days left, renew under 30)"]
serial:
  description: Serial number of the installed certificate (hex), when it can be read.
  returned: always
  type: str
  sample: 4A1F0C2B9D
not_after:
  description: Expiry of the installed certificate (UTC), when it can be read.
  returned: always
  type: str
  sample: "2027-02-21T08:00:00Z"
days_left:
  description: Whole days until expiry, when the certificate can be read.
  returned: always
  type: int
  sample: 89
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule
from ansible_collections.opsforge.infra.plugins.module_utils._panel.modules import CERTIFICATE_SPEC, host_of, panel_certificate


def main():
    module = OpsforgeModule(spec=CERTIFICATE_SPEC)
    module.run(panel_certificate, module.params, host_of(module))


if __name__ == "__main__":
    main()
