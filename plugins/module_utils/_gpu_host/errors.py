# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one error type of the host-side GPU code (NVML and ``nvidia-smi``).

It derives from the GPU platform's :class:`K8sError` (itself an ``OpsforgeError``) so that
the modules and tests written before this package was split out of ``_k8s/`` still catch it
with ``except K8sError``; code that wants only this package's failures catches :class:`GpuHostError`.
"""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError


class GpuHostError(K8sError):
    """NVML or nvidia-smi failed, or printed something that cannot be read."""
