#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_database_info
short_description: Describe Amazon Lightsail managed databases, their logs and events
version_added: 0.1.0
description:
  - Returns one database or all, optionally with their log streams, log events of one stream, recent
    events, and the database snapshots of the region.
author:
  - opsforge.infra contributors (@opsforge)
options:
  name:
    description: Name of one database. Omit to list all.
    type: str
  log_streams:
    description: Add RV(databases[].log_streams) (C(GetRelationalDatabaseLogStreams)).
    type: bool
    default: false
  log_events:
    description: Add RV(databases[].log_events) from one log stream.
    type: dict
    suboptions:
      stream:
        description: Log stream, for example V(error), V(general), V(slowquery) (MySQL) or V(postgresql) (PostgreSQL).
        type: str
        required: true
      start_time:
        description: ISO 8601 or relative (V(-1h)).
        type: str
      end_time:
        description: ISO 8601 or relative; default now.
        type: str
      start_from_head:
        description: Read oldest first.
        type: bool
        default: false
      max_events:
        description: Stop after this many events.
        type: int
        default: 1000
  events_minutes:
    description: Add RV(databases[].events) of the last so many minutes (C(GetRelationalDatabaseEvents)).
    type: int
  snapshots:
    description: Also return all database snapshots of the region.
    type: bool
    default: false
  catalog:
    description: Also return the database blueprints (engines and versions) and bundles (sizes) on offer.
    type: bool
    default: false
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.info_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Errors of the last hour
  opsforge.infra.lightsail_database_info:
    name: app-db
    log_streams: true
    log_events:
      stream: error
      start_time: "-1h"
    events_minutes: 1440
    region: eu-west-1
  register: db
"""

RETURN = r"""
databases:
  description: The databases (snake_case keys, no password). Empty when O(name) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    log_streams:
      description: Names of the log streams.
      type: list
      elements: str
      returned: when O(log_streams=true)
    log_events:
      description: Events of O(log_events.stream), with C(created_at) and C(message).
      type: list
      elements: dict
      returned: when O(log_events) is set
    events:
      description: Database events (C(created_at), C(message), C(event_categories)).
      type: list
      elements: dict
      returned: when O(events_minutes) is set
snapshots:
  description: All database snapshots of the region.
  returned: when O(snapshots=true)
  type: list
  elements: dict
blueprints:
  description: Database blueprints (C(blueprint_id), C(engine), C(engine_version), C(is_engine_default)).
  returned: when O(catalog=true)
  type: list
  elements: dict
bundles:
  description: Database bundles (C(bundle_id), C(price), C(ram_size_in_gb), C(disk_size_in_gb)).
  returned: when O(catalog=true)
  type: list
  elements: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.database import database_info
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule


def main():
    module = LightsailModule(argument_spec=dict(
        name=dict(type="str"),
        log_streams=dict(type="bool", default=False),
        log_events=dict(type="dict", options=dict(
            stream=dict(type="str", required=True),
            start_time=dict(type="str"),
            end_time=dict(type="str"),
            start_from_head=dict(type="bool", default=False),
            max_events=dict(type="int", default=1000),
        )),
        events_minutes=dict(type="int"),
        snapshots=dict(type="bool", default=False),
        catalog=dict(type="bool", default=False),
    ))
    p = module.params
    module.run_info(None, lambda: database_info(module.lightsail(), p["name"], p["log_streams"], p["log_events"], p["events_minutes"],
                                                p["snapshots"], p["catalog"]))


if __name__ == "__main__":
    main()
