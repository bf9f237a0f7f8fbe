# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``LightsailModule.run_info``: the one call of every Lightsail ``_info`` module."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "modules"))

from lightsail_utils import CREATED, Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.static_ip import static_ip_info

STATIC_IP = {"name": "ip-1", "arn": "arn:aws:lightsail:us-east-1:123456789012:StaticIp/ip-1", "createdAt": CREATED,
             "ipAddress": "203.0.113.5", "isAttached": False, "location": {"availabilityZone": "all", "regionName": "us-east-1"}}


def info_main(key, call):
    """A module whose main() is the skeleton around ``module.run_info(key, call(module))``."""
    def main():
        module = LightsailModule(argument_spec=dict(names=dict(type="list", elements="str")))
        module.run_info(key, call, module)
    return main


def list_static_ips(module):
    return static_ip_info(module.lightsail(), module.params["names"])


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_list_comes_back_under_its_key_unchanged(check_mode):
    stub = Stubbed().add("GetStaticIp", {"staticIp": STATIC_IP}, {"staticIpName": "ip-1"})
    result = run_module(info_main("static_ips", list_static_ips), {"names": ["ip-1"]}, stub, check_mode=check_mode)
    assert result["changed"] is False
    assert [ip["ip_address"] for ip in result["static_ips"]] == ["203.0.113.5"]
    assert set(result) == {"changed", "static_ips"}


def test_without_a_key_the_answer_is_the_result_and_still_unchanged():
    def answer(module):
        return {"buckets": [{"name": "b"}], "bundles": [], "changed": True}

    result = run_module(info_main(None, answer), {}, Stubbed())
    assert result == {"changed": False, "buckets": [{"name": "b"}], "bundles": []}


def test_an_aws_refusal_fails_with_the_family_message_and_code():
    stub = Stubbed().error("GetStaticIp", "AccessDeniedException", "not allowed", params={"staticIpName": "ip-1"})
    result = run_module(info_main("static_ips", list_static_ips), {"names": ["ip-1"]}, stub)
    assert result["failed"] is True
    assert result["msg"] == "Lightsail GetStaticIp failed: AccessDeniedException: not allowed"
    assert result["error_code"] == "AccessDeniedException"
    assert "static_ips" not in result
    assert "botocore" in result["exception"]  # the SDK's own traceback, for -vvv


def test_our_own_error_fails_with_its_message_and_no_traceback():
    def refuse(module):
        raise LightsailError("cannot parse time 'soon'", code="Invalid")

    result = run_module(info_main("static_ips", refuse), {}, Stubbed())
    assert result == {"failed": True, "msg": "cannot parse time 'soon'", "error_code": "Invalid"}


def test_a_bug_is_not_swallowed():
    def broken(module):
        raise KeyError("names")

    with pytest.raises(KeyError):
        run_module(info_main("static_ips", broken), {}, Stubbed())
