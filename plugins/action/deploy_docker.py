# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs opsforge.infra.deploy_docker and shows (and sends to the deploy_events webhook) each stage as it happens."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.plugin_utils._deploy_action import DeployAction


class ActionModule(DeployAction):
    MODULE = "opsforge.infra.deploy_docker"
