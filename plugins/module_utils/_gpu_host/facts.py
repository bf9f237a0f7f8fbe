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
import xml.etree.ElementTree as ET

from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host.errors import GpuHostError

# The first driver of the CUDA 12 series on Linux: older drivers cannot run CUDA 12 images.
DEFAULT_MIN_DRIVER = "525.60.13"
# NVIDIA's RMA guidance: a board that has retired this many pages should be replaced.
DEFAULT_MAX_RETIRED_PAGES = 60

_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")
_MIG_LIST = re.compile(r"^\s*MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(\S+)\)")
_GPU_LIST = re.compile(r"^GPU\s+(\d+):\s*(.*?)\s*\(UUID:\s*(\S+)\)")
_MIG_NAME = re.compile(r"MIG\s+(\S+)\s*$")


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


# --------------------------------------------------------------------------- nvidia-smi XML


def _text(node, path):
    if node is None:
        return None
    found = node.find(path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    if value in ("", "N/A", "[N/A]", "Unknown Error", "[Unknown Error]", "Not Supported", "[Not Supported]"):
        return None
    return value


def _num(node, path, kind=float):
    value = _text(node, path)
    if value is None:
        return None
    match = _NUMBER.match(value)
    if not match:
        return None
    return kind(float(match.group(1))) if kind is int else kind(match.group(1))


def _first(*values):
    for value in values:
        if value is not None:
            return value
    return None


def _sum(*values):
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _enabled(value):
    if value is None:
        return None
    return value.strip().lower() == "enabled"


def _yes(value):
    if value is None:
        return None
    return value.strip().lower() == "yes"


def _ecc_counts(block):
    """(corrected, uncorrected) of one ``volatile``/``aggregate`` block, both schemas.

    Drivers up to R510 (DTD v11) write ``single_bit``/``double_bit`` with a ``total``;
    newer ones write ``sram_*``/``dram_*`` counters.
    """
    if block is None:
        return None, None
    if block.find("single_bit") is not None or block.find("double_bit") is not None:
        return _num(block, "single_bit/total", int), _num(block, "double_bit/total", int)
    corrected = _sum(_num(block, "sram_correctable", int), _num(block, "dram_correctable", int))
    uncorrected = _sum(
        _num(block, "sram_uncorrectable", int),
        _num(block, "sram_uncorrectable_parity", int),
        _num(block, "sram_uncorrectable_secded", int),
        _num(block, "dram_uncorrectable", int),
    )
    return corrected, uncorrected


def _tlimit_absolute(node, threshold_path):
    """An absolute threshold from the T.Limit-relative values of R550+ drivers on Hopper.

    Those drivers drop ``gpu_temp_slow_threshold``/``gpu_temp_max_threshold`` and write
    ``gpu_temp_tlimit`` (how far the GPU is below T.Limit) and thresholds relative to
    T.Limit, so the absolute value is ``gpu_temp + gpu_temp_tlimit - threshold``
    (checked against NVML's thresholds on the same H100, see the fixtures README).
    """
    temp = _num(node, "temperature/gpu_temp", int)
    margin = _num(node, "temperature/gpu_temp_tlimit", int)
    relative = _num(node, threshold_path, int)
    if temp is None or margin is None or relative is None:
        return None
    return temp + margin - relative


def _parse_gpu_xml(node, index):
    gpu = empty_gpu()
    gpu["index"] = index
    gpu["name"] = _text(node, "product_name")
    gpu["brand"] = _text(node, "product_brand")
    gpu["architecture"] = _text(node, "product_architecture")
    gpu["uuid"] = _text(node, "uuid")
    gpu["serial"] = _text(node, "serial")
    gpu["pci_bus_id"] = _first(_text(node, "pci/pci_bus_id"), (node.get("id") or None))
    gpu["memory_total_mib"] = _num(node, "fb_memory_usage/total", int)
    gpu["memory_used_mib"] = _num(node, "fb_memory_usage/used", int)
    gpu["memory_free_mib"] = _num(node, "fb_memory_usage/free", int)
    gpu["memory_reserved_mib"] = _num(node, "fb_memory_usage/reserved", int)
    gpu["utilization_gpu_pct"] = _num(node, "utilization/gpu_util", int)
    gpu["utilization_memory_pct"] = _num(node, "utilization/memory_util", int)
    gpu["temperature_c"] = _num(node, "temperature/gpu_temp", int)
    gpu["temperature_slowdown_c"] = _first(
        _num(node, "temperature/gpu_temp_slow_threshold", int),
        _tlimit_absolute(node, "temperature/gpu_temp_slow_tlimit_threshold"),
    )
    gpu["temperature_shutdown_c"] = _first(
        _num(node, "temperature/gpu_temp_max_threshold", int),
        _tlimit_absolute(node, "temperature/gpu_temp_max_tlimit_threshold"),
    )
    gpu["power_draw_w"] = _first(
        _num(node, "power_readings/power_draw"),
        _num(node, "gpu_power_readings/power_draw"),
        _num(node, "gpu_power_readings/instant_power_draw"),
        _num(node, "gpu_power_readings/average_power_draw"),
    )
    gpu["power_limit_w"] = _first(
        _num(node, "power_readings/enforced_power_limit"),
        _num(node, "power_readings/power_limit"),
        _num(node, "gpu_power_readings/current_power_limit"),
    )
    gpu["ecc_mode"] = _enabled(_text(node, "ecc_mode/current_ecc"))
    vol_c, vol_u = _ecc_counts(node.find("ecc_errors/volatile"))
    agg_c, agg_u = _ecc_counts(node.find("ecc_errors/aggregate"))
    gpu["ecc_errors"] = {
        "volatile_corrected": vol_c,
        "volatile_uncorrected": vol_u,
        "aggregate_corrected": agg_c,
        "aggregate_uncorrected": agg_u,
    }
    gpu["retired_pages"] = {
        "single_bit": _num(node, "retired_pages/multiple_single_bit_retirement/retired_count", int),
        "double_bit": _num(node, "retired_pages/double_bit_retirement/retired_count", int),
        "pending": _yes(_text(node, "retired_pages/pending_retirement")),
    }
    rows = node.find("remapped_rows")
    if rows is not None and rows.find("remapped_row_corr") is not None:
        gpu["remapped_rows"] = {
            "correctable": _num(rows, "remapped_row_corr", int),
            "uncorrectable": _num(rows, "remapped_row_unc", int),
            "pending": _yes(_text(rows, "remapped_row_pending")),
            "failure": _yes(_text(rows, "remapped_row_failure")),
        }
    gpu["mig_mode"] = {
        "current": _enabled(_text(node, "mig_mode/current_mig")),
        "pending": _enabled(_text(node, "mig_mode/pending_mig")),
    }
    for mig in node.findall("mig_devices/mig_device"):
        gpu["mig_devices"].append({
            "index": _num(mig, "index", int),
            "gpu_instance_id": _num(mig, "gpu_instance_id", int),
            "compute_instance_id": _num(mig, "compute_instance_id", int),
            "profile": None,
            "uuid": None,
            "multiprocessor_count": _num(mig, "device_attributes/shared/multiprocessor_count", int),
            "memory_total_mib": _num(mig, "fb_memory_usage/total", int),
            "memory_used_mib": _num(mig, "fb_memory_usage/used", int),
        })
    return gpu


def parse_nvidia_smi_xml(text):
    """Parse ``nvidia-smi -q -x`` output into ``{driver_version, cuda_version, gpus}``."""
    try:
        # The DOCTYPE names an external DTD that ElementTree never fetches.
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise GpuHostError("nvidia-smi -q -x printed XML that cannot be parsed: %s" % exc, cause=exc)
    if root.tag != "nvidia_smi_log":
        raise GpuHostError("nvidia-smi -q -x printed <%s>, expected <nvidia_smi_log>" % root.tag)
    return {
        "driver_version": _text(root, "driver_version"),
        "cuda_version": _text(root, "cuda_version"),
        "gpus": [_parse_gpu_xml(node, i) for i, node in enumerate(root.findall("gpu"))],
    }


def parse_nvidia_smi_list(text):
    """Parse ``nvidia-smi -L``: ``{gpu_uuid: {mig_index: (profile, mig_uuid)}}``."""
    result, current = {}, None
    for line in (text or "").splitlines():
        gpu = _GPU_LIST.match(line)
        if gpu:
            current = result.setdefault(gpu.group(3), {})
            continue
        mig = _MIG_LIST.match(line)
        if mig and current is not None:
            current[int(mig.group(2))] = (mig.group(1), mig.group(3))
    return result


def merge_mig_profiles(inventory, listing):
    """Fill each MIG device's ``profile``/``uuid`` from :func:`parse_nvidia_smi_list` output."""
    for gpu in inventory["gpus"]:
        known = listing.get(gpu.get("uuid") or "", {})
        for mig in gpu["mig_devices"]:
            profile = known.get(mig["index"])
            if profile:
                mig["profile"], mig["uuid"] = profile
    return inventory


# --------------------------------------------------------------------------------- NVML


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


def _nvml_gpu(nvml, index):
    handle = nvml.must("nvmlDeviceGetHandleByIndex", index)
    gpu = empty_gpu()
    gpu["index"] = index
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
    mig = nvml.opt("nvmlDeviceGetMigMode", handle)
    if mig is not None:
        enable = nvml.const("NVML_DEVICE_MIG_ENABLE", 1)
        gpu["mig_mode"] = {"current": mig[0] == enable, "pending": mig[1] == enable}
        if gpu["mig_mode"]["current"]:
            gpu["mig_devices"] = _nvml_mig_devices(nvml, handle)
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


def collect_nvidia_smi(run, path="nvidia-smi"):
    """Inventory from ``nvidia-smi -q -x`` (plus ``-L`` for MIG profile names)."""
    rc, out, err = run([path, "-q", "-x"])
    if rc != 0:
        raise GpuHostError("%s -q -x failed (rc=%s): %s" % (path, rc, (err or out or "").strip()))
    inventory = parse_nvidia_smi_xml(out)
    if any(gpu["mig_devices"] for gpu in inventory["gpus"]):
        rc, out, _err = run([path, "-L"])
        if rc == 0:
            merge_mig_profiles(inventory, parse_nvidia_smi_list(out))
    return inventory


# ------------------------------------------------------------------------------- health


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
