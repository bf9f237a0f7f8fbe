# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API calls and wall time of Lightsail automation on a simulated account (no AWS, no network).

1. An unchanged ``state: present`` of an instance with firewall rules and an attached static IP:
   opsforge.infra.lightsail_instance + lightsail_static_ip versus community.aws.lightsail +
   community.aws.lightsail_static_ip (community.aws cannot attach the IP: it only allocates).
2. The opsforge.infra.lightsail inventory over 1000 instances in 4 regions, sequential vs threads.

Each API call is answered by an in-memory account through botocore's ``before-call`` event (the
same hook Stubber uses; requests are still validated against the service model) and counted with
a ``before-parameter-build`` hook. ``--latency`` adds a simulated round trip per call.

Run: ``.venv/bin/python benchmarks/lightsail_calls.py [--latency 0.05] [--runs 5]``
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import time
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "opsforge", "infra")
if not os.path.lexists(_LINK):  # the same symlink tree `make tree` and tests/conftest.py make
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(os.path.join("..", "..", "..", ".."), _LINK)

from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([COLLECTIONS])  # ansible's collection finder: modules and the inventory plugin load as in a play

import boto3  # noqa: E402
import botocore.session  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402
from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402

CREATED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
PAGE_SIZE = 100  # assumed GetInstances page size


class FakeAccount:
    """Just enough of Lightsail's behaviour for the benchmark, per region."""

    def __init__(self, region, latency=0.0):
        self.region = region
        self.latency = latency
        self.instances = {}
        self.static_ips = {}
        self.calls = collections.Counter()

    def add_instance(self, name, ports=None):
        self.instances[name] = {
            "name": name, "arn": "arn:aws:lightsail:%s:123456789012:Instance/%s" % (self.region, name), "createdAt": CREATED,
            "location": {"availabilityZone": self.region + "a", "regionName": self.region}, "resourceType": "Instance",
            "blueprintId": "debian_12", "bundleId": "nano_3_0", "ipAddressType": "dualstack", "sshKeyName": "deploy",
            "publicIpAddress": "203.0.113.%d" % (len(self.instances) % 250 + 1), "privateIpAddress": "172.26.0.10",
            "ipv6Addresses": ["2001:db8::10"], "state": {"code": 16, "name": "running"}, "username": "admin",
            "tags": [{"key": "env", "value": "prod"}], "addOns": [], "metadataOptions": {"httpTokens": "required"},
            "networking": {"ports": [dict(p, accessDirection="inbound") for p in (ports or [])]},
        }

    def client(self):
        client = botocore.session.get_session().create_client(
            "lightsail", region_name=self.region, aws_access_key_id="AKIDBENCH", aws_secret_access_key="bench")
        client.meta.events.register("before-parameter-build.lightsail", self._count)
        client.meta.events.register("before-call.lightsail", self._answer)
        return client

    def _count(self, model, params, context, **kwargs):
        self.calls[model.name] += 1
        context["bench_params"] = dict(params)

    def _answer(self, model, context, **kwargs):
        if self.latency:
            time.sleep(self.latency)
        body = getattr(self, "op_" + model.name)(**context["bench_params"])
        status = 400 if "Error" in body else 200
        return (AWSResponse("https://lightsail.invalid/", status, {}, None), body)

    def _not_found(self, what):
        return {"Error": {"Code": "NotFoundException", "Message": "%s does not exist" % what},
                "ResponseMetadata": {"HTTPStatusCode": 400}}

    def _op(self, op_type, name):
        return {"id": "op", "status": "Succeeded", "operationType": op_type, "resourceName": name}

    def op_GetInstance(self, instanceName, **_):
        if instanceName not in self.instances:
            return self._not_found(instanceName)
        return {"instance": self.instances[instanceName]}

    def op_GetInstances(self, pageToken=None, **_):
        names = sorted(self.instances)
        start = int(pageToken or 0)
        body = {"instances": [self.instances[n] for n in names[start:start + PAGE_SIZE]]}
        if start + PAGE_SIZE < len(names):
            body["nextPageToken"] = str(start + PAGE_SIZE)
        return body

    def op_PutInstancePublicPorts(self, instanceName, portInfos, **_):
        self.instances[instanceName]["networking"]["ports"] = [dict(p, accessDirection="inbound") for p in portInfos]
        return {"operation": self._op("PutInstancePublicPorts", instanceName)}

    def op_GetStaticIp(self, staticIpName, **_):
        if staticIpName not in self.static_ips:
            return self._not_found(staticIpName)
        return {"staticIp": self.static_ips[staticIpName]}

    def op_AllocateStaticIp(self, staticIpName, **_):
        self.static_ips[staticIpName] = {"name": staticIpName, "ipAddress": "198.51.100.7", "isAttached": False, "createdAt": CREATED}
        return {"operations": [self._op("AllocateStaticIp", staticIpName)]}

    def op_AttachStaticIp(self, staticIpName, instanceName, **_):
        self.static_ips[staticIpName].update(isAttached=True, attachedTo=instanceName)
        return {"operations": [self._op("AttachStaticIp", staticIpName)]}


def run_main(main, params, account):
    """Run a module's main() in-process against ``account``; return its result."""
    client = account.client()
    result = {}

    def exit_json(self, **kwargs):
        result.update(kwargs)
        raise SystemExit(0)

    def fail_json(self, msg, **kwargs):
        result.update(kwargs, msg=msg, failed=True)
        raise SystemExit(1)

    args = dict(params, region=account.region, _ansible_check_mode=False, _ansible_diff=False)
    with patch_module_args(args), mock.patch.object(boto3.session.Session, "client", lambda *a, **k: client), \
            mock.patch.object(basic.AnsibleModule, "exit_json", exit_json), mock.patch.object(basic.AnsibleModule, "fail_json", fail_json):
        try:
            main()
        except SystemExit:
            pass
    if result.get("failed"):
        raise RuntimeError(result["msg"])
    return result


PORTS_API = [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrs": ["198.51.100.0/24"], "ipv6Cidrs": []},
             {"fromPort": 443, "toPort": 443, "protocol": "tcp", "cidrs": ["0.0.0.0/0"], "ipv6Cidrs": ["::/0"]}]


def bench_modules(runs, latency):
    from ansible_collections.community.aws.plugins.modules import lightsail as ca_lightsail
    from ansible_collections.community.aws.plugins.modules import lightsail_static_ip as ca_static_ip
    from ansible_collections.opsforge.infra.plugins.modules import lightsail_instance, lightsail_static_ip

    common = {"name": "web-1", "zone": "us-east-1a", "blueprint_id": "debian_12", "bundle_id": "nano_3_0"}
    ours = [
        (lightsail_instance.main, dict(common, key_pair_name="deploy", public_ports=[
            {"from_port": 22, "cidrs": ["198.51.100.0/24"]}, {"from_port": 443}])),
        (lightsail_static_ip.main, {"name": "web-1-ip", "instance_name": "web-1"}),
    ]
    theirs = [
        (ca_lightsail.main, dict(common, key_pair_name="deploy", public_ports=[
            {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidrs": ["198.51.100.0/24"], "ipv6_cidrs": []},
            {"from_port": 443, "to_port": 443, "protocol": "tcp", "cidrs": ["0.0.0.0/0"], "ipv6_cidrs": ["::/0"]}])),
        (ca_static_ip.main, {"name": "web-1-ip"}),
    ]
    rows = []
    for label, tasks in (("opsforge.infra", ours), ("community.aws", theirs)):
        account = FakeAccount("us-east-1", latency)
        account.add_instance("web-1", PORTS_API)
        account.op_AllocateStaticIp("web-1-ip")
        account.op_AttachStaticIp("web-1-ip", "web-1")
        account.calls.clear()
        changed = []
        start = time.perf_counter()
        for _run in range(runs):
            for main, params in tasks:
                changed.append(bool(run_main(main, params, account).get("changed")))
        elapsed = (time.perf_counter() - start) / runs
        per_run = {op: n / runs for op, n in sorted(account.calls.items())}
        rows.append((label, sum(per_run.values()), elapsed, per_run, any(changed)))
    print("Unchanged instance (2 firewall rules) + attached static IP, %d runs, %.0f ms simulated latency" % (runs, latency * 1000))
    print("%-16s %6s %10s %8s  %s" % ("collection", "calls", "wall ms", "changed", "calls per run"))
    for label, calls, elapsed, per_run, changed in rows:
        detail = ", ".join("%s=%g" % kv for kv in per_run.items())
        print("%-16s %6g %10.1f %8s  %s" % (label, calls, elapsed * 1000, changed, detail))
    print("note: community.aws.lightsail rewrites the firewall (a write) on every run; its static IP module cannot attach.")
    print()


def bench_inventory(latency, instances=1000, regions=("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")):
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import inventory_loader
    import tempfile

    accounts = {r: FakeAccount(r, latency) for r in regions}
    for i in range(instances):
        accounts[regions[i % len(regions)]].add_instance("host-%04d" % i)
    print("Inventory: %d instances in %d regions (page size %d), %.0f ms simulated latency" % (instances, len(regions), PAGE_SIZE, latency * 1000))
    print("%-12s %6s %10s %6s" % ("workers", "calls", "wall ms", "hosts"))
    for workers in (1, 8):
        for account in accounts.values():
            account.calls.clear()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bench.lightsail.yml")
            with open(path, "w") as handle:
                handle.write("plugin: opsforge.infra.lightsail\nregions: [%s]\nmax_workers: %d\n"
                             "keyed_groups:\n  - key: region\n    prefix: region\n" % (", ".join(regions), workers))
            plugin = inventory_loader.get("opsforge.infra.lightsail")
            plugin.make_client = lambda account, region: accounts[region].client()
            inventory = InventoryData()
            start = time.perf_counter()
            plugin.parse(inventory, DataLoader(), path, cache=False)
            elapsed = time.perf_counter() - start
        calls = sum(sum(a.calls.values()) for a in accounts.values())
        print("%-12s %6d %10.1f %6d" % (workers, calls, elapsed * 1000, len(inventory.hosts)))
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05, help="simulated seconds per API call (default 0.05)")
    args = parser.parse_args()
    bench_modules(args.runs, args.latency)
    bench_inventory(args.latency)


if __name__ == "__main__":
    main()
