# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""GPU inventory from NVML, through the ``pynvml`` module of nvidia-ml-py passed in by the
caller (tests pass the real module with its functions replaced, or replay a recorded session)."""

from __future__ import annotations

import re

from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host.errors import GpuHostError
from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host.record import empty_gpu

_MIG_NAME = re.compile(r"MIG\s+(\S+)\s*$")

# NVML enums as nvidia-smi names them (``product_architecture``, ``product_brand``).
_NVML_ARCHITECTURES = {
    2: "Kepler", 3: "Maxwell", 4: "Pascal", 5: "Volta", 6: "Turing", 7: "Ampere",
    8: "Ada Lovelace", 9: "Hopper", 10: "Blackwell",
}
_NVML_BRANDS = {
    1: "Quadro", 2: "Tesla", 3: "NVS", 4: "GRID", 5: "GeForce", 6: "Titan",
    12: "Quadro RTX", 13: "NVIDIA RTX", 14: "NVIDIA", 15: "GeForce RTX", 16: "Titan RTX",
}


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class _Nvml:
    """Calls into pynvml, turning "not supported on this board" into ``None``."""

    def __init__(self, lib):
        self.lib = lib

    def const(self, name, default):
        return getattr(self.lib, name, default)

    def opt(self, func_name, *args):
        func = getattr(self.lib, func_name, None)
        if func is None:
            return None
        try:
            return func(*args)
        except self.lib.NVMLError:
            return None

    def must(self, func_name, *args):
        try:
            return getattr(self.lib, func_name)(*args)
        except self.lib.NVMLError as exc:
            raise GpuHostError("NVML %s failed: %s" % (func_name, exc), cause=exc)


def _mib(value):
    return None if value is None else int(value // (1024 * 1024))


def _nvml_mig_devices(nvml, handle):
    devices = []
    count = nvml.opt("nvmlDeviceGetMaxMigDeviceCount", handle) or 0
    for slot in range(count):
        mig = nvml.opt("nvmlDeviceGetMigDeviceHandleByIndex", handle, slot)
        if mig is None:  # NVML_ERROR_NOT_FOUND: an empty slot
            continue
        name = _decode(nvml.opt("nvmlDeviceGetName", mig)) or ""
        profile = _MIG_NAME.search(name)
        memory = nvml.opt("nvmlDeviceGetMemoryInfo", mig)
        devices.append({
            "index": len(devices),
            "gpu_instance_id": nvml.opt("nvmlDeviceGetGpuInstanceId", mig),
            "compute_instance_id": nvml.opt("nvmlDeviceGetComputeInstanceId", mig),
            "profile": profile.group(1) if profile else None,
            "uuid": _decode(nvml.opt("nvmlDeviceGetUUID", mig)),
            "multiprocessor_count": None,
            "memory_total_mib": _mib(memory.total) if memory is not None else None,
            "memory_used_mib": _mib(memory.used) if memory is not None else None,
        })
    return devices


def _nvml_identity(nvml, handle, gpu):
    """Model, ids and memory."""
    gpu["name"] = _decode(nvml.opt("nvmlDeviceGetName", handle))
    gpu["uuid"] = _decode(nvml.opt("nvmlDeviceGetUUID", handle))
    gpu["serial"] = _decode(nvml.opt("nvmlDeviceGetSerial", handle))
    pci = nvml.opt("nvmlDeviceGetPciInfo", handle)
    if pci is not None:
        gpu["pci_bus_id"] = _decode(getattr(pci, "busId", None))
    # The v2 structure keeps the driver's reserved memory out of "used", as nvidia-smi does;
    # the v1 call (older drivers) counts it as used.
    version = nvml.const("nvmlMemory_v2", None)
    memory = nvml.opt("nvmlDeviceGetMemoryInfo", handle, version) if version is not None else None
    if memory is None:
        memory = nvml.opt("nvmlDeviceGetMemoryInfo", handle)
    if memory is not None:
        gpu["memory_total_mib"] = _mib(memory.total)
        gpu["memory_used_mib"] = _mib(memory.used)
        gpu["memory_free_mib"] = _mib(memory.free)
        gpu["memory_reserved_mib"] = _mib(getattr(memory, "reserved", None))


def _nvml_load(nvml, handle, gpu):
    """Architecture, brand, utilisation, temperature and its thresholds."""
    gpu["architecture"] = _NVML_ARCHITECTURES.get(nvml.opt("nvmlDeviceGetArchitecture", handle))
    gpu["brand"] = _NVML_BRANDS.get(nvml.opt("nvmlDeviceGetBrand", handle))
    util = nvml.opt("nvmlDeviceGetUtilizationRates", handle)
    if util is not None:
        gpu["utilization_gpu_pct"] = int(util.gpu)
        gpu["utilization_memory_pct"] = int(util.memory)
    gpu["temperature_c"] = nvml.opt("nvmlDeviceGetTemperature", handle, nvml.const("NVML_TEMPERATURE_GPU", 0))
    gpu["temperature_slowdown_c"] = nvml.opt(
        "nvmlDeviceGetTemperatureThreshold", handle, nvml.const("NVML_TEMPERATURE_THRESHOLD_SLOWDOWN", 1))
    gpu["temperature_shutdown_c"] = nvml.opt(
        "nvmlDeviceGetTemperatureThreshold", handle, nvml.const("NVML_TEMPERATURE_THRESHOLD_SHUTDOWN", 0))


def _nvml_power_ecc(nvml, handle, gpu):
    """Power draw and limit, ECC mode and its four counters."""
    power = nvml.opt("nvmlDeviceGetPowerUsage", handle)  # milliwatts
    gpu["power_draw_w"] = None if power is None else round(power / 1000.0, 2)
    limit = nvml.opt("nvmlDeviceGetEnforcedPowerLimit", handle)
    gpu["power_limit_w"] = None if limit is None else round(limit / 1000.0, 2)
    ecc = nvml.opt("nvmlDeviceGetEccMode", handle)
    if ecc is not None:
        gpu["ecc_mode"] = bool(ecc[0])
        corrected = nvml.const("NVML_MEMORY_ERROR_TYPE_CORRECTED", 0)
        uncorrected = nvml.const("NVML_MEMORY_ERROR_TYPE_UNCORRECTED", 1)
        volatile = nvml.const("NVML_VOLATILE_ECC", 0)
        aggregate = nvml.const("NVML_AGGREGATE_ECC", 1)
        gpu["ecc_errors"] = {
            "volatile_corrected": nvml.opt("nvmlDeviceGetTotalEccErrors", handle, corrected, volatile),
            "volatile_uncorrected": nvml.opt("nvmlDeviceGetTotalEccErrors", handle, uncorrected, volatile),
            "aggregate_corrected": nvml.opt("nvmlDeviceGetTotalEccErrors", handle, corrected, aggregate),
            "aggregate_uncorrected": nvml.opt("nvmlDeviceGetTotalEccErrors", handle, uncorrected, aggregate),
        }


def _nvml_pages_rows(nvml, handle, gpu):
    """Retired pages and remapped rows."""
    single = nvml.opt("nvmlDeviceGetRetiredPages", handle,
                      nvml.const("NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS", 0))
    double = nvml.opt("nvmlDeviceGetRetiredPages", handle, nvml.const("NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR", 1))
    pending = nvml.opt("nvmlDeviceGetRetiredPagesPendingStatus", handle)
    gpu["retired_pages"] = {
        "single_bit": None if single is None else len(single),
        "double_bit": None if double is None else len(double),
        "pending": None if pending is None else pending == nvml.const("NVML_FEATURE_ENABLED", 1),
    }
    rows = nvml.opt("nvmlDeviceGetRemappedRows", handle)
    if rows is not None:
        gpu["remapped_rows"] = {
            "correctable": int(rows[0]),
            "uncorrectable": int(rows[1]),
            "pending": bool(rows[2]),
            "failure": bool(rows[3]),
        }


def _nvml_mig(nvml, handle, gpu):
    """MIG mode, and the MIG instances when it is on."""
    mig = nvml.opt("nvmlDeviceGetMigMode", handle)
    if mig is not None:
        enable = nvml.const("NVML_DEVICE_MIG_ENABLE", 1)
        gpu["mig_mode"] = {"current": mig[0] == enable, "pending": mig[1] == enable}
        if gpu["mig_mode"]["current"]:
            gpu["mig_devices"] = _nvml_mig_devices(nvml, handle)


# In this order: a recorded NVML session (tests/unit/fixtures/nvidia_smi) replays the calls in order.
_NVML_PARTS = (_nvml_identity, _nvml_load, _nvml_power_ecc, _nvml_pages_rows, _nvml_mig)


def _nvml_gpu(nvml, index):
    handle = nvml.must("nvmlDeviceGetHandleByIndex", index)
    gpu = empty_gpu()
    gpu["index"] = index
    for part in _NVML_PARTS:
        part(nvml, handle, gpu)
    return gpu


def collect_nvml(lib):
    """Inventory from NVML through ``lib`` (the ``pynvml`` module)."""
    nvml = _Nvml(lib)
    nvml.must("nvmlInit")
    try:
        driver = _decode(nvml.opt("nvmlSystemGetDriverVersion"))
        cuda = nvml.opt("nvmlSystemGetCudaDriverVersion")  # e.g. 12020 for 12.2
        cuda_version = None if cuda is None else "%d.%d" % (cuda // 1000, (cuda % 1000) // 10)
        count = nvml.must("nvmlDeviceGetCount")
        gpus = [_nvml_gpu(nvml, i) for i in range(count)]
    finally:
        nvml.opt("nvmlShutdown")
    return {"driver_version": driver, "cuda_version": cuda_version, "gpus": gpus}
