#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_database_parameters
short_description: Set parameters of an Amazon Lightsail managed database
version_added: 0.1.0
description:
  - Sets the listed engine parameters (for example C(max_connections)) of a Lightsail database and leaves
    the others alone. Unknown or non-modifiable parameters fail the task before anything is changed.
  - Dynamic parameters apply immediately; static ones at the next reboot (RV(reboot_required)) unless O(apply_method) says otherwise.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of the database.
    type: str
    required: true
  parameters:
    description: Parameter name to value. Booleans become V(1)/V(0); everything is compared as a string.
    type: dict
    required: true
  apply_method:
    description: Force C(immediate) or C(pending-reboot) for every change. Default picks by the parameter's apply type.
    type: str
    choices: [immediate, pending-reboot]
  wait:
    description: Wait for the update operation to finish.
    type: bool
    default: true
  wait_timeout:
    description: How many seconds to wait.
    type: int
    default: 300
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tune MySQL
  opsforge.infra.lightsail_database_parameters:
    name: app-db
    parameters:
      max_connections: 200
      slow_query_log: true
    region: eu-west-1
  register: params

- name: Reboot when a static parameter changed
  opsforge.infra.lightsail_database:
    name: app-db
    state: rebooted
    region: eu-west-1
  when: params.reboot_required
"""

RETURN = r"""
parameters:
  description: Every parameter of the database, name to current value, after the run.
  returned: always
  type: dict
  sample: {max_connections: "200", slow_query_log: "1"}
reboot_required:
  description: Whether a static parameter was changed and waits for a reboot.
  returned: always
  type: bool
static_parameters_changed:
  description: Names of changed static parameters.
  returned: always
  type: list
  elements: str
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
diff:
  description: The parameters before and after (same shape as RV(parameters)).
  returned: always
  type: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.database import DatabaseParameters
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def main():
    module = LightsailModule(argument_spec=dict(
        name=dict(type="str", required=True),
        parameters=dict(type="dict", required=True),
        apply_method=dict(type="str", choices=["immediate", "pending-reboot"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    ))
    module.run(lambda: DatabaseParameters(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
