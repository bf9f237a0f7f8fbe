# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A read-only Docker Engine API on 127.0.0.1 for the docker module tests: the real docker SDK talks HTTP
to it (``docker_host: tcp://127.0.0.1:PORT``) and parses what it answers, as from an engine.

It serves the calls that reading needs (version, container list and inspect, one stats sample, image
inspect), shaped as the Engine API v1.43 documents them; anything else is answered 501 and recorded, so
a test can assert that nothing was written.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import urllib.parse

from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.deploy.deploy_helpers import free_port

API = "1.43"


def container(name, image="127.0.0.1:5000/opsforge/testapp:2.0", image_id="sha256:" + "1" * 64, running=True,
              labels=None, health=None, restart_count=0):
    """The inspect answer of one container."""
    state = {"Status": "running" if running else "exited", "Running": running, "ExitCode": 0 if running else 1,
             "StartedAt": "2026-01-01T00:00:00Z"}
    if health:
        state["Health"] = {"Status": health, "Log": [{"Start": "2026-01-01T00:00:01Z", "ExitCode": 0, "Output": "ok\n"}]}
    return {"Id": (name.encode().hex() + "0" * 64)[:64], "Name": "/" + name, "Image": image_id, "RestartCount": restart_count,
            "State": state, "Config": {"Image": image, "Labels": dict(labels or {})}}


STATS = {"cpu_stats": {"cpu_usage": {"total_usage": 2_000_000}, "system_cpu_usage": 100_000_000, "online_cpus": 2},
         "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000}, "system_cpu_usage": 50_000_000},
         "memory_stats": {"usage": 10_000_000, "limit": 100_000_000, "stats": {"inactive_file": 2_000_000}}}


class Engine:
    """``containers``: inspect answers; ``images``: image reference -> inspect answer."""

    def __init__(self, containers=(), images=None):
        self.containers = list(containers)
        self.images = dict(images or {})
        self.unserved = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                status, body = outer.answer(self.command, self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_DELETE = do_PUT = do_GET

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True)

    @property
    def url(self):
        return "tcp://127.0.0.1:%d" % self.port

    def _find(self, ref):
        return next((c for c in self.containers if ref in (c["Id"], c["Name"][1:])), None)

    def answer(self, method, raw):
        url = urllib.parse.urlsplit(raw)
        path = re.sub(r"^/v[0-9.]+", "", url.path)
        if method == "GET" and path == "/version":
            return 200, {"ApiVersion": API, "Version": "24.0.0", "MinAPIVersion": "1.12", "Os": "linux"}
        if method == "GET" and path == "/containers/json":
            query = urllib.parse.parse_qs(url.query)
            wanted = json.loads(query.get("filters", ["{}"])[0]).get("label", [])
            everything = query.get("all", ["0"])[0] in ("1", "true", "True")
            found = [c for c in self.containers if (everything or c["State"]["Running"]) and all(
                (f.split("=", 1)[0] in c["Config"]["Labels"]) and ("=" not in f or c["Config"]["Labels"][f.split("=", 1)[0]] == f.split("=", 1)[1])
                for f in wanted)]
            return 200, [{"Id": c["Id"], "Names": [c["Name"]]} for c in found]
        match = re.match(r"^/containers/([^/]+)/(json|stats)$", path)
        if method == "GET" and match:
            found = self._find(urllib.parse.unquote(match.group(1)))
            if found is None:
                return 404, {"message": "No such container: %s" % match.group(1)}
            return 200, (found if match.group(2) == "json" else STATS)
        match = re.match(r"^/images/(.+)/json$", path)
        if method == "GET" and match:
            found = self.images.get(urllib.parse.unquote(match.group(1)))
            if found is None:
                return 404, {"message": "No such image: %s" % match.group(1)}
            return 200, found
        self.unserved.append((method, path))
        return 501, {"message": "not served by the test engine: %s %s" % (method, path)}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
