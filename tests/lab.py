# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for tests that use the lab (see docs/developing.md).

``lab_env()`` reads ``.lab/lab.env``; ``run_playbook()`` runs ``ansible-playbook`` against the
lab inventory and returns the per-task results parsed from the ``json`` callback. The deploy tests and
benchmarks share ``host_sh()`` (a shell in a lab host), ``http_get()``, ``Hammer`` (a client recording every
answer) and ``private_nginx()`` / ``zero_downtime_nginx()`` (an nginx of their own on the controller).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB_ENV = os.path.join(ROOT, ".lab", "lab.env")
INVENTORY = os.path.join(ROOT, "lab", "inventory.yml")
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
BIN = os.path.dirname(sys.executable)


class LabDown(RuntimeError):
    pass


def lab_env():
    """Return the lab's facts as a dict, or raise LabDown when the lab was never started."""
    if not os.path.exists(LAB_ENV):
        raise LabDown("the lab is not up (%s missing): run `make lab-up`" % LAB_ENV)
    env = {}
    with open(LAB_ENV, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            env[key] = shlex.split(value)[0] if value else ""
    return env


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=BIN + os.pathsep + env.get("PATH", ""),
    )
    env.update(extra or {})
    return env


class PlaybookRun:
    def __init__(self, proc, data):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.data = data

    @property
    def stats(self):
        return (self.data or {}).get("stats", {})

    def changed(self, host=None):
        return sum(v.get("changed", 0) for h, v in self.stats.items() if host in (None, h))

    def failed(self, host=None):
        return sum(v.get("failures", 0) + v.get("unreachable", 0) for h, v in self.stats.items() if host in (None, h))

    def task_results(self, name, host=None):
        """Results of every task whose name equals ``name`` (a list of per-host dicts)."""
        out = []
        for play in (self.data or {}).get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == name:
                    for h, res in task["hosts"].items():
                        if host in (None, h):
                            out.append(res)
        return out

    def failed_messages(self):
        """The ``msg`` of every failed (and not ignored) task and loop item, joined by newlines."""
        msgs = []
        for play in (self.data or {}).get("plays", []):
            for task in play.get("tasks", []):
                for res in task["hosts"].values():
                    if res.get("failed") and not res.get("ignore_errors"):
                        msgs.append(str(res.get("msg", "")))
                    for item in res.get("results", []):
                        if isinstance(item, dict) and item.get("failed"):
                            msgs.append(str(item.get("msg", "")))
        return "\n".join(msgs)

    def explain(self):
        return "rc=%s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (self.rc, self.stdout[-20000:], self.stderr[-5000:])


def run_playbook(playbook, extra_vars=None, check=False, diff=False, limit=None, inventory=INVENTORY,
                 env=None, timeout=1200, args=()):
    """Run a playbook (a path, or YAML text) and return a :class:`PlaybookRun`."""
    tmp = None
    if "\n" in playbook:
        tmp = tempfile.NamedTemporaryFile("w", suffix=".yml", dir=os.path.join(ROOT, ".build"), delete=False)
        tmp.write(playbook)
        tmp.close()
        playbook = tmp.name
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if limit:
        cmd += ["--limit", limit]
    cmd += list(args)
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(dict(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", **(env or {}))),
                              capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        if tmp:
            os.unlink(tmp.name)
    try:
        data = json.loads(proc.stdout[proc.stdout.index("{"):]) if "{" in proc.stdout else None
    except ValueError:
        data = None
    return PlaybookRun(proc, data)


def descendants(pid):
    """Pids of every process below ``pid`` (ansible's workers call setsid, so killpg alone misses them)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill_tree(pid):
    """SIGKILL ``pid`` (a process the caller started), its workers and their process groups."""
    for child in descendants(pid):
        for kill in (lambda c: os.killpg(c, signal.SIGKILL), lambda c: os.kill(c, signal.SIGKILL)):
            try:
                kill(child)
            except OSError:
                pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


@contextlib.contextmanager
def prometheus_with_samples(work, openmetrics_text, port):
    """A real Prometheus on 127.0.0.1:``port`` whose TSDB holds ``openmetrics_text`` (written into blocks with
    promtool, so samples may lie in the past); yields its URL, stops it on exit."""
    data = os.path.join(str(work), "data")
    os.makedirs(data)
    samples = os.path.join(str(work), "samples.om")
    with open(samples, "w", encoding="utf-8") as handle:
        handle.write(openmetrics_text)
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", samples, data],
                   check=True, capture_output=True, timeout=120)
    config = os.path.join(str(work), "prometheus.yml")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    log_path = os.path.join(str(work), "prometheus.log")
    url = "http://127.0.0.1:%d" % port
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["prometheus", "--config.file=%s" % config, "--storage.tsdb.path=%s" % data,
                                 "--storage.tsdb.retention.time=30d", "--web.listen-address=127.0.0.1:%d" % port],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 60
            while True:
                try:
                    with urllib.request.urlopen(url + "/-/ready", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.time() > deadline:
                    with open(log_path, encoding="utf-8", errors="replace") as handle:
                        raise RuntimeError("prometheus did not start: %s" % handle.read()[-2000:])
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            proc.wait(20)


# The deploy tests' and benchmarks' shared pieces: a shell in a lab host, a client that records what it is
# answered, and a private nginx on the controller.

def host_sh(host, cmd, check=True):
    """Run ``cmd`` with ``sh -c`` in the lab host ``host`` (``deploy``, ``fleet1``, ...: container
    ``opsforge-lab-<host>``) through docker exec; the CompletedProcess, with text output."""
    return subprocess.run(["docker", "exec", "opsforge-lab-%s" % host, "sh", "-c", cmd], capture_output=True, text=True,
                          check=check)


def deploy_sh(cmd, check=True):
    """:func:`host_sh` in the lab's deploy host, where the deploy tests deploy to."""
    return host_sh("deploy", cmd, check=check)


def http_get(url, timeout=3):
    """The body of ``url`` (stripped), or ``ERROR <why>`` when there is no answer or not a 2xx one."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read().decode().strip()
    except Exception as exc:  # noqa: BLE001  pylint: disable=broad-except
        return "ERROR %s" % exc


class Hammer(threading.Thread):
    """A client sending requests to ``url`` the whole time (``pause`` seconds apart) until ``stop`` is set or it
    has ``limit`` answers; records every answer. An answer that does not name a version is a failure."""

    def __init__(self, url, timeout=5, pause=0.01, limit=None):
        super().__init__(daemon=True)
        self.url, self.timeout, self.pause, self.limit = url, timeout, pause, limit
        self.answers = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set() and (self.limit is None or len(self.answers) < self.limit):
            self.answers.append(http_get(self.url, timeout=self.timeout))
            time.sleep(self.pause)

    def failures(self):
        return [answer for answer in self.answers if not answer.startswith("version=")]


NGINX_MAIN = """
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    include {d}/upstreams/*.conf;
{http}
}}
"""


@contextlib.contextmanager
def private_nginx(http, upstreams=None, prefix="opsforge-nginx-"):
    """A private nginx on the controller, its config and temp files in a new directory: ``http`` is the text of
    its http block (servers, listening on 127.0.0.1 only), ``upstreams`` ``{name: text}`` files included from
    ``upstreams/<name>.conf``. Yields ``dict(dir, upstreams, test, reload)`` (the last two: nginx command lines);
    stops it and removes the directory on exit."""
    work = tempfile.mkdtemp(prefix=prefix)
    try:
        os.makedirs(os.path.join(work, "tmp"))
        os.makedirs(os.path.join(work, "upstreams"))
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write(NGINX_MAIN.format(d=work, http=http))
        for name, text in (upstreams or {}).items():
            with open(os.path.join(work, "upstreams", name + ".conf"), "w", encoding="utf-8") as handle:
                handle.write(text)
        base = ["nginx", "-c", conf, "-p", work]
        subprocess.run(base, check=True)
        try:
            yield dict(dir=work, upstreams=os.path.join(work, "upstreams"), test=base + ["-t"], reload=base + ["-s", "reload"])
        finally:
            subprocess.run(base + ["-s", "quit"], check=False)
            time.sleep(0.5)  # let the workers finish before their directory goes
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def zero_downtime_nginx(app, port=18080):
    """The nginx that deploy_docker's zero_downtime strategy switches: 127.0.0.1:``port`` proxies to the upstream
    ``opsforge_<app>`` (no retries, so a gap shows), whose file (``upstream`` in the yielded dict, with ``test``
    and ``reload``) the module rewrites; it starts pointing at a port nobody listens on."""
    name = "opsforge_%s" % app.replace("-", "_")
    http = "    server {\n        listen 127.0.0.1:%d;\n        location / { proxy_pass http://%s; proxy_next_upstream off; }\n    }" % (
        port, name)
    with private_nginx(http, {app: "upstream %s { server 127.0.0.1:18599; }\n" % name}, prefix="opsforge-%s-nginx-" % app) as nginx:
        yield dict(nginx, upstream=os.path.join(nginx["upstreams"], app + ".conf"))


# ---- the panel host and the lab's Pebble (tests/integration/test_panel*.py) ----------------------------------
PANEL_CONTAINER = "opsforge-lab-panel"
PANEL_CA_DIR = "/etc/opsforge/lab"


def panel_exec(*argv, check=False):
    """Run ``argv`` in panel_host through docker exec (no shell); the CompletedProcess, with text output."""
    return subprocess.run(["docker", "exec", PANEL_CONTAINER] + list(argv), capture_output=True, text=True, check=check)


def copy_pebble_cas_to_panel(lab):
    """Copy the Pebble listener CA and the root of its chains into panel_host (again after a Pebble restart: the root
    changes)."""
    subprocess.run(["docker", "exec", PANEL_CONTAINER, "mkdir", "-p", PANEL_CA_DIR], capture_output=True, check=True)
    for key, name in (("LAB_PEBBLE_LISTENER_CA", "pebble-listener.pem"), ("LAB_PEBBLE_ROOT", "pebble-root.pem")):
        subprocess.run(["docker", "cp", lab[key], "%s:%s/%s" % (PANEL_CONTAINER, PANEL_CA_DIR, name)], check=True)


def pebble_acme_vars(lab):
    """The acme_certificate_* variables that point the panel roles at the lab's Pebble (CAs as copied above)."""
    return dict(
        acme_certificate_directory_url=lab["LAB_PEBBLE_DIRECTORY"],
        acme_certificate_directory_ca_file=PANEL_CA_DIR + "/pebble-listener.pem",
        acme_certificate_terms_agreed=True,
        acme_certificate_use_ari=False,
        acme_certificate_trusted_root_file=PANEL_CA_DIR + "/pebble-root.pem",
    )
