# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Switch an app's nginx upstream (contract with roles/nginx_site).

A site's upstream servers live in their own file ``/etc/nginx/opsforge/upstreams/<app>.conf`` holding one
``upstream opsforge_<app> { server ...; }`` block, included from the site conf. The switch rewrites
exactly that file atomically, runs ``nginx -t`` (restoring the old file on failure) and reloads.
"""

from __future__ import annotations

import os
import re
import subprocess

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.state import atomic_write

DEFAULT_UPSTREAM_DIR = "/etc/nginx/opsforge/upstreams"
_SERVER_RE = re.compile(r"^\s*server\s+([^\s;]+)", re.M)


def upstream_path(app, directory=None):
    return os.path.join(directory or DEFAULT_UPSTREAM_DIR, "%s.conf" % app)


def render_upstream(app, servers):
    lines = ["# Managed by opsforge.infra.deploy_docker; rewritten at each zero-downtime deploy.",
             "upstream opsforge_%s {" % app.replace("-", "_").replace(".", "_")]
    lines.extend("    server %s;" % server for server in servers)
    lines.append("}")
    return "\n".join(lines) + "\n"


def current_servers(path):
    try:
        with open(path) as handle:
            return _SERVER_RE.findall(handle.read())
    except OSError:
        return []


def _run(cmd, what):
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeployError("%s (%s) could not run: %s" % (what, " ".join(cmd), exc))
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def switch_upstream(app, servers, path, test_command, reload_command):
    """Point the app's upstream at ``servers``. Return the old servers. Raise DeployError (old file restored)."""
    old_text = None
    if os.path.exists(path):
        with open(path) as handle:
            old_text = handle.read()
    old_servers = _SERVER_RE.findall(old_text or "")
    atomic_write(path, render_upstream(app, servers))
    rc, out = _run(test_command, "nginx config test")
    if rc != 0:
        if old_text is None:
            os.unlink(path)
        else:
            atomic_write(path, old_text)
        raise DeployError("nginx rejected the new upstream of %s (old file restored): %s" % (app, out.strip()[-800:]))
    rc, out = _run(reload_command, "nginx reload")
    if rc != 0:
        raise DeployError("nginx reload failed: %s" % out.strip()[-800:])
    return old_servers
