#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: nginx_site_config
short_description: Change nginx configuration files as one tested transaction
version_added: 0.1.0
description:
  - Writes a set of nginx files (for example a site in C(/etc/nginx/conf.d/) and its upstream file in
    C(/etc/nginx/opsforge/upstreams/)), tests the whole configuration with C(nginx -t), and reloads nginx
    (or starts it when it is not running).
  - When C(nginx -t) or the reload fails, every file it touched gets its previous content back (or is removed
    when it did not exist before), and nginx, never reloaded, keeps serving the old configuration. The task fails
    with the output of C(nginx -t).
  - Files whose content and mode already match are not touched; when nothing differs nothing runs.
  - Runs under an exclusive lock (C(/run/lock/opsforge-nginx.lock)) so two runs never interleave.
author:
  - opsforge maintainers (@opsforge)
attributes:
  check_mode:
    support: full
    description: Reports which files would change and whether nginx would be reloaded; writes nothing and runs no command but
      C(nginx -v) and C(systemctl is-active).
  diff_mode:
    support: full
    description: One diff per changed file.
  idempotent:
    support: full
    description: A second run with the same files reports C(changed=false).
options:
  files:
    description:
      - The files of the change. All are applied (and rolled back) together.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the file.
        type: path
        required: true
      content:
        description: The wanted content. Required when O(files[].state=present).
        type: str
      state:
        description: V(absent) removes the file.
        type: str
        choices: [present, absent]
        default: present
      mode:
        description: File mode, as an octal string.
        type: raw
        default: '0644'
  require_files:
    description:
      - Files that must exist before anything is written, for example the TLS certificate and key a site refers to.
        When one is missing the module fails with O(require_message) and changes nothing.
      - In check mode a missing file is only a warning (an earlier task would have created it).
    type: list
    elements: path
    default: []
  require_message:
    description: Added to the error when a file of O(require_files) is missing (what to do about it).
    type: str
    default: ""
  reload:
    description:
      - Reload nginx after a change (start it when it is not active). With V(false) the change is only tested.
    type: bool
    default: true
  service:
    description: The systemd service of nginx.
    type: str
    default: nginx
  nginx_binary:
    description: The nginx executable (looked up in E(PATH) and C(/usr/sbin)).
    type: str
    default: nginx
notes:
  - Requires C(nginx) and C(systemctl) on the managed host.
seealso:
  - module: opsforge.infra.systemd_unit_file
  - module: opsforge.infra.release_ledger
"""

EXAMPLES = r"""
- name: Publish a site and its upstream file (the deploy center rewrites only the upstream file)
  opsforge.infra.nginx_site_config:
    files:
      - path: /etc/nginx/opsforge/upstreams/shop.conf
        content: |
          upstream opsforge_shop {
              server 127.0.0.1:8080;
          }
      - path: /etc/nginx/conf.d/shop.conf
        content: "{{ lookup('ansible.builtin.template', 'shop.conf.j2') }}"

- name: Remove a site
  opsforge.infra.nginx_site_config:
    files:
      - path: /etc/nginx/conf.d/shop.conf
        state: absent
      - path: /etc/nginx/opsforge/upstreams/shop.conf
        state: absent
"""

RETURN = r"""
nginx_site_config:
  description: What the module did.
  returned: always
  type: dict
  contains:
    changed_files:
      description: The files that were (or in check mode would be) written or removed.
      type: list
      elements: str
      sample: [/etc/nginx/conf.d/shop.conf]
    action:
      description: V(reload) or V(start) when nginx was (in check mode - would be) reloaded or started, else V(null).
      type: str
      sample: reload
    nginx_version:
      description: The nginx version on the host.
      type: str
      sample: 1.22.1
    service:
      description: The nginx unit's C(ActiveState), C(SubState) and C(UnitFileState) after this module, from C(systemctl show).
      type: dict
      sample: {"active_state": "active", "sub_state": "running", "unit_file_state": "enabled"}
nginx_test_output:
  description: The output of C(nginx -t) when it rejected the change.
  returned: failure
  type: str
rejected_files:
  description: The files C(nginx -t) rejected, with the content that was rejected (C(null) for a removal).
  returned: failure
  type: list
  elements: dict
  sample: [{"path": "/etc/nginx/conf.d/shop.conf", "content": "server { bogus; }"}]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule
from ansible_collections.opsforge.infra.plugins.module_utils._panel.modules import SITE_CONFIG_SPEC, host_of, nginx_site_config


def main():
    module = OpsforgeModule(spec=SITE_CONFIG_SPEC)
    module.run(nginx_site_config, module.params, host_of(module))


if __name__ == "__main__":
    main()
