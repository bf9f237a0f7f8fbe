"""Turn the FC 3.0 event shapes into one request object and back into responses.

Three shapes arrive:

* HTTP trigger (FC 3.0): ``{"version": "v1", "rawPath", "headers", "queryParameters",
  "body", "isBase64Encoded", "requestContext": {"http": {"method", "path"}, "requestId"}}``
* API Gateway (FC backend, event mode): ``{"path", "httpMethod", "headers",
  "queryParameters", "pathParameters", "body", "isBase64Encoded"}``
* OSS trigger: ``{"events": [{"eventName": "ObjectCreated:PutObject", "oss": {...}}]}``
"""

import base64
import binascii
import json

from .errors import bad_request

MAX_BODY = 64 * 1024


class Request:
    __slots__ = ("method", "path", "headers", "query", "body", "source", "request_id")

    def __init__(self, method, path, headers, query, body, source, request_id=""):
        self.method = method
        self.path = path
        self.headers = headers
        self.query = query
        self.body = body
        self.source = source
        self.request_id = request_id

    def json(self):
        """The body as a JSON object (dict), or a 400."""
        if not self.body:
            return {}
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; deep nesting a RecursionError
            raise bad_request("body is not valid JSON")
        if not isinstance(value, dict):
            raise bad_request("body must be a JSON object")
        return value


def _as_dict(value):
    return value if isinstance(value, dict) else {}


def _utf8(text):
    """True when text can be encoded as UTF-8 (JSON lets a lone surrogate such as \\udc80 through)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _str_map(value):
    out = {}
    for key, item in _as_dict(value).items():
        if isinstance(item, list):
            item = item[0] if item else ""
        if isinstance(key, str) and isinstance(item, (str, int, float, bool)):
            item = str(item)
            if not (_utf8(key) and _utf8(item)):
                raise bad_request("headers and query parameters must be UTF-8")
            out[key.lower() if key else key] = item
    return out


def _body(raw, is_base64):
    if raw is None:
        return b""
    if not isinstance(raw, str):
        raise bad_request("body must be a string")
    if is_base64 is True:
        try:
            data = base64.b64decode(raw.encode("ascii"), validate=True)
        except (ValueError, binascii.Error, UnicodeEncodeError):
            raise bad_request("body is not valid base64")
    else:
        try:
            data = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise bad_request("body is not valid UTF-8")
    if len(data) > MAX_BODY:
        raise HttpTooLarge()
    return data


class HttpTooLarge(Exception):
    pass


def load_event(event):
    """Decode the raw event (bytes in FC) into a dict, or raise a 400."""
    if isinstance(event, (bytes, bytearray)):
        try:
            event = event.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("event is not UTF-8")
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except (ValueError, RecursionError):
            raise bad_request("event is not JSON")
    if not isinstance(event, dict):
        raise bad_request("event must be a JSON object")
    return event


def is_oss_event(event):
    events = event.get("events")
    return isinstance(events, list) and bool(events) and all(
        isinstance(e, dict) and e.get("eventSource") == "acs:oss" for e in events
    )


def parse_http(event, request_id=""):
    """A :class:`Request` from an HTTP trigger or API Gateway event."""
    headers = _str_map(event.get("headers"))
    query = _str_map(event.get("queryParameters"))
    if "requestContext" in event or "rawPath" in event:
        http = _as_dict(_as_dict(event.get("requestContext")).get("http"))
        method = http.get("method")
        path = event.get("rawPath") or http.get("path")
        source = "http"
        request_id = _as_dict(event.get("requestContext")).get("requestId") or request_id
    elif "httpMethod" in event:
        method = event.get("httpMethod")
        path = event.get("path")
        source = "apigateway"
    else:
        raise bad_request("unknown event shape")
    if not isinstance(method, str) or not isinstance(path, str) or not path.startswith("/"):
        raise bad_request("event has no method or path")
    if not (_utf8(method) and _utf8(path)):
        raise bad_request("method and path must be UTF-8")
    try:
        body = _body(event.get("body"), event.get("isBase64Encoded"))
    except HttpTooLarge:
        from .errors import HttpError

        raise HttpError(413, "TooLarge", "body too large")
    return Request(method.upper(), path, headers, query, body, source, str(request_id or ""))


def response(status, payload, headers=None):
    """An FC / API Gateway HTTP response with a JSON body."""
    out_headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    out_headers.update(headers or {})
    return {
        "isBase64Encoded": False,
        "statusCode": status,
        "headers": out_headers,
        "body": json.dumps(payload, sort_keys=True, separators=(",", ":")),
    }
