#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_rollback
short_description: Roll a deploy back by record id, or an app back to its previous good version
version_added: 0.1.0
description:
  - Finds, in the records kept by the deploy modules, the deploy to roll back (O(deploy_id), default the app's
    current good deploy) and the newest successful deploy before it with another version that was not rolled back.
  - Docker deploys get the kept C(<name>-previous) container back when it runs that version, else a container
    re-created by image ID with the recorded spec (pass masked secrets again in O(secret_env)).
    Tar deploys switch C(current) back to that release (bad releases are refused) and run the start command.
    Shell deploys run the recorded rollback script with E(DEPLOY_VERSION) set to the target.
  - The health checks run after the rollback; when the rollback fails, what ran before it is put back.
  - The rolled back deploy is marked (C(rolled_back_by)) and is never a rollback target again; its own record
    is otherwise kept as it was. The rollback gets its own deploy id and a record of type V(rollback) whose
    C(rollback_of) names the deploy it undid (the webhook events carry both).
  - O(deploy_id) must be the app's current deploy unless O(force=true).
  - Output of the rollback script and start command is masked (values of O(secret_env)) in the record and status file.
  - Runs where the deploy ran (the host with the records, or where the Docker engine is for docker deploys).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.deploy.health_checks
  - opsforge.infra.deploy.attributes
  - opsforge.infra.deploy.state_dir
attributes:
  check_mode:
    support: full
    description: Reports the target; changes nothing.
  idempotent:
    support: full
    description:
      - Rolling back the same O(deploy_id) again changes nothing.
      - Without O(deploy_id) each run goes one good version further back.
requirements:
  - docker (Python SDK) >= 7.0, for docker deploys
options:
  app:
    description: Application to roll back.
    type: str
    required: true
  deploy_id:
    description: The deploy to roll back. Default the app's current good deploy.
    type: str
  force:
    description:
      - Roll back O(deploy_id) even when it is not the app's current deploy (a later deploy replaced it).
        Without it such a rollback is refused, naming the current deploy.
    type: bool
    default: false
  start_command:
    description: For tar deploys, the command that restarts the app. Default the one recorded with the target deploy.
    type: str
  env:
    description: Environment of the rollback script or start command.
    type: dict
    default: {}
  secret_env:
    description: Secret environment (rollback script; docker containers re-created from a spec whose secrets were masked).
    type: dict
    default: {}
  timeout:
    description: Seconds the shell rollback script may run.
    type: int
    default: 600
  start_timeout:
    description: Seconds the start command may run, or the container may take to become running or healthy.
    type: int
    default: 60
  stop_timeout:
    description: Seconds Docker waits for a container to stop.
    type: int
    default: 10
  docker_host:
    description: Docker engine URL, for docker deploys.
    type: str
    default: unix:///var/run/docker.sock
  keep_records:
    description: Records kept per app.
    type: int
    default: 100
  lock_wait:
    description: Seconds to wait for another deploy of the app to finish.
    type: int
    default: 0
  lock_ttl:
    description: Seconds after which a lock is stale.
    type: int
    default: 3600
seealso:
  - module: opsforge.infra.deploy_info
"""

EXAMPLES = r"""
- name: Roll the shop back to its previous good version
  opsforge.infra.deploy_rollback:
    app: shop
    health_checks:
      - port: 8000
        path: /health

- name: Roll back one deploy by its record id
  opsforge.infra.deploy_rollback:
    app: testapp
    deploy_id: testapp-20260101000000-abc123
"""

RETURN = r"""
deploy:
  description:
    - The record of the rollback (C(command_type) V(rollback)); in check mode or when nothing changed a plan with
      C(version) (the target), C(previous_version), C(rollback_of), C(target_deploy_id) and C(kind).
  returned: always
  type: dict
  contains:
    deploy_id:
      description: Identifier of the rollback (its own, never the one of the deploy it undoes).
      type: str
    rollback_of:
      description: Identifier of the deploy this rollback undid.
      type: str
    status:
      description: V(success), V(failed) or V(timeout).
      type: str
    version:
      description: Version rolled back to.
      type: str
    previous_version:
      description: Version rolled back from.
      type: str
    history:
      description: Every status change.
      type: list
      elements: dict
    details:
      description: C(kind) (V(docker), V(tar) or V(shell)), C(rollback_of), C(target_deploy_id), and what was restored.
      type: dict
  sample: {"deploy_id": "shop-20260101000000-abc123", "status": "success", "version": "1.3.0", "previous_version": "1.4.0"}
deploy_event:
  description: Payload for the P(opsforge.infra.deploy_events#callback) callback.
  returned: when a rollback ran
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.rollback import (  # noqa: E402
    ROLLBACK_OPTIONS, RollbackDeployment)


def main():
    module = OpsforgeModule(argument_spec=ROLLBACK_OPTIONS, supports_check_mode=True)
    module.run(lambda: RollbackDeployment(module.params, check_mode=module.check_mode).run())


if __name__ == "__main__":
    main()
