# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nvidia_gpu_facts: nvidia-smi XML captured from real boards (see fixtures README) and
NVML through the real pynvml module with its C-calling functions replaced."""

from __future__ import annotations

import collections
import json
import os

import pynvml
import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary
from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host import facts as gpu_facts
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.modules import nvidia_gpu_facts

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "nvidia_smi")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def smi_runner(xml_name, list_name=None, calls=None):
    def run(argv):
        if calls is not None:
            calls.append(list(argv))
        if argv[1:] == ["-q", "-x"]:
            return 0, fixture(xml_name), ""
        if argv[1:] == ["-L"] and list_name:
            return 0, fixture(list_name), ""
        return 1, "", "unexpected call %r" % (argv,)
    return run


# ----------------------------------------------------------------------------- XML parsing


def test_a100_mig_inventory_from_xml():
    calls = []
    facts = gpu_facts.gather(source="nvidia_smi", run=smi_runner("a100_pcie_40gb_mig.xml", "a100_pcie_40gb_mig.list.txt", calls))
    assert calls == [["nvidia-smi", "-q", "-x"], ["nvidia-smi", "-L"]]
    assert facts["source"] == "nvidia_smi"
    assert facts["driver_version"] == "535.129.03"
    assert facts["cuda_version"] == "12.2"
    assert facts["gpu_count"] == 2
    assert facts["mig_enabled"] is True
    plain, mig = facts["gpus"]
    assert plain["mig_mode"] == {"current": None, "pending": None}
    assert plain["mig_devices"] == []
    assert mig["name"] == "NVIDIA A100-PCIE-40GB"
    assert mig["uuid"] == "GPU-956348bc-d43d-23ed-53d4-857749fa2b67"
    assert mig["pci_bus_id"] == "00000000:21:00.0"
    assert mig["mig_mode"] == {"current": True, "pending": True}
    assert [(m["index"], m["gpu_instance_id"], m["profile"], m["memory_total_mib"]) for m in mig["mig_devices"]] == [
        (0, 1, "4g.20gb", 19968), (1, 5, "1g.5gb", 9856), (2, 13, "1g.5gb", 4864)]
    assert mig["mig_devices"][0]["uuid"] == "MIG-ce2e805f-ce8e-5cf7-8132-176167d87d24"
    assert mig["mig_devices"][0]["multiprocessor_count"] == 42
    assert facts["health"] == "healthy"
    assert mig["health"] == {"status": "healthy", "reasons": []}


def test_consumer_card_without_ecc():
    facts = gpu_facts.gather(source="nvidia_smi", run=smi_runner("rtx_2080_windows.xml"), min_driver_version=None)
    (gpu,) = facts["gpus"]
    assert gpu["name"] == "NVIDIA GeForce RTX 2080"
    assert gpu["brand"] == "GeForce"
    assert (gpu["memory_total_mib"], gpu["memory_used_mib"], gpu["memory_free_mib"]) == (8192, 862, 7147)
    assert (gpu["utilization_gpu_pct"], gpu["utilization_memory_pct"]) == (2, 7)
    assert (gpu["temperature_c"], gpu["temperature_slowdown_c"], gpu["temperature_shutdown_c"]) == (29, 97, 100)
    assert (gpu["power_draw_w"], gpu["power_limit_w"]) == (14.5, 275.0)
    assert gpu["ecc_mode"] is None
    assert gpu["ecc_errors"] == dict.fromkeys(("volatile_corrected", "volatile_uncorrected", "aggregate_corrected", "aggregate_uncorrected"))
    assert gpu["remapped_rows"] is None
    assert gpu["health"]["status"] == "healthy"


def test_old_driver_is_a_warning_with_its_reason():
    facts = gpu_facts.gather(source="nvidia_smi", run=smi_runner("tesla_p100_driver510.xml"))
    (gpu,) = facts["gpus"]
    assert gpu["ecc_errors"] == {"volatile_corrected": 0, "volatile_uncorrected": 0, "aggregate_corrected": 3, "aggregate_uncorrected": 0}
    assert gpu["retired_pages"] == {"single_bit": 0, "double_bit": 0, "pending": False}
    assert facts["health"] == "warning"
    assert gpu["health"]["reasons"] == ["driver 510.47.03 is older than 525.60.13"]
    # the same board is healthy when the floor is lowered
    relaxed = gpu_facts.gather(source="nvidia_smi", run=smi_runner("tesla_p100_driver510.xml"), min_driver_version="470.57.02")
    assert relaxed["health"] == "healthy"


def test_ecc_and_retired_page_faults_are_reported():
    facts = gpu_facts.gather(source="nvidia_smi", run=smi_runner("tesla_p100_ecc_faults.xml"))
    (gpu,) = facts["gpus"]
    assert gpu["ecc_errors"]["aggregate_uncorrected"] == 2
    assert gpu["retired_pages"] == {"single_bit": 0, "double_bit": 2, "pending": True}
    reasons = gpu["health"]["reasons"]
    assert gpu["health"]["status"] == "warning"
    assert "2 uncorrectable ECC errors over the board's lifetime" in reasons
    assert "2 memory pages retired after double-bit ECC errors" in reasons
    assert "memory page retirement pending: reset the GPU or reboot to apply it" in reasons
    assert "temperature 84 C at or above 82 C" in reasons
    # enough retired pages make it critical
    critical = gpu_facts.gather(source="nvidia_smi", run=smi_runner("tesla_p100_ecc_faults.xml"), max_retired_pages=2)
    assert critical["health"] == "critical"
    assert critical["gpus"][0]["health"]["reasons"][0] == "2 retired memory pages (limit 2): replace the board"


def test_broken_xml_and_failing_binary_give_clear_errors():
    with pytest.raises(K8sError, match="cannot be parsed"):
        gpu_facts.gather(source="nvidia_smi", run=lambda argv: (0, "<nvidia_smi_log><gpu>", ""))
    with pytest.raises(K8sError, match=r"nvidia-smi -q -x failed \(rc=9\): NVIDIA-SMI has failed"):
        gpu_facts.gather(source="nvidia_smi", run=lambda argv: (9, "", "NVIDIA-SMI has failed because it couldn't communicate"))


# ---------------------------------------------------------------------------------- NVML

Memory = collections.namedtuple("Memory", "total free used")
Util = collections.namedtuple("Util", "gpu memory")
Pci = collections.namedtuple("Pci", "busId")
MIB = 1024 * 1024


class FakeNvml:
    """Function-level fakes of the NVML calls, returning what NVML returns (bytes names,
    milliwatts, bytes of memory, NVMLError for what the board does not support)."""

    def __init__(self, monkeypatch, mig=True, init_error=None):
        self.calls = []
        board = "GPU-handle-0"
        slots = {0: "MIG-handle-0", 2: "MIG-handle-2"} if mig else {}

        def record(name, result):
            def func(*args):
                self.calls.append(name)
                value = result(*args) if callable(result) else result
                if isinstance(value, Exception):
                    raise value
                return value
            monkeypatch.setattr(pynvml, name, func)

        def not_supported(*_args):
            return pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)

        record("nvmlInit", init_error if init_error else None)
        record("nvmlShutdown", None)
        record("nvmlSystemGetDriverVersion", "550.54.15")
        record("nvmlSystemGetCudaDriverVersion", 12040)
        record("nvmlDeviceGetCount", 1)
        record("nvmlDeviceGetHandleByIndex", lambda i: board)
        record("nvmlDeviceGetName", lambda h: b"NVIDIA H100 80GB HBM3" if h == board else b"NVIDIA H100 80GB HBM3 MIG 3g.40gb")
        record("nvmlDeviceGetUUID", lambda h: "GPU-5c89-h100" if h == board else "MIG-%s" % h)
        record("nvmlDeviceGetSerial", "1654922000000")
        record("nvmlDeviceGetPciInfo", Pci(b"00000000:19:00.0"))
        record("nvmlDeviceGetArchitecture", pynvml.NVML_DEVICE_ARCH_HOPPER)
        record("nvmlDeviceGetBrand", pynvml.NVML_BRAND_NVIDIA)
        # a driver older than the v2 structure: the versioned call is not supported
        record("nvmlDeviceGetMemoryInfo", lambda h, version=None: not_supported() if version else Memory(81559 * MIB, 80000 * MIB, 1559 * MIB) if h == board
               else Memory(40448 * MIB, 40400 * MIB, 48 * MIB))
        record("nvmlDeviceGetUtilizationRates", not_supported if mig else Util(37, 12))
        record("nvmlDeviceGetTemperature", 41)
        thresholds = {pynvml.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN: 87, pynvml.NVML_TEMPERATURE_THRESHOLD_SHUTDOWN: 92}
        record("nvmlDeviceGetTemperatureThreshold", lambda h, kind: thresholds[kind])
        record("nvmlDeviceGetPowerUsage", 71234)
        record("nvmlDeviceGetEnforcedPowerLimit", 700000)
        record("nvmlDeviceGetEccMode", [1, 1])
        record("nvmlDeviceGetTotalEccErrors", lambda h, kind, counter: 5 if (kind, counter) == (
            pynvml.NVML_MEMORY_ERROR_TYPE_CORRECTED, pynvml.NVML_AGGREGATE_ECC) else 0)
        record("nvmlDeviceGetRetiredPages", not_supported)  # Hopper retires rows, not pages
        record("nvmlDeviceGetRetiredPagesPendingStatus", not_supported)
        record("nvmlDeviceGetRemappedRows", (0, 0, 0, 0))
        record("nvmlDeviceGetMigMode", [1, 1] if mig else [0, 0])
        record("nvmlDeviceGetMaxMigDeviceCount", 7)
        record("nvmlDeviceGetMigDeviceHandleByIndex",
               lambda h, i: slots[i] if i in slots else pynvml.NVMLError(pynvml.NVML_ERROR_NOT_FOUND))
        record("nvmlDeviceGetGpuInstanceId", lambda h: {"MIG-handle-0": 1, "MIG-handle-2": 2}[h])
        record("nvmlDeviceGetComputeInstanceId", 0)


def test_nvml_inventory_with_mig(monkeypatch):
    fake = FakeNvml(monkeypatch)
    facts = gpu_facts.gather(source="auto", nvml_lib=pynvml, run=None)
    assert facts["source"] == "nvml"
    assert (facts["driver_version"], facts["cuda_version"]) == ("550.54.15", "12.4")
    (gpu,) = facts["gpus"]
    assert gpu["name"] == "NVIDIA H100 80GB HBM3"
    assert gpu["pci_bus_id"] == "00000000:19:00.0"
    assert (gpu["memory_total_mib"], gpu["memory_used_mib"], gpu["memory_reserved_mib"]) == (81559, 1559, None)
    assert (gpu["architecture"], gpu["brand"]) == ("Hopper", "NVIDIA")
    assert gpu["utilization_gpu_pct"] is None  # NVML_ERROR_NOT_SUPPORTED in MIG mode
    assert (gpu["temperature_c"], gpu["temperature_slowdown_c"], gpu["temperature_shutdown_c"]) == (41, 87, 92)
    assert (gpu["power_draw_w"], gpu["power_limit_w"]) == (71.23, 700.0)
    assert gpu["ecc_errors"]["aggregate_corrected"] == 5
    assert gpu["retired_pages"] == {"single_bit": None, "double_bit": None, "pending": None}
    assert gpu["remapped_rows"] == {"correctable": 0, "uncorrectable": 0, "pending": False, "failure": False}
    assert [(m["gpu_instance_id"], m["profile"], m["uuid"], m["memory_total_mib"]) for m in gpu["mig_devices"]] == [
        (1, "3g.40gb", "MIG-MIG-handle-0", 40448), (2, "3g.40gb", "MIG-MIG-handle-2", 40448)]
    assert facts["health"] == "healthy"
    assert fake.calls[0] == "nvmlInit" and fake.calls[-1] == "nvmlShutdown"


def test_nvml_row_remap_failure_is_critical(monkeypatch):
    FakeNvml(monkeypatch, mig=False)
    monkeypatch.setattr(pynvml, "nvmlDeviceGetRemappedRows", lambda h: (1, 3, 0, 1))
    facts = gpu_facts.gather(source="nvml", nvml_lib=pynvml)
    gpu = facts["gpus"][0]
    assert gpu["utilization_gpu_pct"] == 37
    assert facts["health"] == "critical"
    assert gpu["health"]["reasons"] == ["row remapping failed: the board needs service", "3 rows remapped after uncorrectable errors"]


def test_auto_falls_back_to_nvidia_smi_when_nvml_cannot_start(monkeypatch):
    FakeNvml(monkeypatch, init_error=pynvml.NVMLError(pynvml.NVML_ERROR_DRIVER_NOT_LOADED))
    facts = gpu_facts.gather(source="auto", nvml_lib=pynvml, run=smi_runner("rtx_2080_windows.xml"))
    assert facts["source"] == "nvidia_smi"
    assert facts["nvml_error"] == "NVML nvmlInit failed: Driver Not Loaded"
    with pytest.raises(K8sError, match="NVML nvmlInit failed: Driver Not Loaded"):
        gpu_facts.gather(source="nvml", nvml_lib=pynvml, run=smi_runner("rtx_2080_windows.xml"))


# -------------------------------------------------------------------------------- module


def run_module(args, monkeypatch, bin_path="/usr/bin/nvidia-smi", outputs=None):
    result = {}

    def exit_json(self, **kwargs):
        result.update(kwargs)
        raise SystemExit(0)

    def fail_json(self, **kwargs):
        result.update(kwargs, failed=True)
        raise SystemExit(1)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: bin_path)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: outputs(argv))
    with patch_module_args(args), pytest.raises(SystemExit):
        nvidia_gpu_facts.main()
    return result


def test_module_returns_facts_in_check_mode(monkeypatch):
    monkeypatch.setattr(nvidia_gpu_facts, "PYNVML", type("Missing", (), {"available": False})())
    result = run_module({"source": "auto", "_ansible_check_mode": True}, monkeypatch,
                        outputs=smi_runner("a100_pcie_40gb_mig.xml", "a100_pcie_40gb_mig.list.txt"))
    assert result["changed"] is False
    facts = result["ansible_facts"]["nvidia_gpu"]
    assert facts["gpu_count"] == 2 and facts["mig_enabled"] is True
    json.dumps(result)  # everything returned is JSON-safe


def test_module_fails_clearly_without_any_source(monkeypatch):
    monkeypatch.setattr(nvidia_gpu_facts, "PYNVML", type("Missing", (), {"available": False})())
    result = run_module({}, monkeypatch, bin_path=None, outputs=None)
    assert result["failed"] is True
    assert result["msg"] == "nvidia-smi is not available on this host"


def test_module_source_nvml_reads_nvml_and_never_runs_nvidia_smi(monkeypatch):
    FakeNvml(monkeypatch, mig=False)

    def no_smi(argv):
        raise AssertionError("nvidia-smi must not run with source=nvml: %r" % (argv,))
    result = run_module({"source": "nvml", "max_retired_pages": 0}, monkeypatch, outputs=no_smi)
    facts = result["ansible_facts"]["nvidia_gpu"]
    assert result["changed"] is False and facts["source"] == "nvml" and facts["gpu_count"] == 1


def test_module_source_nvml_without_the_library_names_the_package(monkeypatch):
    monkeypatch.setattr(nvidia_gpu_facts, "PYNVML", LazyLibrary("no_such_pynvml_here", pip_name="nvidia-ml-py"))
    result = run_module({"source": "nvml"}, monkeypatch)
    assert result["failed"] is True and "nvidia-ml-py" in result["msg"]


def test_module_runs_the_binary_it_found_with_the_driver_arguments(monkeypatch):
    monkeypatch.setattr(nvidia_gpu_facts, "PYNVML", type("Missing", (), {"available": False})())
    calls = []
    result = run_module({"source": "nvidia_smi", "nvidia_smi_path": "nvidia-smi"}, monkeypatch, bin_path="/opt/nv/bin/nvidia-smi",
                        outputs=smi_runner("a100_pcie_40gb_mig.xml", "a100_pcie_40gb_mig.list.txt", calls=calls))
    assert result["ansible_facts"]["nvidia_gpu"]["source"] == "nvidia_smi"
    assert calls and all(argv[0] == "/opt/nv/bin/nvidia-smi" for argv in calls)
    assert ["/opt/nv/bin/nvidia-smi", "-q", "-x"] in calls
