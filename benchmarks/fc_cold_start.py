# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cold start and per-request overhead of the camera functions.

1. Import time of each handler module, each in a fresh interpreter (what FC pays on a
   cold start before the first request), median of N runs. Goal: <= 150 ms.
2. Per-request overhead of ``image_query`` (GET /images, 20 images, signed URLs) against
   the in-memory Tablestore fake, after warm-up: the cost of our code, not the network.

    .venv/bin/python benchmarks/fc_cold_start.py [--runs 7] [--requests 2000]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FC = os.path.join(ROOT, "fc_functions")
GOAL_MS = 150.0

IMPORT_SNIPPET = """
import importlib.util, sys, time
sys.path.insert(0, {shared!r})
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("index", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - t) * 1000)
"""


def import_ms(name, runs):
    code = IMPORT_SNIPPET.format(shared=os.path.join(FC, "shared"), path=os.path.join(FC, name, "index.py"))
    samples = []
    for _run in range(runs):
        out = subprocess.run([sys.executable, "-I", "-c", code], check=True, stdout=subprocess.PIPE, text=True).stdout
        samples.append(float(out.strip()))
    return statistics.median(samples)


def request_overhead(requests):
    sys.path.insert(0, os.path.join(ROOT, "tests", "unit", "fc_functions"))
    import responses
    from camera_harness import Camera

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        camera = Camera(mock)
        camera.register("cam-1")
        store = camera.services.store
        for i in range(200):
            key = "%013d-b%d" % (1795341600000 - i * 1000, i)
            store.create_image("cam-1", key, {"device_id": "cam-1", "has_motion": False, "created_at": 1795341600000 - i * 1000,
                                              "oss_path_original": "devices/cam-1/%s.jpg" % key})
        event = json.dumps(camera.owner_event("GET", "/images", "owner-1", query={"device_id": "cam-1", "limit": "20"})).encode()
        handler = camera.handlers["image_query"].handler
        for _warmup in range(50):
            handler(event, None, services=camera.services)
        times = []
        for _request in range(requests):
            t = time.perf_counter()
            result = handler(event, None, services=camera.services)
            times.append((time.perf_counter() - t) * 1000)
        assert result["statusCode"] == 200
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    import logging

    logging.getLogger("camera").disabled = True
    worst = 0.0
    print("handler import time (median of %d fresh interpreters, goal <= %.0f ms)" % (args.runs, GOAL_MS))
    for name in ("device_manager", "upload_handler", "image_query"):
        ms = import_ms(name, args.runs)
        worst = max(worst, ms)
        print("  %-16s %7.2f ms  %s" % (name, ms, "ok" if ms <= GOAL_MS else "OVER GOAL"))
    median, p99 = request_overhead(args.requests)
    print("image_query per request, 20 images, Tablestore fake: median %.3f ms, p99 %.3f ms (%d requests)" % (median, p99, args.requests))
    return 0 if worst <= GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
