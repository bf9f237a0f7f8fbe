#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_shell
short_description: Deploy an application with a shell script, health checks and automatic rollback
version_added: 0.1.0
description:
  - Runs a deploy script on the host, then the health checks. When the script fails, times out or a health check
    fails, runs O(rollback_script) and the health checks again.
  - Every stage (V(pending), V(executing), V(script_running), V(health_check), V(rolling_back), V(rolled_back),
    V(rollback_failed), V(success), V(failed), V(timeout)) is written to the status file; a record is kept under O(state_dir).
  - One deploy per host and O(app) at a time (lock with owner details).
  - Deploying the version of the last successful deploy again changes nothing unless O(force=true).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.deploy
  - opsforge.infra.deploy.health_checks
  - opsforge.infra.deploy.attributes
attributes:
  check_mode:
    support: full
    description: Reports whether the version would be deployed; runs nothing.
  idempotent:
    support: full
    description: The same O(version) as the last successful deploy is not deployed again.
options:
  version:
    description: Version being deployed; passed to the scripts as E(DEPLOY_VERSION).
    type: str
    required: true
  script:
    description:
      - Deploy script, run with O(shell) C(-e -c). Capped at 100 KB; dangerous commands (C(rm -rf /), C(mkfs),
        C(dd of=/dev/...), fork bombs, C(curl ... | sh)) are refused unless O(allow_dangerous=true).
      - The scripts get E(DEPLOY_APP), E(DEPLOY_VERSION), E(DEPLOY_ID) and E(DEPLOY_PREVIOUS_VERSION).
    type: str
  script_file:
    description: Path on the host of a script to run instead of O(script).
    type: path
  rollback_script:
    description:
      - Script run when the deploy fails, with E(DEPLOY_VERSION) set to the version to go back to and
        E(DEPLOY_FAILED_VERSION) to the failed one. Without it a failed deploy is not rolled back.
    type: str
  workdir:
    description: Working directory of the scripts (must exist).
    type: path
  env:
    description: Environment variables of the scripts.
    type: dict
    default: {}
  secret_env:
    description: Secret environment variables; never logged, and their values are replaced by C(********) in captured output.
    type: dict
    default: {}
  timeout:
    description: Seconds the deploy script may run; then it is killed and the deploy status is V(timeout).
    type: int
    default: 600
  rollback_timeout:
    description: Seconds the rollback script may run.
    type: int
    default: 600
  run_as:
    description: Run the scripts as this user (the module must run as root).
    type: str
  allow_dangerous:
    description: Run scripts even when they contain a command of the denylist.
    type: bool
    default: false
  shell:
    description: Shell that runs the scripts.
    type: str
    default: /bin/sh
seealso:
  - module: opsforge.infra.deploy_status
  - module: opsforge.infra.deploy_info
  - module: opsforge.infra.deploy_rollback
"""

EXAMPLES = r"""
- name: Deploy version 2.1 of the API, gated by its health endpoint
  opsforge.infra.deploy_shell:
    app: api
    version: "2.1"
    workdir: /srv/api
    script: |
      ./bin/fetch-release "$DEPLOY_VERSION"
      systemctl restart api
    rollback_script: |
      ./bin/fetch-release "$DEPLOY_VERSION"
      systemctl restart api
    secret_env:
      DB_PASSWORD: "{{ vault_db_password }}"
    timeout: 300
    health_checks:
      - type: http
        port: 8080
        path: /health
        status_codes: [200]
        retries: 5
        delay: 3

- name: Deploy in the background and follow it
  opsforge.infra.deploy_shell:
    app: api
    version: "2.2"
    script: ./deploy.sh
    workdir: /srv/api
  async: 900
  poll: 0
"""

RETURN = r"""
deploy:
  description:
    - The record of this deploy. In check mode or when nothing changed, a short plan with C(app), C(command_type),
      C(version) and C(previous_version).
  returned: always
  type: dict
  contains:
    deploy_id:
      description: Identifier of the deploy.
      type: str
    status:
      description: Final status, V(success), V(failed) or V(timeout).
      type: str
    success:
      description: Whether the deploy succeeded.
      type: bool
    version:
      description: Version that was deployed.
      type: str
    effective_version:
      description: Version running after the deploy (the rollback target after a successful rollback, null when nothing runs for sure).
      type: str
    previous_version:
      description: Version of the last good deploy before this one.
      type: str
    history:
      description: Every status change, each with C(status), C(stage), C(progress), C(message) and C(timestamp).
      type: list
      elements: dict
    health:
      description: Health check results, each with C(success), C(check_type), C(target), C(response_time), C(retry_count), C(detail) and C(phase).
      type: list
      elements: dict
    rollback:
      description: What the rollback did (C(performed), C(status), C(target_version), C(health), C(error), C(duration)), or null.
      type: dict
    logs:
      description: Captured output, capped at 64 KiB, secret values replaced by C(********).
      type: str
    details:
      description: Facts specific to the deploy type.
      type: dict
  sample: {"deploy_id": "web-20260101000000-abc123", "status": "success", "version": "2.0", "effective_version": "2.0"}
deploy_event:
  description:
    - Payload for the P(opsforge.infra.deploy_events#callback) callback, with C(callback_id), C(app), C(command_type),
      C(deploy_type), C(status), C(success), C(version), C(result), C(error), C(duration), C(timestamp) and C(history).
    - Also returned when the deploy fails.
  returned: when a deploy ran
  type: dict
rolled_back:
  description: Whether a failed deploy was rolled back successfully.
  returned: on failure
  type: bool
lock_owner:
  description: Owner of the lock (C(deploy_id), C(user), C(pid), C(host), C(started)) when another deploy holds it.
  returned: when the lock is held by another deploy
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.shell import (  # noqa: E402
    SHELL_KWARGS, SHELL_OPTIONS, ShellDeployment)


def main():
    module = OpsforgeModule(argument_spec=SHELL_OPTIONS, supports_check_mode=True, **SHELL_KWARGS)
    module.run(lambda: ShellDeployment(module.params, check_mode=module.check_mode).run())


if __name__ == "__main__":
    main()
