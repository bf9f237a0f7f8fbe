# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API calls and CPU time of one gpu_reaper run over 1000 environments in 50 workspaces.

The Kubernetes API is a small HTTP server in a separate process on 127.0.0.1 that answers
the list endpoints with the synthetic objects (kmock, used by the contract tests, is too
slow to seed 3000 objects), so the real kubernetes client and K8sApi do the work and the
CPU time measured here is the reaper's own (HTTP, JSON, planning), not the server's.
Prometheus answers with a canned vector of one series per environment (per signal).
Every environment has its Service, PVC and two Secrets; each workspace holds a leaked Service,
Secret and ConfigMap. A fifth of the environments use MIG, a fifth time-sliced GPUs.
Goal (issues #7, #17): <= 5 list calls, <= 2 s CPU.

    .venv/bin/python benchmarks/gpu_reaper.py [--environments 1000] [--workspaces 50]
"""

from __future__ import annotations

import argparse
import importlib
import datetime
import json
import multiprocessing
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
importlib.import_module("conftest")  # makes .build/collections/ansible_collections/opsforge/infra exist

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import reaper  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import K8sApi  # noqa: E402

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DEFAULTS = {"enabled": True, "threshold": 5.0, "idle_minutes": 60, "grace_minutes": 30, "min_runtime_minutes": 60}


def objects(environments, workspaces, seed=7):
    rng = random.Random(seed)
    out = []
    for i in range(environments):
        ws = "team%02d" % (i % workspaces)
        name = "env%04d" % i
        labels = C.environment_labels(ws, name, "user%03d" % (i % 200))
        started = NOW - datetime.timedelta(minutes=rng.randint(10, 4000))
        created = C.lifecycle_event("created", gpus=rng.choice([1, 2, 4, 8]), gpu_model="NVIDIA-A100-SXM4-80GB", cpu="8",
                                    memory="64Gi", storage="100Gi", at=started)
        notes = {C.LIFECYCLE_ANNOTATION: json.dumps([created])}
        if i % 7 == 0:
            notes[C.MAX_LIFETIME_ANNOTATION] = "24h"
        if i % 13 == 0:
            notes[C.KEEP_ANNOTATION] = "benchmark"
        gpu_key = "nvidia.com/mig-1g.10gb" if i % 5 == 0 else (C.GPU_SHARED_RESOURCE if i % 5 == 1 else C.GPU_RESOURCE)
        out.append({"apiVersion": "apps/v1", "kind": "StatefulSet",
                    "metadata": {"name": name, "namespace": "ws-" + ws, "labels": labels, "annotations": notes},
                    "spec": {"replicas": 0 if i % 10 == 0 else 1, "serviceName": name, "selector": {"matchLabels": labels},
                             "template": {"metadata": {"labels": labels},
                                          "spec": {"containers": [{"name": "main", "image": "jupyter/base:1",
                                                                   "resources": {"limits": {gpu_key: "1"}}}]}}}})
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "ws-" + ws, "labels": labels},
                    "spec": {"ports": [{"name": "ssh", "port": 22}]}})
        out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {"name": "home-%s-0" % name, "namespace": "ws-" + ws, "labels": labels},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "100Gi"}}}})
        for suffix, key in (("-ssh", "authorized_keys"), ("-jupyter", "token")):
            out.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": {"name": name + suffix, "namespace": "ws-" + ws, "labels": labels},
                        "data": {key: "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSU9wc2ZvcmdlIGJlbmNo"}})
    for w in range(workspaces):  # leaks: objects of environments deleted long ago
        labels = C.environment_labels("team%02d" % w, "gone%02d" % w, "user000")
        meta = {"namespace": "ws-team%02d" % w, "labels": labels, "creationTimestamp": "2026-11-01T00:00:00Z"}
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": dict(meta, name="gone%02d" % w)})
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": dict(meta, name="gone%02d-settings" % w), "data": {}})
        out.append({"apiVersion": "v1", "kind": "Secret", "metadata": dict(meta, name="gone%02d-ssh" % w), "data": {}})
    return out


def utilisation(environments, seed=11):
    rng = random.Random(seed)
    series = []
    for i in range(environments):
        labels = {"namespace": "ws-team%02d" % (i % 50), "pod": "env%04d-0" % i, "gpu": "0", "modelName": "NVIDIA A100"}
        series.append((labels, rng.choice([0.0, 1.5, 3.0, 35.0, 80.0, 99.0, float("nan")])))
    return series


class CannedPrometheus:
    def __init__(self, series):
        self.series = series
        self.queries = 0

    def query(self, promql, at):
        self.queries += 1
        return list(self.series)


LIST_PATHS = {
    "/apis/apps/v1/statefulsets": ("StatefulSet", "StatefulSetList"),
    "/api/v1/services": ("Service", "ServiceList"),
    "/api/v1/secrets": ("Secret", "SecretList"),
    "/api/v1/configmaps": ("ConfigMap", "ConfigMapList"),
    "/api/v1/persistentvolumeclaims": ("PersistentVolumeClaim", "PersistentVolumeClaimList"),
}


def serve(port, environments, workspaces, ready, stop, counter):
    import http.server
    import threading

    by_kind = {}
    for obj in objects(environments, workspaces):
        by_kind.setdefault(obj["kind"], []).append(obj)
    bodies = {path: json.dumps({"apiVersion": "v1", "kind": list_kind, "metadata": {"resourceVersion": "1"},
                                "items": by_kind.get(kind, [])}).encode() for path, (kind, list_kind) in LIST_PATHS.items()}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?", 1)[0]
            with counter.get_lock():
                counter.value += 1
            body = bodies.get(path)
            self.send_response(200 if body else 404)
            body = body or b'{"kind":"Status","code":404}'
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.put(sum(len(v) for v in by_kind.values()))
    stop.wait()
    server.shutdown()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environments", type=int, default=1000)
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--port", type=int, default=20650)
    args = parser.parse_args()

    import kubernetes

    ready, stop, counter = multiprocessing.Queue(), multiprocessing.Event(), multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=serve, args=(args.port, args.environments, args.workspaces, ready, stop, counter),
                                     daemon=True)
    started = time.time()
    server.start()
    seeded = ready.get(timeout=600)
    print("serving %d objects on 127.0.0.1:%d (ready in %.1f s)" % (seeded, args.port, time.time() - started))
    try:
        config = kubernetes.client.Configuration()
        config.host = "http://127.0.0.1:%d" % args.port
        api = K8sApi(kubernetes.client.ApiClient(config), retries=0)
        prom = CannedPrometheus(utilisation(args.environments))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        changed, result = reaper.run(api, prom, dict(DEFAULTS), now=NOW, check_mode=True)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        stop.set()
        server.join(30)

    counts = {}
    for action in result["actions"]:
        counts[action["action"]] = counts.get(action["action"], 0) + 1
    lists = api.calls.get("list", 0)
    print("environments:            %d in %d workspaces" % (result["environments_checked"], args.workspaces))
    print("API calls:               %s (list calls: %d, goal <= 5); requests the server saw: %d" % (
        dict(sorted(api.calls.items())), lists, counter.value))
    print("Prometheus queries:      %d" % result["prometheus_queries"])
    print("planned actions:         %s (writes a real run would add: one per action)" % dict(sorted(counts.items())))
    print("CPU time:                %.3f s (goal <= 2 s)" % cpu)
    print("wall time:               %.3f s" % wall)
    ok = lists <= 5 and cpu <= 2.0
    print("RESULT:                  %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
