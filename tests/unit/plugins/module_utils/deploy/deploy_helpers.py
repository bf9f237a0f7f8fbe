# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small local HTTP servers on 127.0.0.1 (ports 18900-18999) for the deploy unit tests."""

from __future__ import annotations

import http.server
import socket
import threading


def free_port(start=18900, end=18999):
    for port in range(start, end + 1):
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            sock.close()
        return port
    raise RuntimeError("no free port in %d-%d" % (start, end))


class Server:
    """A threaded HTTP server answering ``status`` and ``body`` (both changeable) and recording requests."""

    def __init__(self, status=200, body=b"ok", port=None):
        self.status = status
        self.body = body
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                outer.requests.append(dict(method=self.command, path=self.path, headers=dict(self.headers), body=data))
                status = outer.status(len(outer.requests)) if callable(outer.status) else outer.status
                self.send_response(status)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, *args):
                pass

        self.port = port or free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
