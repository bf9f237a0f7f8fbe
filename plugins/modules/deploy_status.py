#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_status
short_description: Read the live status of an application's deploy
version_added: 0.1.0
description:
  - Reads the status file that M(opsforge.infra.deploy_shell), M(opsforge.infra.deploy_tar) and
    M(opsforge.infra.deploy_docker) rewrite atomically at every stage change, so that a deploy started with
    C(async) and C(poll) set to 0 can be followed live.
  - With O(wait=true), polls until the deploy finished (or O(wait_timeout) passed).
  - A deploy whose module process died before it finished (killed, out of memory, lost connection) reads
    V(abandoned) (finished) and is written as a record with that status at this read or at the next deploy of the
    app; its script was killed with it. O(wait=true) ends there too, never earlier.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.deploy.info_attributes
  - opsforge.infra.deploy.state_dir
attributes:
  check_mode:
    support: full
    description: Only reads (an abandoned deploy is recorded as such, also in check mode).
options:
  app:
    description: Application whose status to read.
    type: str
    required: true
  deploy_id:
    description: Only report this deploy; when the status file shows another one, its record is looked up instead.
    type: str
  wait:
    description: Wait until the deploy finished.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 600
seealso:
  - module: opsforge.infra.deploy_info
"""

EXAMPLES = r"""
- name: Start a long deploy in the background
  opsforge.infra.deploy_shell:
    app: api
    version: "3.0"
    script: ./deploy.sh
  async: 1800
  poll: 0

- name: Follow it until it is done
  opsforge.infra.deploy_status:
    app: api
  register: st
  until: st.deploy_status.finished
  retries: 120
  delay: 5
"""

RETURN = r"""
deploy_status:
  description: The status of the latest deploy of O(app), or null when it never deployed.
  returned: always
  type: dict
  contains:
    deploy_id:
      description: Identifier of the deploy.
      type: str
    command_type:
      description: V(shell), V(tar), V(docker) or V(rollback).
      type: str
    status:
      description: Current status (see the deploy modules for the list), or V(abandoned) when the deploy's process died.
      type: str
    progress:
      description: Progress percent.
      type: int
    stage:
      description: Current stage.
      type: str
    message:
      description: Last message.
      type: str
    logs_tail:
      description: Last 4 KiB of the captured output.
      type: str
    timestamp:
      description: When the status was written (UTC, ISO 8601).
      type: str
    finished:
      description: Whether the deploy finished.
      type: bool
    running:
      description: Whether the deploy is still running (not finished and its process alive).
      type: bool
    history:
      description: Every status change so far, each with C(status), C(stage), C(progress), C(message) and C(timestamp).
      type: list
      elements: dict
  sample: {"deploy_id": "api-20260101000000-abc123", "status": "script_running", "progress": 10, "finished": false}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.records import STATUS_OPTIONS, deploy_status  # noqa: E402


def main():
    module = OpsforgeModule(spec=STATUS_OPTIONS)
    module.run(deploy_status, module.params)


if __name__ == "__main__":
    main()
