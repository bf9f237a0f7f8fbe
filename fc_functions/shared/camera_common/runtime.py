"""The part every handler shares: services, routing, error answers and structured logs."""

import json
import logging
import sys
import time

from . import clients, config as config_mod
from .errors import HttpError
from .events import is_oss_event, load_event, parse_http, response
from .notify import urllib_send
from .store import Store

LOG = logging.getLogger("camera")
if not LOG.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(logging.Formatter("%(message)s"))
    LOG.addHandler(_handler)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False

_CONFIG = []


class Services:
    """What a handler talks to. Tests build one with fakes; production builds clients lazily."""

    def __init__(self, config, ots_client=None, head=None, assume_role=None, send=None, clock=None, factories=None):
        self.config = config
        self._ots_client = ots_client
        self._head = head
        self._assume_role = assume_role
        self.send = send or urllib_send
        self.clock = clock or time.time
        self._factories = factories or {}
        self._store = None

    @classmethod
    def production(cls, context):
        if not _CONFIG:
            _CONFIG.append(config_mod.load())
        cfg = _CONFIG[0]
        creds = clients.credentials(context)
        return cls(cfg, factories={
            "ots": lambda: clients.ots_client(cfg, creds),
            "head": lambda key: clients.head_object(cfg, creds, key),
            "sts": lambda *a: clients.sts_assume_role(cfg, creds, *a),
        })

    @property
    def store(self):
        if self._store is None:
            if self._ots_client is None:
                self._ots_client = self._factories["ots"]()
            self._store = Store(self._ots_client, self.config)
        return self._store

    def head_object(self, key):
        """``(status, headers)`` of an OSS HEAD of ``key`` in the camera bucket."""
        if self._head is not None:
            return self._head(key)
        return self._factories["head"](key)

    def assume_role(self, role_arn, session_name, policy, seconds):
        if self._assume_role is not None:
            return self._assume_role(role_arn, session_name, policy, seconds)
        return self._factories["sts"](role_arn, session_name, policy, seconds)


def log(**fields):
    LOG.info(json.dumps(fields, sort_keys=True, default=str))


def _route_name(path):
    return path.rstrip("/").rsplit("/", 1)[-1]


def serve(function, routes, event, context, services=None, oss_handler=None):
    """Run one invocation: decode, route, answer. Never lets an exception escape as a stack trace."""
    started = time.time()
    request_id = str(getattr(context, "request_id", "") or "")
    fields = {"function": function, "request_id": request_id}
    try:
        raw = load_event(event)
        if services is None:
            services = Services.production(context)
        if oss_handler is not None and is_oss_event(raw):
            fields["route"] = "oss"
            result = oss_handler(raw, services, fields)
            fields["status"] = 200
            return result
        request = parse_http(raw, request_id)
        fields["request_id"] = request.request_id or request_id
        fields["route"] = "%s %s" % (request.method, request.path[:128])
        methods = routes.get(_route_name(request.path))
        if methods is None:
            raise HttpError(404, "NotFound", "no such route")
        func = methods.get(request.method)
        if func is None:
            raise HttpError(405, "MethodNotAllowed", "method not allowed")
        status, payload = func(request, services, fields)
        fields["status"] = status
        return response(status, payload)
    except HttpError as exc:
        fields["status"] = exc.status
        fields["error"] = exc.code
        if fields.get("route") == "oss" and exc.status >= 500:
            # an asynchronous OSS event: raising makes FC retry it later (HTTP callers get the 503 instead)
            raise RuntimeError("%s: %s" % (exc.code, exc.message))
        return response(exc.status, {"error": exc.code, "message": exc.message, "request_id": fields["request_id"]})
    except config_mod.ConfigError as exc:
        fields["status"] = 500
        fields["error"] = "Misconfigured"
        LOG.error(json.dumps({"event": "config_error", "request_id": request_id, "error": str(exc)}))
        return response(500, {"error": "Misconfigured", "message": "function is misconfigured", "request_id": request_id})
    except Exception:  # the last line of defence: log the trace, answer without it
        fields["status"] = 500
        fields["error"] = "Internal"
        LOG.exception("unhandled error in %s (request %s)", function, request_id)
        return response(500, {"error": "Internal", "message": "internal error", "request_id": request_id})
    finally:
        fields["duration_ms"] = round((time.time() - started) * 1000, 2)
        log(**fields)
