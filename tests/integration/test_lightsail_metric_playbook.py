# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_metric_info run by ansible-playbook (AnsiballZ, module_defaults on the action group) against
a small Lightsail JSON-protocol endpoint on 127.0.0.1: throttled once, then a known series, drawn to a PNG.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.chart import png_size

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from lab import run_playbook  # noqa: E402  (tests/lab.py)

T0 = 1_793_527_200  # 2026-11-01T10:00:00Z
SERIES = [(T0 + 300 * i, avg, mx) for i, (avg, mx) in enumerate([(3.0, 5.0), (7.0, 11.0), (12.0, 30.0), (40.0, 88.0), (22.0, 35.0)])]


class FakeLightsail(BaseHTTPRequestHandler):
    """Answers ``X-Amz-Target: Lightsail_20161128.<Operation>`` from a queue of (status, body)."""

    queue = []
    requests = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        operation = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
        type(self).requests.append((operation, body, self.headers.get("Authorization", "")))
        status, answer = type(self).queue.pop(0) if type(self).queue else (500, {"__type": "InternalFailure", "message": "queue empty"})
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # keep pytest output clean
        pass


def _free_port(first=21600, last=21699):
    for port in range(first, last + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in %d-%d" % (first, last))


@contextlib.contextmanager
def fake_lightsail():
    """Serve :class:`FakeLightsail` on 127.0.0.1; yields the endpoint URL."""
    server = ThreadingHTTPServer(("127.0.0.1", _free_port()), FakeLightsail)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeLightsail.queue = []
    FakeLightsail.requests = []
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def endpoint():
    with fake_lightsail() as url:
        yield url


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/opsforge.infra.lightsail:
      region: eu-west-1
      endpoint_url: "{{ endpoint }}"
      access_key: AKIAEXAMPLEKEY000001
      secret_key: not-a-real-secret-key
  tasks:
    - name: CPU of web-1 as a chart
      opsforge.infra.lightsail_metric_info:
        resource_type: instance
        name: web-1
        metric_name: CPUUtilization
        unit: Percent
        statistics: [Average, Maximum]
        start_time: "2026-11-01T09:00:00Z"
        end_time: "2026-11-01T11:00:00Z"
        chart:
          path: "{{ chart_path }}"
          width: 640
          height: 360
      register: cpu
"""


def test_playbook_reads_series_after_throttling_and_draws_png(endpoint, tmp_path):
    FakeLightsail.queue = [
        (400, {"__type": "ThrottlingException", "message": "Rate exceeded"}),
        (200, {"metricName": "CPUUtilization", "metricData": [
            {"timestamp": ts, "average": avg, "maximum": mx, "unit": "Percent"} for ts, avg, mx in reversed(SERIES)]}),
    ]
    chart_path = tmp_path / "cpu.png"
    run = run_playbook(PLAYBOOK, inventory="localhost,", extra_vars={
        "endpoint": endpoint, "chart_path": str(chart_path), "ansible_python_interpreter": sys.executable})
    assert run.rc == 0, run.explain()
    result = run.task_results("CPU of web-1 as a chart")[0]
    assert result["changed"] is False
    assert [p["average"] for p in result["datapoints"]] == [3.0, 7.0, 12.0, 40.0, 22.0]
    assert result["start_time"] == "2026-11-01T09:00:00+00:00"
    operations = [op for op, _body, _auth in FakeLightsail.requests]
    assert operations == ["GetInstanceMetricData", "GetInstanceMetricData"]  # throttled once, retried
    body = FakeLightsail.requests[-1][1]
    assert body["instanceName"] == "web-1" and body["statistics"] == ["Average", "Maximum"] and body["unit"] == "Percent"
    assert "/eu-west-1/lightsail/" in FakeLightsail.requests[-1][2]  # signed for the region from module_defaults
    data = chart_path.read_bytes()
    assert png_size(data) == (640, 360) and len(data) > 5000
    assert result["chart"]["size"] == len(data) and result["chart"]["points"] == 10
