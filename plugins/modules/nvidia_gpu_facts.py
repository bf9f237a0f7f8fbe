#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: nvidia_gpu_facts
short_description: Gather NVIDIA GPU inventory and health facts on a GPU host
version_added: 0.1.0
description:
  - Reads the GPUs of the managed host from NVML (the C(nvidia-ml-py) Python package) when it
    is installed and the driver is loaded, else from C(nvidia-smi -q -x).
  - Reports model, UUID, memory, utilisation, temperature, power, ECC error counters, retired
    pages, row remapping, MIG mode and MIG instances, driver and CUDA versions.
  - Gives each GPU a health verdict (V(healthy), V(warning) or V(critical)) with the reasons,
    and the host the worst verdict of its GPUs.
  - Changes nothing on the host.
author:
  - opsforge.infra contributors (@opsforge)
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: The module changes nothing, so there is nothing to diff.
  idempotent:
    support: full
    description: When run twice in a row with the same arguments, the second run reports no change.
  facts:
    support: full
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
options:
  source:
    description:
      - Where to read from. V(auto) tries NVML first and falls back to C(nvidia-smi).
    type: str
    choices: [auto, nvml, nvidia_smi]
    default: auto
  nvidia_smi_path:
    description:
      - Path or name of the C(nvidia-smi) binary, looked up in E(PATH) when not absolute.
    type: str
    default: nvidia-smi
  min_driver_version:
    description:
      - A driver older than this makes every GPU a V(warning).
      - The default is the first driver of CUDA 12 on Linux. Set to an empty string to skip the check.
    type: str
    default: 525.60.13
  max_retired_pages:
    description:
      - Retired memory pages (single- plus double-bit) at which a GPU is V(critical).
    type: int
    default: 60
  max_temperature:
    description:
      - GPU temperature in Celsius at which a GPU is a V(warning).
      - By default the GPU's own slowdown threshold, when it reports one.
    type: int
requirements:
  - An NVIDIA driver on the managed host.
  - C(nvidia-ml-py) on the managed host for the NVML source (optional with O(source=auto)).
notes:
  - MIG profile names come from NVML, or from C(nvidia-smi -L) with the C(nvidia-smi) source.
"""

EXAMPLES = r"""
- name: Gather GPU facts
  opsforge.infra.nvidia_gpu_facts:

- name: Fail the play on a GPU that needs service
  ansible.builtin.assert:
    that: ansible_facts.nvidia_gpu.health != 'critical'
    fail_msg: "{{ ansible_facts.nvidia_gpu.gpus | map(attribute='health') | list }}"

- name: Use nvidia-smi only, with a stricter driver floor
  opsforge.infra.nvidia_gpu_facts:
    source: nvidia_smi
    min_driver_version: "550.54.15"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    nvidia_gpu:
      description: GPU inventory and health of the host.
      returned: always
      type: dict
      contains:
        source:
          description: Where the facts came from, V(nvml) or V(nvidia_smi).
          type: str
          sample: nvidia_smi
        nvml_error:
          description: Why NVML was not used when O(source=auto) fell back to C(nvidia-smi).
          type: str
          sample: "NVML nvmlInit failed: Driver Not Loaded"
        driver_version:
          description: NVIDIA driver version.
          type: str
          sample: "535.129.03"
        cuda_version:
          description: Highest CUDA version the driver supports.
          type: str
          sample: "12.2"
        gpu_count:
          description: Number of GPUs.
          type: int
          sample: 2
        mig_enabled:
          description: Whether MIG is enabled on at least one GPU.
          type: bool
        health:
          description: Worst health status of the GPUs, V(healthy), V(warning) or V(critical).
          type: str
          sample: healthy
        gpus:
          description: One entry per GPU. Unknown or unsupported values are null.
          type: list
          elements: dict
          contains:
            index: {description: GPU index as the driver orders them., type: int}
            name: {description: Product name., type: str, sample: NVIDIA A100-PCIE-40GB}
            brand: {description: Product brand as nvidia-smi names it., type: str, sample: NVIDIA}
            architecture: {description: Architecture as nvidia-smi names it., type: str, sample: Hopper}
            uuid: {description: GPU UUID., type: str, sample: GPU-956348bc-d43d-23ed-53d4-857749fa2b67}
            serial: {description: Board serial number., type: str}
            pci_bus_id: {description: PCI bus id., type: str, sample: "00000000:21:00.0"}
            memory_total_mib: {description: Framebuffer memory in MiB., type: int}
            memory_used_mib: {description: Used framebuffer memory in MiB., type: int}
            memory_free_mib: {description: Free framebuffer memory in MiB., type: int}
            memory_reserved_mib:
              description:
                - Framebuffer memory the driver reserves, in MiB (newer drivers), not counted as used.
              type: int
            utilization_gpu_pct: {description: GPU utilisation in percent., type: int}
            utilization_memory_pct: {description: Memory controller utilisation in percent., type: int}
            temperature_c: {description: GPU temperature in Celsius., type: int}
            temperature_slowdown_c: {description: Slowdown threshold in Celsius., type: int}
            temperature_shutdown_c: {description: Shutdown threshold in Celsius., type: int}
            power_draw_w: {description: Power draw in watts., type: float}
            power_limit_w: {description: Enforced power limit in watts., type: float}
            ecc_mode: {description: Whether ECC is enabled (null when the board has none)., type: bool}
            ecc_errors:
              description: ECC error counters, C(volatile_*) since the driver loaded, C(aggregate_*) over the board's life.
              type: dict
              sample: {volatile_corrected: 0, volatile_uncorrected: 0, aggregate_corrected: 3, aggregate_uncorrected: 0}
            retired_pages:
              description: Retired page counts (C(single_bit), C(double_bit)) and whether a retirement is C(pending).
              type: dict
              sample: {single_bit: 0, double_bit: 2, pending: true}
            remapped_rows:
              description: Row remapping (Ampere and later), null on older boards.
              type: dict
              sample: {correctable: 0, uncorrectable: 0, pending: false, failure: false}
            mig_mode:
              description: MIG mode C(current) and C(pending) (null when the GPU has no MIG).
              type: dict
              sample: {current: true, pending: true}
            mig_devices:
              description: MIG instances of the GPU.
              type: list
              elements: dict
              sample:
                - {index: 0, gpu_instance_id: 1, compute_instance_id: 0, profile: 4g.20gb,
                   uuid: MIG-ce2e805f-ce8e-5cf7-8132-176167d87d24, multiprocessor_count: 42,
                   memory_total_mib: 19968, memory_used_mib: 37}
            health:
              description: Health status and the reasons for it.
              type: dict
              sample: {status: warning, reasons: ["driver 510.47.03 is older than 525.60.13"]}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host import facts as gpu_facts  # noqa: E402

PYNVML = LazyLibrary("pynvml", pip_name="nvidia-ml-py")


def argument_spec():
    return dict(
        source=dict(type="str", default="auto", choices=["auto", "nvml", "nvidia_smi"]),
        nvidia_smi_path=dict(type="str", default="nvidia-smi"),
        min_driver_version=dict(type="str", default=gpu_facts.DEFAULT_MIN_DRIVER),
        max_retired_pages=dict(type="int", default=gpu_facts.DEFAULT_MAX_RETIRED_PAGES),
        max_temperature=dict(type="int"),
    )


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(gpu_facts.host_facts, module, PYNVML)


if __name__ == "__main__":
    main()
