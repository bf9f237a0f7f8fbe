# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one GPU dict that both sources (:mod:`.nvml`, :mod:`.smi`) fill, so the health rules
of :mod:`.facts` run on either."""

from __future__ import annotations


def empty_gpu():
    """Every key a GPU dict has, with ``None`` for unknown values."""
    return {
        "index": None,
        "name": None,
        "brand": None,
        "architecture": None,
        "uuid": None,
        "serial": None,
        "pci_bus_id": None,
        "memory_total_mib": None,
        "memory_used_mib": None,
        "memory_free_mib": None,
        "memory_reserved_mib": None,
        "utilization_gpu_pct": None,
        "utilization_memory_pct": None,
        "temperature_c": None,
        "temperature_slowdown_c": None,
        "temperature_shutdown_c": None,
        "power_draw_w": None,
        "power_limit_w": None,
        "ecc_mode": None,
        "ecc_errors": {
            "volatile_corrected": None,
            "volatile_uncorrected": None,
            "aggregate_corrected": None,
            "aggregate_uncorrected": None,
        },
        "retired_pages": {"single_bit": None, "double_bit": None, "pending": None},
        "remapped_rows": None,
        "mig_mode": {"current": None, "pending": None},
        "mig_devices": [],
    }
