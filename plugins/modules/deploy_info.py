#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_info
short_description: List deploy records, or return one deploy's full history
version_added: 0.1.0
description:
  - Reads the deploy records kept under O(state_dir) by the deploy modules (one JSON line per deploy,
    rotated by count) and returns them filtered, newest first.
  - With O(deploy_id), returns that deploy's full record (every status change, health results, rollback, logs).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.deploy.info_attributes
  - opsforge.infra.deploy.state_dir
options:
  app:
    description: Only records of this application.
    type: str
  deploy_id:
    description: Return only this deploy (in RV(deploys) and RV(deploy)).
    type: str
  command_type:
    description: Only records of this deploy type.
    type: str
    choices: [shell, tar, docker, rollback]
  status:
    description:
      - Only records with one of these final statuses (V(success), V(failed), V(timeout), V(abandoned), ...).
      - An unknown status is refused.
    type: list
    elements: str
  version:
    description: Only records of this version.
    type: str
  since:
    description:
      - Only records started at or after this time, ISO 8601 (V(2026-01-31T12:00:00Z), V(2026-01-31 12:00:00.250+01:00),
        V(2026-01-31)); compared as a time, to the microsecond. Without an offset it is UTC.
    type: str
  limit:
    description: At most this many records (newest first). V(0) means all.
    type: int
    default: 20
  include_logs:
    description: Include the captured logs in the records.
    type: bool
    default: false
seealso:
  - module: opsforge.infra.deploy_status
"""

EXAMPLES = r"""
- name: Last five failed deploys of the API
  opsforge.infra.deploy_info:
    app: api
    status: [failed, timeout]
    limit: 5
  register: failures

- name: Full history of one deploy
  opsforge.infra.deploy_info:
    deploy_id: api-20260101000000-abc123
    include_logs: true
  register: one
"""

RETURN = r"""
deploys:
  description: Matching records, newest first. Each has the keys of the deploy modules' C(deploy) return value.
  returned: always
  type: list
  elements: dict
  sample: [{"deploy_id": "api-20260101000000-abc123", "app": "api", "status": "success", "version": "2.0"}]
deploy:
  description: The record of O(deploy_id), with logs.
  returned: when O(deploy_id) is set and found
  type: dict
apps:
  description: Applications that have records on this host.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.records import INFO_OPTIONS, deploy_info  # noqa: E402


def main():
    module = OpsforgeModule(spec=INFO_OPTIONS)
    module.run(deploy_info, module.params)


if __name__ == "__main__":
    main()
