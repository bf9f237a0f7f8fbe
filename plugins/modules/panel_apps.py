#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: panel_apps
short_description: Lock, claim and check all of a panel host's apps in one call
version_added: 0.2.0
description:
  - The one-shot check of a publish of many apps (role C(opsforge.infra.app_release) with C(app_release_apps)), and of
    one app.
  - O(state=acquired) takes the publish lock of every app (in name order, all or none, as M(opsforge.infra.panel_lock)
    does for one), claims every app's server names and certificate at once (all or none, as
    M(opsforge.infra.panel_claim); a clash with another app, or between two listed apps, fails naming the owner before
    anything is written), then checks every app.
  - O(state=checked) only checks (no lock, no claim).
  - O(state=released) gives back the locks of O(tokens).
  - An app is unchanged (RV(apps[].unchanged)) when its variables (O(apps[].inputs)) are those its live release was
    recorded with (an HMAC keyed by the app's ledger key, never a plain hash), every file of the live release is on disk
    as recorded, its certificate is the recorded one and not due, its unit and nginx are active, and it owns its names.
    Every other app is listed in RV(pending) with the reasons.
author:
  - opsforge maintainers (@opsforge)
attributes:
  check_mode:
    support: full
    description: Checks and refuses clashes the same way; takes no lock (warns who holds one) and writes no claim.
  diff_mode:
    support: none
    description: RV(apps) says what differs.
  idempotent:
    support: full
    description: Claiming the same names again changes nothing; the locks are bookkeeping and report no change.
options:
  apps:
    description: The apps (O(state=acquired) and O(state=checked)).
    type: list
    elements: dict
    default: []
    suboptions:
      app:
        description: App name.
        type: str
        required: true
      inputs:
        description: Everything the app is published with (the role's variables), as JSON text; compared as an HMAC, never logged.
        type: str
      unit:
        description: Its systemd unit (default C(<app>.service)).
        type: str
      server_names:
        description: The names it serves.
        type: list
        elements: str
        default: []
      certificate:
        description: The certificate name it owns (none without TLS).
        type: str
      certificate_path:
        description: Its certificate (full chain, PEM).
        type: path
      key_path:
        description: Its certificate key.
        type: path
      remaining_days:
        description: The certificate is due for renewal when it has fewer days left.
        type: int
        default: 30
      ask_ca:
        description: The renewal decision needs the CA (ARI) or a shifted clock, so the app is always pending.
        type: bool
        default: false
  state:
    description: What to do.
    type: str
    choices: [acquired, checked, released]
    default: checked
  owner:
    description: Who takes the locks (O(state=acquired)).
    type: str
    default: unknown
  wait:
    description: Seconds to wait for a lock another publish holds.
    type: int
    default: 600
  stale_after:
    description: A lock older than this many seconds is taken over.
    type: int
    default: 3600
  tokens:
    description: The RV(tokens) of O(state=acquired), for O(state=released).
    type: dict
    default: {}
  root:
    description: Root directory of the release ledgers.
    type: path
    default: /var/lib/opsforge/releases
  lock_dir:
    description: Directory of the publish locks.
    type: path
    default: /run/lock/opsforge-panel
  registry:
    description: The name registry (see M(opsforge.infra.panel_claim)).
    type: path
    default: /var/lib/opsforge/panel/claims.json
  conf_dir:
    description: Directory of the nginx site files (read for names not yet in the registry).
    type: path
    default: /etc/nginx/conf.d
seealso:
  - module: opsforge.infra.panel_lock
  - module: opsforge.infra.panel_claim
  - module: opsforge.infra.release_ledger
"""

EXAMPLES = r"""
- name: Lock, claim and check two apps
  opsforge.infra.panel_apps:
    state: acquired
    owner: alice
    apps:
      - app: shop
        inputs: "{{ shop_vars | to_json }}"
        server_names: [shop.example.com]
        certificate: shop.example.com
        certificate_path: /etc/nginx/certs/shop.example.com.crt
        key_path: /etc/nginx/certs/shop.example.com.key
      - app: blog
        inputs: "{{ blog_vars | to_json }}"
        server_names: [blog.example.com]
  register: panel

- name: Give the locks back
  opsforge.infra.panel_apps:
    state: released
    tokens: "{{ panel.tokens }}"
"""

RETURN = r"""
apps:
  description: One entry per app of O(apps), in order.
  returned: always
  type: list
  elements: dict
  contains:
    app:
      description: The app.
      type: str
    unchanged:
      description: Whether a publish would change nothing.
      type: bool
    reasons:
      description: What a publish would change (empty when unchanged).
      type: list
      elements: str
  sample: [{app: shop, unchanged: false, reasons: ["/etc/nginx/conf.d/shop.conf differs from release 3"]}]
pending:
  description: The apps a publish would change, in order.
  returned: always
  type: list
  elements: str
tokens:
  description: The lock token of every app (O(state=acquired); empty in check mode).
  returned: always
  type: dict
took_over:
  description: Apps whose stale lock was taken over, with the old holder.
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule
from ansible_collections.opsforge.infra.plugins.module_utils._panel.apps import APPS_SPEC, run_apps


def main():
    module = OpsforgeModule(spec=APPS_SPEC)
    module.run(run_apps, module)


if __name__ == "__main__":
    main()
