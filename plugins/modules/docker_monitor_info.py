#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: docker_monitor_info
short_description: State, health log, restarts, CPU and memory of containers
version_added: 0.1.0
description:
  - Lists containers (filtered by name and/or label) with their state, Docker health status and recent health
    log, restart count, and CPU percent and memory use from the stats API (one sample).
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.deploy.info_attributes
  - opsforge.infra.deploy.docker
requirements:
  - docker (Python SDK) >= 7.0
options:
  names:
    description: Container names; a trailing V(*) matches a prefix. Default all.
    type: list
    elements: str
  labels:
    description: Only containers with these labels (a null value matches any value).
    type: dict
  all:
    description: Include stopped containers.
    type: bool
    default: true
  stats:
    description: Read CPU and memory from the stats API (takes about a second per running container).
    type: bool
    default: true
  timeout:
    description: Timeout of Docker API calls, in seconds.
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: How are the deployed apps doing?
  opsforge.infra.docker_monitor_info:
    labels:
      opsforge.deploy.app:
  register: mon

- name: Alert on restarts
  ansible.builtin.debug:
    msg: "{{ item.name }} restarted {{ item.restart_count }} times"
  loop: "{{ mon.containers | selectattr('restart_count', 'gt', 0) }}"
"""

RETURN = r"""
containers:
  description: One entry per container, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
    id:
      description: Container ID.
      type: str
    image:
      description: Image the container was created from.
      type: str
    image_id:
      description: Image ID.
      type: str
    status:
      description: Docker state (V(running), V(exited), V(restarting), ...).
      type: str
    running:
      description: Whether it runs.
      type: bool
    exit_code:
      description: Last exit code.
      type: int
    health:
      description: Docker health status (V(healthy), V(unhealthy), V(starting)) or null without HEALTHCHECK.
      type: str
    health_log:
      description: Last health probes with C(start), C(exit_code) and C(output).
      type: list
      elements: dict
    restart_count:
      description: How often Docker restarted it.
      type: int
    cpu_percent:
      description: CPU percent (100 per CPU), null when not running or O(stats=false).
      type: float
    memory:
      description: C(usage_bytes) (without page cache), C(limit_bytes) and C(percent), null when not running.
      type: dict
    version:
      description: C(opsforge.deploy.version) label.
      type: str
    labels:
      description: All labels.
      type: dict
  sample: [{"name": "testapp", "status": "running", "health": "healthy", "restart_count": 0, "cpu_percent": 0.02,
            "memory": {"usage_bytes": 372736, "limit_bytes": 8330620928, "percent": 0.0}}]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.docker import DOCKER  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.monitor import MONITOR_OPTIONS, monitor_info  # noqa: E402


def main():
    module = OpsforgeModule(spec=MONITOR_OPTIONS)
    module.require(DOCKER)
    module.run(monitor_info, module.params)


if __name__ == "__main__":
    main()
