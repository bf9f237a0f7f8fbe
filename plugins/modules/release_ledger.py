#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: release_ledger
short_description: Record releases of an app on its host and roll back to one
version_added: 0.1.0
description:
  - Keeps the release ledger of one app under C(<root>/<app>/<n>/) - a C(manifest.json) with each recorded file (path,
    sha256, mode, size), the certificate serial and expiry, the time, who, the result and free-form metadata, plus a
    copy of every file.
  - O(operation=record) records the files now on disk as release N+1. A successful record whose files, certificate
    and metadata equal the live release changes nothing (so a no-op publish stays changed=0). A successful record
    becomes the live release (C(current)); a failed one is kept for inspection but never becomes live.
  - O(operation=rollback) rewrites exactly the files of the target release (and removes the ones that did not exist
    then), and makes it the live release. It does not restart anything; the caller reloads and probes.
  - O(operation=info) returns the ledger.
  - Only O(keep) releases are kept; the live one is never pruned.
author:
  - opsforge maintainers (@opsforge)
attributes:
  check_mode:
    support: full
    description: Reports the release that would be recorded or the files a rollback would rewrite, without writing.
  diff_mode:
    support: none
    description: The manifest and RV(changed_files) describe the change.
  idempotent:
    support: full
    description: Recording identical files again, or rolling back to the release already live with files that match, changes nothing.
options:
  app:
    description: App name (letters, digits, C(_), C(.), C(-)).
    type: str
    required: true
  root:
    description: Root directory of all ledgers.
    type: path
    default: /var/lib/opsforge/releases
  operation:
    description: What to do.
    type: str
    choices: [record, rollback, info]
    default: info
  files:
    description: Absolute paths to record (O(operation=record)). A path that does not exist is recorded as absent.
    type: list
    elements: path
    default: []
  secret_files:
    description:
      - Paths among O(files) that hold secrets. The ledger keeps no copy of them and no plain hash - only a
        fingerprint (HMAC-SHA256 with a random key of this app's ledger, C(<root>/<app>/.secret-key), mode 0600) so an
        unchanged secret records nothing. A rollback leaves secret files as they are (they come from your vault).
    type: list
    elements: path
    default: []
  contents:
    description:
      - Record these contents (path to text) instead of what is on disk, for O(result=failed) - the files an attempt
        wrote that were put back when nginx rejected them (RV(opsforge.infra.nginx_site_config#module:rejected_files)),
        so the failed attempt is kept as it was rejected. A V(null) content records the file as absent.
    type: dict
    default: {}
  result:
    description: The outcome of the publish being recorded.
    type: str
    choices: [success, failed]
    default: success
  who:
    description: Who published (recorded in the manifest).
    type: str
  meta:
    description: Free-form facts stored in the manifest (unit name, domains, site conf path...).
    type: dict
    default: {}
  certificate_path:
    description: PEM certificate whose serial and expiry are recorded (read with C(openssl x509)).
    type: path
  keep:
    description: How many releases to keep (the live one is always kept).
    type: int
    default: 5
  to:
    description:
      - Rollback target for O(operation=rollback) - a release number, V(previous) (the newest successful release
        older than the live one) or V(current) (the live release; rewrites files changed by a failed publish).
    type: str
    default: previous
  inputs:
    description:
      - What the app was published with (the role's variables, as JSON text). After a successful O(operation=record) the ledger keeps an
        HMAC of them (keyed by the app's ledger key, never a plain hash) with the live release number, so
        M(opsforge.infra.panel_apps) can tell that a publish would change nothing. Never logged.
    type: str
seealso:
  - module: opsforge.infra.panel_apps
  - module: opsforge.infra.panel_status_info
"""

EXAMPLES = r"""
- name: Record the files of a successful publish
  opsforge.infra.release_ledger:
    app: shop
    operation: record
    files:
      - /etc/systemd/system/shop.service
      - /etc/nginx/conf.d/shop.conf
      - /etc/nginx/opsforge/upstreams/shop.conf
      - /etc/shop/app.ini
    certificate_path: /etc/nginx/certs/shop.example.com.crt
    who: "{{ lookup('ansible.builtin.env', 'USER') }}"
    meta:
      unit: shop.service
    keep: 5

- name: Roll back to release 3
  opsforge.infra.release_ledger:
    app: shop
    operation: rollback
    to: "3"
"""

RETURN = r"""
release:
  description: The manifest of the release recorded, rolled back to, or live (O(operation=info)).
  returned: always
  type: dict
  sample:
    app: shop
    release: 4
    result: success
    time: "2026-11-23T01:00:00Z"
    who: alice
    files:
      - path: /etc/nginx/conf.d/shop.conf
        sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
        mode: "0644"
        size: 812
        existed: true
    certificate:
      serial: 3A1F
      not_after: "2031-11-23T00:00:00Z"
    meta: {}
current:
  description: Number of the live release after the operation (V(null) when none).
  returned: always
  type: int
changed_files:
  description: Files rewritten or removed by a rollback.
  returned: when O(operation=rollback)
  type: list
  elements: str
secret_files_kept:
  description: Secret files of the target release that a rollback left as they are (the ledger has no copy of them).
  returned: when O(operation=rollback)
  type: list
  elements: str
pruned:
  description: Release numbers deleted to honour O(keep).
  returned: when O(operation=record)
  type: list
  elements: int
releases:
  description: Every release manifest (O(operation=info)).
  returned: when O(operation=info)
  type: list
  elements: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule
from ansible_collections.opsforge.infra.plugins.module_utils._panel.modules import LEDGER_SPEC, host_of, release_ledger


def main():
    module = OpsforgeModule(spec=LEDGER_SPEC)
    module.run(release_ledger, module.params, host_of(module))


if __name__ == "__main__":
    main()
