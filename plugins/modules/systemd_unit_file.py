#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: systemd_unit_file
short_description: Install a systemd unit file only after C(systemd-analyze verify) accepts it
version_added: 0.1.0
description:
  - Stages the unit under its real name in a temporary directory, runs C(systemd-analyze verify) on it, and only
    then writes it atomically to O(directory). A unit that does not verify fails the task and leaves the installed
    unit untouched.
  - Does not reload systemd; use M(ansible.builtin.systemd_service) with O(ansible.builtin.systemd_service#module:daemon_reload=true)
    when C(changed=true).
author:
  - opsforge maintainers (@opsforge)
attributes:
  check_mode:
    support: full
    description: The unit is verified in check mode too, so a bad unit fails before anything is touched.
  diff_mode:
    support: full
    description: Shows the unit before and after.
  idempotent:
    support: full
    description: The same content again reports C(changed=false).
options:
  name:
    description: Unit name. C(.service) is added when the name has no unit suffix.
    type: str
    required: true
  content:
    description: The unit file content. Required when O(state=present).
    type: str
  state:
    description: V(absent) removes the unit file (stop and disable the unit first).
    type: str
    choices: [present, absent]
    default: present
  directory:
    description: Where unit files are installed.
    type: path
    default: /etc/systemd/system
  verify:
    description: Run C(systemd-analyze verify) before installing.
    type: bool
    default: true
notes:
  - C(systemd-analyze verify) checks that the executables of C(ExecStart=) exist, so install the app first.
seealso:
  - module: ansible.builtin.systemd_service
  - module: opsforge.infra.nginx_site_config
"""

EXAMPLES = r"""
- name: Install the unit of the shop app
  opsforge.infra.systemd_unit_file:
    name: shop
    content: |
      [Unit]
      Description=shop
      [Service]
      ExecStart=/usr/bin/python3 -m http.server 19080 --bind 127.0.0.1
      [Install]
      WantedBy=multi-user.target
  register: shop_unit

- name: Reload systemd and restart the app when the unit changed
  ansible.builtin.systemd_service:
    name: shop.service
    state: restarted
    daemon_reload: true
  when: shop_unit is changed
"""

RETURN = r"""
unit:
  description: The unit as it is now (V(null) after O(state=absent)).
  returned: always
  type: dict
  contains:
    name:
      description: Unit name with its suffix.
      type: str
      sample: shop.service
    path:
      description: Installed path.
      type: str
      sample: /etc/systemd/system/shop.service
    sha256:
      description: SHA-256 of the installed content.
      type: str
service:
  description:
    - The unit's state as systemd sees it (before any start or enable by a later task), from C(systemctl show).
      Values are V(null) when systemd cannot be asked.
  returned: when O(state=present) and C(systemctl) exists
  type: dict
  contains:
    active_state:
      description: C(ActiveState), for example V(active) or V(inactive).
      type: str
      sample: active
    sub_state:
      description: C(SubState), for example V(running).
      type: str
      sample: running
    unit_file_state:
      description: C(UnitFileState), for example V(enabled) or V(disabled).
      type: str
      sample: enabled
verify_output:
  description: What C(systemd-analyze verify) printed when it rejected the unit.
  returned: failure
  type: str
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule
from ansible_collections.opsforge.infra.plugins.module_utils._panel.modules import UNIT_SPEC, host_of, systemd_unit_file


def main():
    module = OpsforgeModule(spec=UNIT_SPEC)
    module.run(systemd_unit_file, module.params, host_of(module))


if __name__ == "__main__":
    main()
