# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Health checks: HTTP, TCP connect and script, with a deadline, retries and a delay between tries.

Defaults (issue #4): 60 s timeout for the whole check, 3 retries after the first try, 10 s apart.
"""

from __future__ import annotations

import re
import socket
import ssl
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.request import HTTPSHandler, Request, build_opener

from ansible_collections.opsforge.infra.plugins.module_utils._deploy.errors import DeployError
from ansible_collections.opsforge.infra.plugins.module_utils._deploy.safety import check_script, run_script

DEFAULT_TIMEOUT = 60
DEFAULT_RETRIES = 3
DEFAULT_DELAY = 10

# Sub-options of one health check, shared by every deploy module and health_check.
CHECK_OPTIONS = dict(
    type=dict(type="str", default="http", choices=["http", "tcp", "script"]),
    url=dict(type="str"),
    host=dict(type="str", default="127.0.0.1"),
    port=dict(type="int"),
    path=dict(type="str", default="/"),
    scheme=dict(type="str", default="http", choices=["http", "https"]),
    status_codes=dict(type="list", elements="int", default=[200]),
    body_regex=dict(type="str"),
    validate_certs=dict(type="bool", default=True),
    script=dict(type="str"),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    retries=dict(type="int", default=DEFAULT_RETRIES),
    delay=dict(type="float", default=DEFAULT_DELAY),
    stable_successes=dict(type="int", default=1),
    stable_period=dict(type="float", default=0),
)

# The options of the health_check module.
HEALTH_CHECK_OPTIONS = dict(CHECK_OPTIONS, fail_on_unhealthy=dict(type="bool", default=True))


def health_check(params, **kwargs):
    """The health_check module: run one check; a failed one fails the task unless ``fail_on_unhealthy=false``."""
    result = run_check(normalize_check(dict((k, v) for k, v in params.items() if k in CHECK_OPTIONS)), **kwargs)
    if not result["success"] and params["fail_on_unhealthy"]:
        raise DeployError("health check failed: %s" % result["detail"], details=dict(health=result))
    return dict(changed=False, health=result)


def normalize_check(check, default_port=None):
    """Fill defaults into one check dict and validate it; raise DeployError on bad input."""
    out = dict((k, v.get("default")) for k, v in CHECK_OPTIONS.items())
    out.update(dict((k, v) for k, v in (check or {}).items() if v is not None))
    kind = out["type"]
    if kind not in ("http", "tcp", "script"):
        raise DeployError("health check type must be http, tcp or script, not %r" % kind)
    if out["port"] is None and default_port:
        out["port"] = default_port
    if kind == "http" and not out["url"] and not out["port"]:
        raise DeployError("an http health check needs url or port")
    if kind == "tcp" and not out["port"]:
        raise DeployError("a tcp health check needs port")
    if kind == "script":
        if not out["script"]:
            raise DeployError("a script health check needs script")
        check_script(out["script"], what="health check script")
    if out["body_regex"]:
        try:
            re.compile(out["body_regex"])
        except re.error as exc:
            raise DeployError("health check body_regex %r is not a valid regular expression: %s" % (out["body_regex"], exc))
    if out["timeout"] <= 0 or out["retries"] < 0 or out["delay"] < 0:
        raise DeployError("health check timeout must be > 0, retries and delay >= 0")
    if out["stable_successes"] < 1 or out["stable_period"] < 0:
        raise DeployError("health check stable_successes must be >= 1 and stable_period >= 0")
    if kind == "http" and not out["url"]:
        path = out["path"] if out["path"].startswith("/") else "/" + out["path"]
        out["url"] = "%s://%s:%d%s" % (out["scheme"], out["host"], out["port"], path)
    return out


def target_of(check):
    if check["type"] == "http":
        return check["url"]
    if check["type"] == "tcp":
        return "%s:%s" % (check["host"], check["port"])
    return "script"


def _attempt_http(check, timeout):
    handlers = []
    if check["url"].startswith("https") and not check["validate_certs"]:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        handlers.append(HTTPSHandler(context=ctx))
    opener = build_opener(*handlers)
    request = Request(check["url"], headers={"User-Agent": "opsforge-health-check"})
    try:
        response = opener.open(request, timeout=timeout)
        status, body = response.getcode(), response.read(65536)
    except HTTPError as exc:
        status, body = exc.code, exc.read(65536) if hasattr(exc, "read") else b""
    except (OSError, URLError, ValueError) as exc:
        return False, "request to %s failed: %s" % (check["url"], getattr(exc, "reason", exc))
    text = body.decode("utf-8", "replace")
    if status not in check["status_codes"]:
        return False, "HTTP %s from %s (expected %s)" % (status, check["url"], check["status_codes"])
    if check["body_regex"] and not re.search(check["body_regex"], text):
        return False, "HTTP %s from %s but the body does not match %r" % (status, check["url"], check["body_regex"])
    return True, "HTTP %s from %s" % (status, check["url"])


def _attempt_tcp(check, timeout):
    try:
        conn = socket.create_connection((check["host"], int(check["port"])), timeout=timeout)
        conn.close()
    except OSError as exc:
        return False, "TCP connect to %s:%s failed: %s" % (check["host"], check["port"], exc)
    return True, "TCP connect to %s:%s succeeded" % (check["host"], check["port"])


def _attempt_script(check, timeout, env=None):
    result = run_script(check["script"], timeout=timeout, env=env)
    if result.timed_out:
        return False, "health script timed out after %.1fs" % timeout
    if result.rc != 0:
        return False, "health script exited %s: %s" % (result.rc, (result.stderr or result.stdout).strip()[-500:])
    return True, "health script exited 0"


def _attempt(check, timeout, env=None):
    if check["type"] == "http":
        return _attempt_http(check, timeout)
    if check["type"] == "tcp":
        return _attempt_tcp(check, timeout)
    return _attempt_script(check, timeout, env=env)


def _stable(check, sleep, clock, env, watch, detail):
    """After the first success: ``stable_successes`` in a row spanning ``stable_period`` seconds, the
    ``watch`` (Docker's own health state, ...) clean at each. Return ``(success, detail, count)``."""
    need, period = check.get("stable_successes") or 1, check.get("stable_period") or 0
    problem = watch() if watch else None
    if problem:
        return False, problem, 1
    count, since = 1, clock()
    interval = max(period / (need - 1) if need > 1 else period, 0.05)
    while count < need or clock() - since < period:
        sleep(interval)
        ok, last = _attempt(check, check["timeout"], env)
        problem = watch() if (ok and watch) else None
        if not ok or problem:
            return False, "unhealthy again after %d consecutive success(es) in %.1fs: %s" % (
                count, clock() - since, problem or last), count
        count += 1
    if need > 1 or period > 0:
        detail += " (%d consecutive successes over %.1fs)" % (count, clock() - since)
    return True, detail, count


def run_check(check, sleep=time.sleep, clock=time.time, env=None, watch=None):
    """Run one normalized check with retries, then its stability window; return its result dict (never raises
    on failure). ``watch`` returns a problem (str) or None; it is asked at every success."""
    deadline = clock() + check["timeout"]
    tries = 0
    detail = ""
    success = False
    started = clock()
    response_time = None
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            detail = (detail + "; " if detail else "") + "deadline of %ss reached" % ("%g" % check["timeout"])
            break
        tries += 1
        attempt_start = clock()
        success, detail = _attempt(check, remaining, env)
        response_time = round(clock() - attempt_start, 4)
        if success or tries > check["retries"]:
            break
        if clock() + check["delay"] >= deadline:
            sleep(max(0.0, deadline - clock()))
            detail += "; deadline of %ss reached" % ("%g" % check["timeout"])
            break
        sleep(check["delay"])
    consecutive = 0
    if success:
        success, detail, consecutive = _stable(check, sleep, clock, env, watch, detail)
    return dict(success=success, check_type=check["type"], target=target_of(check), response_time=response_time,
                retry_count=max(0, tries - 1), attempts=tries + max(0, consecutive - 1), detail=detail,
                elapsed=round(clock() - started, 3), timed_out=not success and "deadline of" in detail,
                consecutive_successes=consecutive)


def run_checks(checks, sleep=time.sleep, clock=time.time, env=None, watch=None):
    """Run normalized checks in order; stop at the first failure. Return ``(ok, results)``."""
    results = []
    for check in checks:
        result = run_check(check, sleep=sleep, clock=clock, env=env, watch=watch)
        results.append(result)
        if not result["success"]:
            return False, results
    return True, results
