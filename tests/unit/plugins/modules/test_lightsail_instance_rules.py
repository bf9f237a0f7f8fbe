# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_instance: ICMP rule defaults (Lightsail's ping rule) and deleting an instance in transition."""

from __future__ import annotations

import os
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

from lightsail_utils import Stubbed, ops, run_module
from test_lightsail_instance import WEB_PORT, get, instance

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.instance import desired_ports
from ansible_collections.opsforge.infra.plugins.modules import lightsail_instance

# The rule the Lightsail console creates for "Ping (ICMP)": type 8 (echo request), code -1 (any code).
PING = {"fromPort": 8, "toPort": -1, "protocol": "icmp", "cidrs": ["0.0.0.0/0"], "ipv6Cidrs": []}


def _rule(**values):
    rule = {"to_port": None, "protocol": "tcp", "cidrs": None, "ipv6_cidrs": None, "cidr_list_aliases": None}
    rule.update(values)
    return rule


def test_ping_rule_without_to_port_matches_lightsails_own_rule():
    stub = Stubbed()
    get(stub, instance(networking={"ports": [dict(WEB_PORT, accessDirection="inbound"), dict(PING, accessDirection="inbound")]}))
    params = {"name": "web-1", "public_ports": [{"from_port": 443}, {"from_port": 8, "protocol": "icmp"}]}
    result = run_module(lightsail_instance.main, params, stub)
    assert result["changed"] is False and result["actions"] == []
    assert stub.calls == ["GetInstance"]


@settings(max_examples=60, deadline=None)
@given(icmp_type=st.integers(min_value=-1, max_value=255), protocol=st.sampled_from(["icmp", "icmpv6"]))
def test_icmp_without_to_port_means_every_code(icmp_type, protocol):
    present, _absent = desired_ports([_rule(from_port=icmp_type, protocol=protocol)], "dualstack")
    assert (present[0]["fromPort"], present[0]["toPort"]) == (icmp_type, -1)


@settings(max_examples=60, deadline=None)
@given(port=st.integers(min_value=0, max_value=65535), protocol=st.sampled_from(["tcp", "udp"]))
def test_tcp_udp_without_to_port_is_one_port(port, protocol):
    present, _absent = desired_ports([_rule(from_port=port, protocol=protocol)], "dualstack")
    assert (present[0]["fromPort"], present[0]["toPort"]) == (port, port)


def _state(name):
    return {"state": {"code": {"pending": 0, "running": 16, "stopping": 64, "stopped": 80}[name], "name": name}}


def test_absent_waits_for_a_pending_instance_before_deleting():
    stub = Stubbed()
    get(stub, instance(state=_state("pending")["state"]))
    stub.add("GetInstanceState", _state("pending"), {"instanceName": "web-1"})
    stub.add("GetInstanceState", _state("running"), {"instanceName": "web-1"})
    stub.add("DeleteInstance", ops("DeleteInstance", "web-1"), {"instanceName": "web-1"})
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent"}, stub)
    assert result["changed"] is True
    assert result["actions"] == ["wait for instance web-1 to finish pending", "delete instance web-1"]
    assert stub.calls == ["GetInstance", "GetInstanceState", "GetInstanceState", "DeleteInstance"]
    assert stub.slept == [5.0]


def test_absent_waits_for_a_stopping_instance_even_without_wait():
    stub = Stubbed()
    get(stub, instance(state=_state("stopping")["state"]))
    stub.add("GetInstanceState", _state("stopped"), {"instanceName": "web-1"})
    stub.add("DeleteInstance", ops("DeleteInstance", "web-1", status="Started"), {"instanceName": "web-1"})
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent", "wait": False}, stub)
    assert result["actions"] == ["wait for instance web-1 to finish stopping", "delete instance web-1"]
    assert stub.calls[-1] == "DeleteInstance"


def test_absent_in_transition_times_out_clearly_without_deleting():
    stub = Stubbed()
    get(stub, instance(state=_state("stopping")["state"]))
    for _ in range(3):
        stub.add("GetInstanceState", _state("stopping"), {"instanceName": "web-1"})
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent", "wait_timeout": 10}, stub)
    assert result["failed"] is True and result["error_code"] == "Timeout"
    assert "instance web-1 to finish stopping" in result["msg"]
    assert stub.count("DeleteInstance") == 0


def test_absent_check_mode_in_transition_reads_once():
    stub = Stubbed()
    get(stub, instance(state=_state("pending")["state"]))
    result = run_module(lightsail_instance.main, {"name": "web-1", "state": "absent"}, stub, check_mode=True)
    assert result["changed"] is True and stub.calls == ["GetInstance"]
    assert result["actions"] == ["wait for instance web-1 to finish pending", "delete instance web-1"]
