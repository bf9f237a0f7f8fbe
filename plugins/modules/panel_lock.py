#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: panel_lock
short_description: One publish at a time per app on a panel host
version_added: 0.2.0
description:
  - O(state=acquired) creates C(<lock_dir>/<app>.lock) naming its O(owner) and returns a RV(token). When another
    publish holds it, waits up to O(wait) seconds and then fails with the holder's name and since when. A lock older
    than O(stale_after) seconds (left by a publish that died) is taken over, and RV(took_over) names the old holder.
  - O(state=released) removes the lock when O(token) still holds it.
  - The lock is bookkeeping, not a change of the host - the module always reports C(changed=false), so a no-op
    publish stays at C(changed=0).
author:
  - opsforge maintainers (@opsforge)
attributes:
  check_mode:
    support: full
    description: Reports who holds the lock (as a warning) and takes nothing.
  diff_mode:
    support: none
    description: Nothing to diff.
  idempotent:
    support: full
    description: Never reports a change.
options:
  app:
    description: The app being published.
    type: str
    required: true
  state:
    description: V(acquired) takes the lock, V(released) gives it back.
    type: str
    choices: [acquired, released]
    default: acquired
  owner:
    description: Who publishes (shown to the publish that has to wait), for example C(alice@controller).
    type: str
    default: unknown
  wait:
    description: Seconds to wait for another publish of the app before failing.
    type: int
    default: 600
  stale_after:
    description: A lock older than this many seconds is taken over.
    type: int
    default: 3600
  token:
    description: The RV(token) returned when the lock was acquired (O(state=released)).
    type: str
  lock_dir:
    description: Directory of the lock files (cleared at boot by C(/run) being a tmpfs).
    type: path
    default: /run/lock/opsforge-panel
seealso:
  - module: opsforge.infra.panel_claim
  - module: opsforge.infra.release_ledger
"""

EXAMPLES = r"""
- name: Wait up to 10 minutes for another publish of shop, then hold the lock
  opsforge.infra.panel_lock:
    app: shop
    owner: "alice@{{ lookup('ansible.builtin.pipe', 'hostname') }}"
    wait: 600
  register: shop_lock

- name: Give it back
  opsforge.infra.panel_lock:
    app: shop
    state: released
    token: "{{ shop_lock.token }}"
"""

RETURN = r"""
token:
  description: Releases the lock (O(state=acquired); V(null) in check mode).
  returned: always
  type: str
took_over:
  description: Owner of a stale lock that was taken over, else V(null).
  returned: always
  type: str
released:
  description: Whether the lock was removed (O(state=released)).
  returned: always
  type: bool
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule
from ansible_collections.opsforge.infra.plugins.module_utils._panel.modules import LOCK_SPEC, host_of, panel_lock


def main():
    module = OpsforgeModule(spec=LOCK_SPEC)
    module.run(panel_lock, module.params, host_of(module))


if __name__ == "__main__":
    main()
