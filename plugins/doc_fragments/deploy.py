# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by deploy_shell, deploy_tar and deploy_docker.
    DOCUMENTATION = r"""
options:
  app:
    description:
      - Name of the application. Status file, records and the lock are kept per host and O(app).
      - Letters, digits, V(.), V(_) and V(-), at most 63 characters.
    type: str
    required: true
  deploy_id:
    description:
      - Identifier of this deploy. Defaults to V(<app>-<UTC timestamp>-<random>).
    type: str
  force:
    description:
      - Deploy even when the last successful deploy of O(app) has the same version.
    type: bool
    default: false
  rollback:
    description:
      - Roll back automatically when a step fails, times out or a health check fails.
    type: bool
    default: true
  state_dir:
    description:
      - Directory on the host that holds the status files (C(status/)), records (C(records/)) and locks (C(locks/)).
    type: path
    default: /var/lib/opsforge/deploy
  keep_records:
    description:
      - How many records to keep per O(app); older ones are rotated out.
    type: int
    default: 100
  lock_wait:
    description:
      - Seconds to wait for another deploy of O(app) on this host to finish. V(0) fails at once, naming the lock owner.
    type: int
    default: 0
  lock_ttl:
    description:
      - Seconds after which a lock is stale and taken over even if its owner still runs.
      - A lock whose owner process is gone is taken over at once.
    type: int
    default: 3600
notes:
  - The module writes every status change atomically to C(<state_dir>/status/<app>.json); follow a deploy run with
    C(async) and C(poll) set to 0 with M(opsforge.infra.deploy_status).
  - The result key RV(deploy_event) is what the P(opsforge.infra.deploy_events#callback) callback forwards.
"""

    # The health_checks option with its sub-options: deploy_shell, deploy_tar, deploy_docker, deploy_rollback.
    HEALTH_CHECKS = r"""
options:
  health_checks:
    description:
      - Health checks run after the deploy, in order; the first failure fails the deploy and triggers the rollback.
      - They run again after a rollback; their results are part of the record.
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description: Kind of check. V(http) expects a status in O(health_checks[].status_codes); V(tcp) connects; V(script) expects exit code 0.
        type: str
        choices: [http, tcp, script]
        default: http
      url:
        description:
          - URL for an V(http) check.
          - Default built from O(health_checks[].scheme), O(health_checks[].host), O(health_checks[].port) and O(health_checks[].path).
        type: str
      host:
        description: Host for V(tcp) checks and for the default V(http) URL.
        type: str
        default: 127.0.0.1
      port:
        description: Port to check. Deploy modules fill in the application port when they know it.
        type: int
      path:
        description: Path of the default V(http) URL.
        type: str
        default: /
      scheme:
        description: Scheme of the default V(http) URL.
        type: str
        choices: [http, https]
        default: http
      status_codes:
        description: HTTP statuses that count as healthy.
        type: list
        elements: int
        default: [200]
      body_regex:
        description: Regular expression the HTTP body must match.
        type: str
      validate_certs:
        description: Verify TLS certificates of V(https) URLs.
        type: bool
        default: true
      script:
        description: Shell script of a V(script) check (same size cap and denylist as deploy scripts).
        type: str
      timeout:
        description: Seconds the whole check (every try) may take.
        type: float
        default: 60
      retries:
        description: Tries after the first failed one.
        type: int
        default: 3
      delay:
        description: Seconds between tries.
        type: float
        default: 10
      stable_successes:
        description:
          - Successes in a row the check needs before it passes (the stability window). A failure after the first
            success fails the check at once (the app turned unhealthy), without further retries.
          - M(opsforge.infra.deploy_docker) also fails the window when the container stops, restarts or its Docker
            C(HEALTHCHECK) reports V(unhealthy) at any of these tries.
        type: int
        default: 1
      stable_period:
        description:
          - Seconds the successes must span, from the first one; tries are spread evenly over it.
          - V(0) with O(health_checks[].stable_successes=1) passes at the first success (as before).
        type: float
        default: 0
"""

    # diff_mode of deploy_shell, deploy_tar, deploy_rollback (deploy_docker names the image too).
    ATTRIBUTES = r"""
attributes:
  diff_mode:
    support: full
    description: Before and after version.
"""

    # The read-only modules of the family: deploy_info, deploy_status, docker_monitor_info, health_check.
    INFO_ATTRIBUTES = r"""
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
"""

    # state_dir of the modules that read or roll back what the deploy modules wrote.
    STATE_DIR = r"""
options:
  state_dir:
    description: Directory that holds the deploy state.
    type: path
    default: /var/lib/opsforge/deploy
"""

    # The Docker engine of deploy_docker and docker_monitor_info.
    DOCKER = r"""
options:
  docker_host:
    description: Docker engine URL.
    type: str
    default: unix:///var/run/docker.sock
"""
