# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/lightsail_snapshot_rotation.yml run by ansible-playbook end to end.

The modules run as real Ansible modules (AnsiballZ, argument spec, ``module_defaults`` on the
action group, amazon.aws credentials and ``endpoint_url``) against a small fake of the Lightsail
JSON API on 127.0.0.1 that keeps instance snapshots in memory. No AWS account is needed and no
traffic leaves the machine.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, "playbooks", "lightsail_snapshot_rotation.yml")
PREFIX = "Lightsail_20161128."


class FakeLightsail:
    """Instance snapshots in memory, the operations the rotation playbook calls."""

    def __init__(self):
        self.snapshots = {}
        self.calls = []
        self.clock = 1_767_236_400  # 2026-01-01T03:00:00Z

    def operation(self, op_type, name):
        return {"id": "op-%d" % len(self.calls), "resourceName": name, "resourceType": "InstanceSnapshot",
                "operationType": op_type, "status": "Succeeded", "isTerminal": True}

    def handle(self, op, body):
        self.calls.append(op)
        if op == "GetInstanceSnapshot":
            snapshot = self.snapshots.get(body["instanceSnapshotName"])
            if snapshot is None:
                return 400, {"__type": "NotFoundException", "message": "snapshot does not exist"}
            return 200, {"instanceSnapshot": snapshot}
        if op == "GetInstanceSnapshots":
            return 200, {"instanceSnapshots": list(self.snapshots.values())}
        if op == "CreateInstanceSnapshot":
            name = body["instanceSnapshotName"]
            self.clock += 60
            self.snapshots[name] = {"name": name, "fromInstanceName": body["instanceName"], "state": "available",
                                    "createdAt": self.clock, "resourceType": "InstanceSnapshot", "tags": body.get("tags", []),
                                    "location": {"availabilityZone": "all", "regionName": "eu-west-1"}}
            return 200, {"operations": [self.operation("CreateInstanceSnapshot", name)]}
        if op == "DeleteInstanceSnapshot":
            self.snapshots.pop(body["instanceSnapshotName"])
            return 200, {"operations": [self.operation("DeleteInstanceSnapshot", body["instanceSnapshotName"])]}
        return 400, {"__type": "InvalidInputException", "message": "fake does not implement %s" % op}

    def seed(self, name, instance, created):
        self.snapshots[name] = {"name": name, "fromInstanceName": instance, "state": "available", "createdAt": created,
                                "resourceType": "InstanceSnapshot", "tags": [],
                                "location": {"availabilityZone": "all", "regionName": "eu-west-1"}}


@pytest.fixture
def fake_api():
    fake = FakeLightsail()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server API)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            op = (self.headers.get("X-Amz-Target") or "").replace(PREFIX, "")
            status, payload = fake.handle(op, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = "http://127.0.0.1:%d" % server.server_address[1]
    yield fake
    server.shutdown()
    server.server_close()


def run_playbook(fake, extra_vars, check=False):
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID="AKIDFAKEFAKEFAKE", AWS_SECRET_ACCESS_KEY="fake", AWS_URL=fake.url,
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        env.pop(key, None)
    extra = dict(extra_vars, ansible_python_interpreter=sys.executable)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", PLAYBOOK, "-e", json.dumps(extra)]
    if check:
        cmd.append("--check")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    return {task["task"]["name"]: task["hosts"]["localhost"] for play in data["plays"] for task in play["tasks"]}


def test_rotation_playbook_snapshots_and_keeps_the_newest(fake_api):
    for day in range(1, 5):
        fake_api.seed("rotation-web-1-2025121%d-030000" % day, "web-1", 1_765_000_000 + day * 86400)
    fake_api.seed("web-1-by-hand", "web-1", 1_700_000_000)  # another name: never rotated
    fake_api.seed("rotation-web-2-20251211-030000", "web-2", 1_765_086_400)  # another instance: not listed
    params = {"lightsail_rotation_region": "eu-west-1", "lightsail_rotation_instances": ["web-1"], "lightsail_rotation_keep": 3}

    tasks = run_playbook(fake_api, params, check=True)
    would = tasks["What was deleted (or would be, in check mode)"]["msg"]
    assert would == ["rotation-web-1-20251211-030000"]  # 4 of them, keep 3: the new one is not taken in check mode
    assert "CreateInstanceSnapshot" not in fake_api.calls and "DeleteInstanceSnapshot" not in fake_api.calls
    assert len(fake_api.snapshots) == 6

    tasks = run_playbook(fake_api, params)
    assert tasks["Snapshot each instance"]["results"][0]["changed"] is True
    deleted = tasks["What was deleted (or would be, in check mode)"]["msg"]
    assert deleted == ["rotation-web-1-20251212-030000", "rotation-web-1-20251211-030000"]
    left = sorted(n for n, s in fake_api.snapshots.items() if s["fromInstanceName"] == "web-1")
    assert len(left) == 4 and "web-1-by-hand" in left
    assert [n for n in left if n.startswith("rotation-web-1-2026")], left  # the new snapshot, named with today's stamp
    assert "rotation-web-2-20251211-030000" in fake_api.snapshots
    new = [s for s in fake_api.snapshots.values() if s["name"].startswith("rotation-web-1-2026")][0]
    assert new["tags"] == [{"key": "managed-by", "value": "opsforge-rotation"}]
