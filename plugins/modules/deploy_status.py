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
author:
  - opsforge.infra contributors (@opsforge)
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing to diff.
  idempotent:
    support: full
    description: Never changes anything.
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
  state_dir:
    description: Directory that holds the deploy state.
    type: path
    default: /var/lib/opsforge/deploy
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
      description: Current status (see the deploy modules for the list).
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
  sample: {"deploy_id": "api-20260101000000-abc123", "status": "script_running", "progress": 10, "finished": false}
"""

import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.state import (  # noqa: E402
    Store, check_app_name, pid_alive)


def read(store, app, deploy_id):
    status = store.read_status(app)
    if deploy_id and (not status or status.get("deploy_id") != deploy_id):
        record = store.find_record(deploy_id, app)
        if not record:
            raise DeployError("no deploy %s of %s on this host" % (deploy_id, app))
        status = dict(deploy_id=deploy_id, app=app, command_type=record.get("command_type"), status=record.get("status"),
                      progress=record.get("progress"), stage=record.get("status"), message=record.get("error") or "",
                      logs_tail=(record.get("logs") or "")[-4096:], timestamp=record.get("finished"), finished=True)
    if status:
        status["running"] = bool(not status.get("finished") and pid_alive(status.get("pid")))
    return status


def main():
    module = AnsibleModule(argument_spec=dict(
        app=dict(type="str", required=True), deploy_id=dict(type="str"), wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600), state_dir=dict(type="path", default="/var/lib/opsforge/deploy"),
    ), supports_check_mode=True)
    params = module.params
    try:
        store = Store(params["state_dir"])
        app = check_app_name(params["app"])
        deadline = time.time() + params["wait_timeout"]
        status = read(store, app, params["deploy_id"])
        while params["wait"] and status and status.get("running") and time.time() < deadline:
            time.sleep(1)
            status = read(store, app, params["deploy_id"])
    except DeployError as exc:
        module.fail_json(**exc.fail_kwargs())
    module.exit_json(changed=False, deploy_status=status)


if __name__ == "__main__":
    main()
