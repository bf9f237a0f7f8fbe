# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nvidia_gpu_facts against a capture from a real H100 (driver 580): the NVML calls are
replayed in the order they were made, and nvidia-smi's XML from the same host is parsed.
See tests/unit/fixtures/nvidia_smi/README.md and capture.py."""

from __future__ import annotations

import json
import os
import types

import pynvml
import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._gpu_host import facts as gpu_facts

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "nvidia_smi")
# Readings that move between two samples: the two collectors ran a second apart.
LIVE = {"power_draw_w", "temperature_c", "utilization_gpu_pct", "utilization_memory_pct", "memory_used_mib", "memory_free_mib"}


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle) if name.endswith(".json") else handle.read()


def revive(value):
    if isinstance(value, dict):
        return types.SimpleNamespace(**{k: revive(v) for k, v in value.items() if k != "__struct__"})
    if isinstance(value, list):
        return [revive(v) for v in value]
    return value


class Replay:
    """Stands in for ``pynvml``: each ``nvml*`` call must be the next one recorded, with
    the same arguments; it returns the recorded result or raises the recorded error."""

    def __init__(self, calls):
        self.pending = list(calls)

    def __getattr__(self, name):
        if not name.startswith("nvml") or not callable(getattr(pynvml, name, None)):
            return getattr(pynvml, name)

        def call(*args):
            assert self.pending, "%s%r called after the capture ended" % (name, args)
            entry = self.pending.pop(0)
            assert (name, list(args)) == (entry["func"], entry["args"]), "the collector's calls differ from the capture"
            if "error" in entry:
                raise pynvml.NVMLError(entry["error"])
            return revive(entry["result"])

        return call


@pytest.fixture
def capture():
    return load("h100_sxm_80gb.nvml.json"), load("h100_sxm_80gb.facts.json")


def test_nvml_replay_gives_what_the_host_gave(capture):
    recording, facts = capture
    replay = Replay(recording["calls"])
    assert gpu_facts.collect_nvml(replay) == facts["nvml"]
    assert replay.pending == []


def test_nvidia_smi_xml_gives_what_the_host_gave(capture):
    _recording, facts = capture
    parsed = gpu_facts.parse_nvidia_smi_xml(load("h100_sxm_80gb.xml"))
    assert parsed == facts["nvidia_smi"]
    (gpu,) = parsed["gpus"]
    assert (parsed["driver_version"], parsed["cuda_version"]) == ("580.159.04", "13.0")
    assert (gpu["name"], gpu["architecture"], gpu["brand"]) == ("NVIDIA H100 80GB HBM3", "Hopper", "NVIDIA")
    # R580 keeps the driver's reservation out of "used" and writes thresholds relative to T.Limit
    assert (gpu["memory_total_mib"], gpu["memory_reserved_mib"]) == (81559, 480)
    assert (gpu["temperature_slowdown_c"], gpu["temperature_shutdown_c"]) == (89, 95)
    assert gpu["power_limit_w"] == 700.0


def test_both_sources_agree_on_the_same_board(capture):
    _recording, facts = capture
    nvml, smi = facts["nvml"], facts["nvidia_smi"]
    assert (nvml["driver_version"], nvml["cuda_version"]) == (smi["driver_version"], smi["cuda_version"])
    for a, b in zip(nvml["gpus"], smi["gpus"], strict=True):
        stable = sorted(set(a) - LIVE)
        assert {k: a[k] for k in stable} == {k: b[k] for k in stable}
        assert a["memory_total_mib"] == a["memory_used_mib"] + a["memory_free_mib"] + a["memory_reserved_mib"]


def test_a_healthy_h100_is_healthy_from_either_source(capture):
    recording, _facts = capture
    for facts in (gpu_facts.gather(source="nvml", nvml_lib=Replay(recording["calls"])),
                  gpu_facts.gather(source="nvidia_smi", run=lambda argv: (0, load("h100_sxm_80gb.xml"), ""))):
        assert facts["health"] == "healthy"
        assert facts["gpus"][0]["health"] == {"status": "healthy", "reasons": []}
