# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""GPU inventory from ``nvidia-smi -q -x`` (the XML schemas from R510 to R550+), plus
``nvidia-smi -L`` for the MIG profile names. ``nvidia-smi`` is run through a
``run(argv) -> (rc, stdout, stderr)`` callable."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host.errors import GpuHostError
from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host.record import empty_gpu

_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")
_MIG_LIST = re.compile(r"^\s*MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(\S+)\)")
_GPU_LIST = re.compile(r"^GPU\s+(\d+):\s*(.*?)\s*\(UUID:\s*(\S+)\)")


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


def _xml_identity(gpu, node):
    """Model, ids, memory and utilisation."""
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


def _xml_thermal_power(gpu, node):
    """Temperature and its thresholds (absolute or T.Limit-relative), power draw and limit."""
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


def _xml_memory_health(gpu, node):
    """ECC mode and counters, retired pages, remapped rows."""
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


def _xml_mig(gpu, node):
    """MIG mode and instances (profile and UUID come from ``nvidia-smi -L``)."""
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


def _parse_gpu_xml(node, index):
    gpu = empty_gpu()
    gpu["index"] = index
    for part in (_xml_identity, _xml_thermal_power, _xml_memory_health, _xml_mig):
        part(gpu, node)
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
