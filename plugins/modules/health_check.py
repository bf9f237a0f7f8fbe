#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: health_check
short_description: Check that a service is healthy (HTTP, TCP or script) with retries
version_added: 0.1.0
description:
  - The health checks the deploy modules use, as a standalone module. Runs on the target host.
  - Fails when the check does not pass within O(timeout), unless O(fail_on_unhealthy=false).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.deploy.info_attributes
attributes:
  check_mode:
    support: full
    description: The check only reads, so it also runs in check mode.
options:
  type:
    description: Kind of check. V(http) expects a status in O(status_codes); V(tcp) connects; V(script) expects exit code 0.
    type: str
    choices: [http, tcp, script]
    default: http
  url:
    description: URL of an V(http) check; default built from O(scheme), O(host), O(port), O(path).
    type: str
  host:
    description: Host of a V(tcp) check and of the default URL.
    type: str
    default: 127.0.0.1
  port:
    description: Port to check.
    type: int
  path:
    description: Path of the default URL.
    type: str
    default: /
  scheme:
    description: Scheme of the default URL.
    type: str
    choices: [http, https]
    default: http
  status_codes:
    description: HTTP statuses that count as healthy.
    type: list
    elements: int
    default: [200]
  body_regex:
    description: Regular expression the body must match.
    type: str
  validate_certs:
    description: Verify TLS certificates.
    type: bool
    default: true
  script:
    description: Shell script of a V(script) check (100 KB cap, dangerous commands refused).
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
      - Successes in a row needed before the check passes; a failure after the first success fails it at once.
    type: int
    default: 1
  stable_period:
    description: Seconds those successes must span, from the first one (tries spread evenly over it).
    type: float
    default: 0
  fail_on_unhealthy:
    description: Fail the task when the check does not pass.
    type: bool
    default: true
seealso:
  - module: opsforge.infra.deploy_shell
"""

EXAMPLES = r"""
- name: Wait for the API to answer 200 with "ok"
  opsforge.infra.health_check:
    port: 8080
    path: /health
    body_regex: "^ok"
    retries: 10
    delay: 2

- name: Is PostgreSQL accepting connections?
  opsforge.infra.health_check:
    type: tcp
    port: 5432
    fail_on_unhealthy: false
  register: pg

- name: Script check
  opsforge.infra.health_check:
    type: script
    script: systemctl is-active --quiet nginx
"""

RETURN = r"""
health:
  description: Result of the check.
  returned: always
  type: dict
  contains:
    success:
      description: Whether the check passed.
      type: bool
    check_type:
      description: V(http), V(tcp) or V(script).
      type: str
    target:
      description: URL, C(host:port) or V(script).
      type: str
    response_time:
      description: Seconds the last try took.
      type: float
    retry_count:
      description: Tries after the first one.
      type: int
    attempts:
      description: Tries made.
      type: int
    detail:
      description: What the last try saw.
      type: str
    elapsed:
      description: Seconds the whole check took.
      type: float
    consecutive_successes:
      description: Successes in a row at the end (the stability window), 0 when it failed before the first one.
      type: int
  sample: {"success": true, "check_type": "http", "target": "http://127.0.0.1:8080/health", "response_time": 0.003,
           "retry_count": 0, "attempts": 1, "detail": "HTTP 200 from http://127.0.0.1:8080/health", "elapsed": 0.004}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.health import HEALTH_CHECK_OPTIONS, health_check  # noqa: E402


def main():
    module = OpsforgeModule(spec=HEALTH_CHECK_OPTIONS)
    module.run(health_check, module.params)


if __name__ == "__main__":
    main()
