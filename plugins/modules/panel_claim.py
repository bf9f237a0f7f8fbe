#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: panel_claim
short_description: Own server names and a certificate name for one app on a panel host
version_added: 0.2.0
description:
  - Keeps the host-wide view of what the panel publishes - each server name and each certificate name belongs to one
    app - in a registry file (O(registry)). The site files that opsforge wrote in O(conf_dir) count too, so names
    published before the registry existed are known.
  - O(state=present) makes O(app) the owner of exactly O(server_names) and O(certificate). When another app owns one
    of them the module fails, naming the owner, and changes nothing. Run it before anything else is written.
  - O(state=absent) drops every claim of O(app) and says whether its certificate may be deleted (RV(remove_certificate)) -
    not when another app owns it or a site of another app refers to it.
author:
  - opsforge maintainers (@opsforge)
attributes:
  check_mode:
    support: full
    description: Refuses a clash the same way; writes nothing.
  diff_mode:
    support: none
    description: RV(claims) is the new state.
  idempotent:
    support: full
    description: Claiming the same names again changes nothing.
options:
  app:
    description: The app (the site file is C(<conf_dir>/<app>.conf)).
    type: str
    required: true
  server_names:
    description: The server names the app publishes (compared without case). Required (at least one name) with O(state=present).
    type: list
    elements: str
    default: []
  certificate:
    description: The certificate name (C(<cert_dir>/<name>.crt)) the app uses, if any.
    type: str
  state:
    description: V(present) claims, V(absent) releases.
    type: str
    choices: [present, absent]
    default: present
  registry:
    description: The registry file.
    type: path
    default: /var/lib/opsforge/panel/claims.json
  conf_dir:
    description: Where the site files are (files with C(Managed by opsforge.infra) count as published by C(<app>)).
    type: path
    default: /etc/nginx/conf.d
seealso:
  - module: opsforge.infra.nginx_site_config
  - module: opsforge.infra.panel_lock
"""

EXAMPLES = r"""
- name: Own shop's names before anything is written (fails naming the other app on a clash)
  opsforge.infra.panel_claim:
    app: shop
    server_names: [shop.example.com, www.shop.example.com]
    certificate: shop.example.com

- name: Release shop's names; delete the certificate only when nobody else uses it
  opsforge.infra.panel_claim:
    app: shop
    certificate: shop.example.com
    state: absent
  register: released
"""

RETURN = r"""
claims:
  description: What O(app) owns after the module (nothing with O(state=absent)).
  returned: always
  type: dict
  sample: {"names": ["shop.example.com"], "certificate": "shop.example.com"}
remove_certificate:
  description: Whether O(certificate) may be deleted (no other app owns or uses it).
  returned: when O(state=absent)
  type: bool
reason:
  description: Why the certificate must stay (empty when it may go).
  returned: when O(state=absent)
  type: str
conflicts:
  description: The names and certificate that another app owns.
  returned: failure
  type: list
  elements: str
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule
from ansible_collections.opsforge.infra.plugins.module_utils._panel.modules import CLAIM_SPEC, host_of, panel_claim


def main():
    module = OpsforgeModule(spec=CLAIM_SPEC)
    module.run(panel_claim, module.params, host_of(module))


if __name__ == "__main__":
    main()
