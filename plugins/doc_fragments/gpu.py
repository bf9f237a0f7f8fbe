# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The GPU platform's _info modules (gpu_environment_info, gpu_image_info, gpu_node_info).
    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Read only.
  diff_mode:
    support: none
    description: Read only, nothing to compare.
  idempotent:
    support: full
    description: Read only.
"""

    # How gpu_reaper and gpu_usage_report talk to Prometheus (each documents its own prometheus_url).
    PROMETHEUS = r"""
options:
  prometheus_token:
    description: Bearer token for Prometheus.
    type: str
  prometheus_validate_certs:
    description: Verify Prometheus' TLS certificate.
    type: bool
    default: true
"""
