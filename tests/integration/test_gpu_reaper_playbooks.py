# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/gpu_nightly_reaper.yml and playbooks/gpu_monthly_invoices.yml as AWX runs them:
ansible-playbook, credentials from K8S_AUTH_KUBECONFIG, against kmock on 127.0.0.1, with a
local webhook receiving the reaper's notification."""

from __future__ import annotations

import datetime
import http.server
import json
import os
import re
import subprocess
import sys
import threading

import pytest
from kmock_cluster import KmockCluster

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UTC = datetime.timezone.utc


def stateful_set(ws, name, events, replicas=1):
    labels = C.environment_labels(ws, name, "dave")
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": "ws-" + ws, "labels": labels,
                         "annotations": {C.LIFECYCLE_ANNOTATION: json.dumps(events)}},
            "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "main", "image": "x:1"}]}}}}


def october_pod():
    labels = C.environment_labels("nlp", "october", "dave")
    state = {"terminated": {"startedAt": "2026-10-10T08:00:00Z", "finishedAt": "2026-10-10T20:00:00Z", "exitCode": 0}}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "october-0", "namespace": "ws-nlp", "labels": labels,
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "october", "uid": "sts-oct"}]},
            "spec": {"nodeName": "gpu-h100", "containers": [{"name": "main", "image": "x:1", "resources": {
                "requests": {"cpu": "16", "memory": "128Gi"}, "limits": {C.GPU_RESOURCE: "4"}}}]},
            "status": {"phase": "Succeeded", "containerStatuses": [{"name": "main", "ready": False, "restartCount": 0,
                                                                    "image": "x:1", "imageID": "", "state": state}]}}


@pytest.fixture
def cluster():
    with KmockCluster(low=20660, high=20699) as kmock:
        now = datetime.datetime.now(UTC)
        kmock.seed(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ws-nlp", "labels": C.namespace_labels("nlp")}},
            stateful_set("nlp", "marathon", [C.lifecycle_event("created", gpus=1, gpu_model="NVIDIA-L4", cpu="4", memory="16Gi",
                                                               at=now - datetime.timedelta(hours=30))]),
            stateful_set("nlp", "fresh", [C.lifecycle_event("created", gpus=1, at=now - datetime.timedelta(hours=1))]),
            stateful_set("nlp", "october", [
                C.lifecycle_event("created", gpus=4, gpu_model="NVIDIA-H100-80GB-HBM3", cpu="16", memory="128Gi",
                                  storage="200Gi", at="2026-10-10T08:00:00Z"),
                C.lifecycle_event("stopped", gpus=4, at="2026-10-10T20:00:00Z")], replicas=0),
            # what metering reads: the Pod as the kubelet left it (seen terminating), its node, the home volume
            {"apiVersion": "v1", "kind": "Node",
             "metadata": {"name": "gpu-h100", "labels": {C.GPU_PRODUCT_LABEL: "NVIDIA-H100-80GB-HBM3"}}},
            october_pod(),
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": {"name": "home-october-0", "namespace": "ws-nlp", "labels": C.environment_labels("nlp", "october", "dave"),
                          "creationTimestamp": "2026-10-10T08:00:00Z"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "200Gi"}}},
             "status": {"phase": "Bound", "capacity": {"storage": "200Gi"}}},
        )
        yield kmock


@pytest.fixture
def webhook():
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 20545), Hook)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield "http://127.0.0.1:20545/services/T000/B000/token", received
    server.shutdown()
    server.server_close()


def play(cluster, playbook, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="default", K8S_AUTH_KUBECONFIG=cluster.kubeconfig)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
           "-e", "ansible_python_interpreter=%s" % sys.executable, os.path.join(ROOT, "playbooks", playbook)] + list(extra)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def recap_changed(out):
    return int(out.split("changed=")[1].split()[0])


def test_nightly_reaper_playbook(cluster, webhook):
    url, received = webhook
    args = ["-e", "gpu_nightly_reaper_idle_detection=false", "-e", "gpu_nightly_reaper_max_lifetime=24h",
            "-e", "gpu_nightly_reaper_grace_minutes=0", "-e", "gpu_nightly_reaper_notify_kind=slack",
            "-e", "gpu_nightly_reaper_notify_url=%s" % url, "-e", "gpu_nightly_reaper_cluster_name=lab"]
    preview = play(cluster, "gpu_nightly_reaper.yml", "--check", *args)
    assert "stopped: ws-nlp/marathon" in preview, preview
    assert received == [] and cluster.objects("statefulsets", "ws-nlp")["marathon"]["spec"]["replicas"] == 1
    assert "token" not in preview
    out = play(cluster, "gpu_nightly_reaper.yml", *args)
    assert "stopped: ws-nlp/marathon" in out
    (message,) = received
    # the runtime is counted when the module runs, a few seconds after the cluster was seeded
    assert re.fullmatch(r"\[WARNING\] GPU reaper on lab: 1 stopped, 0 warned\n"
                        r"STOPPED nlp/marathon \(owner dave\): running 30h0[0-2]m of its 24h00m maximum lifetime", message["text"])
    marathon = cluster.objects("statefulsets", "ws-nlp")["marathon"]
    assert marathon["spec"]["replicas"] == 0
    assert marathon["metadata"]["annotations"][C.STOPPED_BY_ANNOTATION] == "reaper:lifetime"
    again = play(cluster, "gpu_nightly_reaper.yml", *args)
    assert recap_changed(again) == 0 and len(received) == 1


RATE_CARD = {"currency": "EUR", "gpu": {"NVIDIA-H100-80GB-HBM3": 3.5, "default": 1.0}, "cpu": 0.01, "memory": 0.002,
             "storage": 0.0001}


def test_monthly_invoices_playbook(cluster, tmp_path):
    args = ["-e", "gpu_monthly_invoices_ledger=%s" % (tmp_path / "ledger" / "gpu.sqlite"),
            "-e", "gpu_monthly_invoices_dir=%s" % (tmp_path / "invoices"), "-e", "gpu_monthly_invoices_month=2026-10",
            "-e", "gpu_monthly_invoices_window_start=2026-10-01",
            "-e", json.dumps({"gpu_monthly_invoices_rate_card": RATE_CARD})]
    out = play(cluster, "gpu_monthly_invoices.yml", *args)
    # 12 h x 4 H100 x 3.5 = 168; 12 x 16 x 0.01 = 1.92; 12 x 128 x 0.002 = 3.072; storage from Oct 10 08:00 to now
    data = json.loads((tmp_path / "invoices" / "nlp-2026-10.json").read_text())
    assert data["currency"] == "EUR"
    lines = {(ln["environment"], ln["item"]): ln for ln in data["lines"]}
    h100 = lines[("october", "gpu:NVIDIA-H100-80GB-HBM3")]
    assert (h100["quantity"], h100["unit"], h100["rate"], h100["amount"]) == ("48.000000", "GPU-hour", "3.5", "168.00")
    assert lines[("october", "memory")]["amount"] == "3.07"
    # 200 GiB from 2026-10-10T08:00Z to the end of October: 21 days 16 h = 520 h x 200 x 0.0001
    storage = lines[("october", "storage")]
    assert (storage["quantity"], storage["amount"]) == ("104000.000000", "10.40")
    assert data["total"] == "183.39"  # 168 + 1.92 + 3.07 + 10.40
    assert "nlp 2026-10: " in out and "EUR" in out
    assert (tmp_path / "invoices" / "nlp-2026-10.html").read_text().count("data:image/png;base64,") == 1
    again = play(cluster, "gpu_monthly_invoices.yml", *args)
    assert recap_changed(again) == 0
