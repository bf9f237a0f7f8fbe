# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""GPU inventory and health of one host, from NVML or from ``nvidia-smi -q -x``.

Both sources give the same dict (see :func:`empty_gpu`), so the health rules in
:func:`assess_health` run on either. NVML is reached through the ``pynvml`` module of
nvidia-ml-py, passed in by the caller (tests pass the real module with its functions
replaced). ``nvidia-smi`` is run through a ``run(argv) -> (rc, stdout, stderr)`` callable.
"""

from __future__ import annotations

import re

from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host.errors import GpuHostError
from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host.nvml import collect_nvml
from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host.record import empty_gpu
from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host.smi import (
    collect_nvidia_smi,
    merge_mig_profiles,
    parse_nvidia_smi_list,
    parse_nvidia_smi_xml,
)

# This module is the package's front door: callers find the collectors here too.
__all__ = ("DEFAULT_MAX_RETIRED_PAGES", "DEFAULT_MIN_DRIVER", "assess_health", "collect_nvidia_smi", "collect_nvml",
           "empty_gpu", "gather", "host_facts", "merge_mig_profiles", "parse_nvidia_smi_list", "parse_nvidia_smi_xml", "version_tuple")

# The first driver of the CUDA 12 series on Linux: older drivers cannot run CUDA 12 images.
DEFAULT_MIN_DRIVER = "525.60.13"
# NVIDIA's RMA guidance: a board that has retired this many pages should be replaced.
DEFAULT_MAX_RETIRED_PAGES = 60


def version_tuple(version):
    """``"535.129.03"`` -> ``(535, 129, 3)``; non-numeric parts are ignored."""
    return tuple(int(p) for p in re.findall(r"\d+", version or ""))


def assess_health(gpu, driver_version=None, min_driver_version=DEFAULT_MIN_DRIVER,
                  max_retired_pages=DEFAULT_MAX_RETIRED_PAGES, max_temperature=None):
    """``{"status": "healthy|warning|critical", "reasons": [...]}`` for one GPU dict."""
    critical, warning = [], []
    ecc = gpu.get("ecc_errors") or {}
    if ecc.get("volatile_uncorrected"):
        critical.append("%d uncorrectable ECC errors since the last driver load" % ecc["volatile_uncorrected"])
    elif ecc.get("aggregate_uncorrected"):
        warning.append("%d uncorrectable ECC errors over the board's lifetime" % ecc["aggregate_uncorrected"])
    pages = gpu.get("retired_pages") or {}
    retired = (pages.get("single_bit") or 0) + (pages.get("double_bit") or 0)
    if max_retired_pages and retired >= max_retired_pages:
        critical.append("%d retired memory pages (limit %d): replace the board" % (retired, max_retired_pages))
    elif pages.get("double_bit"):
        warning.append("%d memory pages retired after double-bit ECC errors" % pages["double_bit"])
    if pages.get("pending"):
        warning.append("memory page retirement pending: reset the GPU or reboot to apply it")
    rows = gpu.get("remapped_rows") or {}
    if rows.get("failure"):
        critical.append("row remapping failed: the board needs service")
    if rows.get("pending"):
        warning.append("row remapping pending: reset the GPU to apply it")
    if rows.get("uncorrectable"):
        warning.append("%d rows remapped after uncorrectable errors" % rows["uncorrectable"])
    temp = gpu.get("temperature_c")
    if temp is not None:
        shutdown, slowdown = gpu.get("temperature_shutdown_c"), gpu.get("temperature_slowdown_c")
        limit = max_temperature if max_temperature is not None else slowdown
        if shutdown is not None and temp >= shutdown:
            critical.append("temperature %d C at or above the shutdown threshold %d C" % (temp, shutdown))
        elif limit is not None and temp >= limit:
            warning.append("temperature %d C at or above %d C" % (temp, limit))
    mig = gpu.get("mig_mode") or {}
    if mig.get("current") is not None and mig.get("pending") is not None and mig["current"] != mig["pending"]:
        warning.append("MIG mode change pending (%s -> %s): reset the GPU to apply it" % (
            "enabled" if mig["current"] else "disabled", "enabled" if mig["pending"] else "disabled"))
    if mig.get("current") and not gpu.get("mig_devices"):
        warning.append("MIG is enabled but no MIG instances exist: nothing can be scheduled on this GPU")
    if min_driver_version and driver_version and version_tuple(driver_version) < version_tuple(min_driver_version):
        warning.append("driver %s is older than %s" % (driver_version, min_driver_version))
    status = "critical" if critical else ("warning" if warning else "healthy")
    return {"status": status, "reasons": critical + warning}


def _worst(statuses):
    for level in ("critical", "warning"):
        if level in statuses:
            return level
    return "healthy"


def gather(source="auto", nvml_lib=None, run=None, nvidia_smi_path="nvidia-smi", **health_options):
    """Inventory plus health.

    ``source`` is ``auto`` (NVML when ``nvml_lib`` can initialise, else nvidia-smi),
    ``nvml`` or ``nvidia_smi``. Returns the dict that ``nvidia_gpu_facts`` puts in
    ``ansible_facts.nvidia_gpu``.
    """
    used, nvml_error = None, None
    inventory = None
    if source in ("auto", "nvml"):
        if nvml_lib is None:
            if source == "nvml":
                raise GpuHostError("source=nvml needs the nvidia-ml-py Python package (import pynvml) on the GPU host")
        else:
            try:
                inventory, used = collect_nvml(nvml_lib), "nvml"
            except GpuHostError as exc:
                if source == "nvml":
                    raise
                nvml_error = exc.msg
    if inventory is None:
        if run is None:
            raise GpuHostError("nvidia-smi is not available on this host%s" % (
                " and NVML failed: %s" % nvml_error if nvml_error else ""))
        inventory, used = collect_nvidia_smi(run, nvidia_smi_path), "nvidia_smi"
    for gpu in inventory["gpus"]:
        gpu["health"] = assess_health(gpu, inventory.get("driver_version"), **health_options)
    statuses = [gpu["health"]["status"] for gpu in inventory["gpus"]]
    inventory["source"] = used
    inventory["gpu_count"] = len(inventory["gpus"])
    inventory["mig_enabled"] = any(gpu["mig_mode"]["current"] for gpu in inventory["gpus"])
    inventory["health"] = _worst(statuses)
    inventory["nvml_error"] = nvml_error
    return inventory


def host_facts(module, pynvml_library):
    """The ``nvidia_gpu_facts`` module's one call: :func:`gather` with the sources its options allow.

    ``pynvml_library`` is a ``LazyLibrary``: required (the task fails naming the pip package) with
    ``source=nvml``, used when importable with ``source=auto``. ``nvidia-smi`` is looked up on the host
    (required with ``source=nvidia_smi``) and run through ``module.run_command``.
    """
    params = module.params
    source = params["source"]
    nvml_lib = None
    if source == "nvml":
        nvml_lib = module.require(pynvml_library)
    elif source == "auto" and pynvml_library.available:
        nvml_lib = pynvml_library
    run = None
    binary = module.get_bin_path(params["nvidia_smi_path"], required=(source == "nvidia_smi")) if source != "nvml" else None
    if binary:
        def run(argv):
            return module.run_command([binary] + list(argv[1:]))
    facts = gather(source=source, nvml_lib=nvml_lib, run=run, nvidia_smi_path=params["nvidia_smi_path"],
                   min_driver_version=params["min_driver_version"] or None, max_retired_pages=params["max_retired_pages"],
                   max_temperature=params["max_temperature"])
    return {"changed": False, "ansible_facts": {"nvidia_gpu": facts}}
