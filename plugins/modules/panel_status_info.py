#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: panel_status_info
short_description: Report the state of every app published on a panel host
version_added: 0.1.0
description:
  - For every app in the release ledger (see M(opsforge.infra.release_ledger)) reports the unit state, domains,
    upstream servers, certificate expiry and days left, the live release and the result of the last publish.
  - Returns the data structured (RV(apps)) and as a readable table (RV(table)).
author:
  - opsforge maintainers (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.panel.info_attributes
options:
  root:
    description: Root directory of the release ledgers.
    type: path
    default: /var/lib/opsforge/releases
  apps:
    description: Report only these apps (default all apps in the ledger).
    type: list
    elements: str
    default: []
notes:
  - Reads certificates with the C(openssl) command and units with C(systemctl show).
seealso:
  - module: opsforge.infra.release_ledger
"""

EXAMPLES = r"""
- name: Gather the panel status
  opsforge.infra.panel_status_info:
  register: panel

- name: Print it as a table
  ansible.builtin.debug:
    msg: "{{ panel.table }}"
"""

RETURN = r"""
apps:
  description: One entry per app.
  returned: always
  type: list
  elements: dict
  contains:
    app:
      description: App name.
      type: str
    unit:
      description: systemd unit of the app.
      type: str
    unit_state:
      description: C(ActiveState) of the unit (V(active), V(failed), V(inactive)...).
      type: str
    unit_sub_state:
      description: C(SubState) of the unit.
      type: str
    unit_enabled:
      description: C(UnitFileState) of the unit.
      type: str
    domains:
      description: The C(server_name) values of the site.
      type: list
      elements: str
    upstreams:
      description: The servers of the app's upstream file.
      type: list
      elements: str
    site_conf:
      description: Path of the site configuration when it exists.
      type: str
    certificate:
      description: Certificate facts (path, serial, not_after, days_left, subject, issuer), or V(null).
      type: dict
    current_release:
      description: The live release number.
      type: int
    last_release:
      description: The number of the last recorded publish.
      type: int
    last_result:
      description: V(success) or V(failed).
      type: str
    last_publish_time:
      description: When the last publish was recorded (UTC).
      type: str
    last_publish_who:
      description: Who ran the last publish.
      type: str
    releases:
      description: Release numbers kept on the host.
      type: list
      elements: int
table:
  description: The same data as a fixed-width text table, one line per element.
  returned: always
  type: list
  elements: str
  sample:
    - "APP   UNIT    DOMAINS        UPSTREAMS        CERT EXPIRES  DAYS  LIVE  LAST PUBLISH"
    - "demo  active  demo.lab.test  127.0.0.1:19080  2031-11-22    1825  2     success (#2)"
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule
from ansible_collections.opsforge.infra.plugins.module_utils._panel.modules import STATUS_SPEC, host_of, panel_status


def main():
    module = OpsforgeModule(spec=STATUS_SPEC)
    module.run(panel_status, module.params, host_of(module))


if __name__ == "__main__":
    main()
