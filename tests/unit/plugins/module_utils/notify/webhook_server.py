# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A webhook server on 127.0.0.1 that records each request and answers as scripted (shared by the
webhook and the notify module tests)."""

from __future__ import annotations

import http.server
import json
import threading
import time

SECRET = "SEC0123456789abcdef"
TOKEN = "tok-9f8e7d6c5b4a"  # stands for the access token inside real webhook URLs


class Hook(http.server.BaseHTTPRequestHandler):
    """Records each request; answers with the next scripted (status, body) or a success."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        server = self.server
        server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body, "at": time.time()})
        status, answer = server.script.pop(0) if server.script else (200, server.success)
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def serve():
    """Start the server on a free port in 20520-20539; yields it, then stops it (used by a ``hook`` fixture)."""
    server = None
    for port in range(20520, 20540):
        try:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
            break
        except OSError:
            continue
    assert server is not None, "no free port in 20520-20539"
    server.requests, server.script, server.success = [], [], {"code": 0, "msg": "success"}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.url = "http://127.0.0.1:%d/hook/%s" % (server.server_address[1], TOKEN)
    yield server
    server.shutdown()
    server.server_close()
