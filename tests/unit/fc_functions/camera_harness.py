# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test harness for the camera functions: they are plain Python, imported by path.

Each handler is loaded as ``camera_<function>`` from ``fc_functions/<function>/index.py``
with ``fc_functions/shared`` on ``sys.path`` (as in the package, where ``camera_common``
sits beside ``index.py``).
"""

import base64
import copy
import hashlib
import hmac
import importlib.util
import json
import os
import sys
import urllib.parse

import responses

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FC = os.path.join(ROOT, "fc_functions")
SHARED = os.path.join(FC, "shared")
if SHARED not in sys.path:
    sys.path.insert(0, SHARED)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from camera_common import clients, security  # noqa: E402
from camera_common.config import load  # noqa: E402
from camera_common.runtime import Services  # noqa: E402
from fake_ots import camera_tables  # noqa: E402

FUNCTIONS = ("device_manager", "upload_handler", "image_query")
NOW = 1795341600.0
SIGNING_KEY = "k" * 48
BUCKET = "camera-test"
OSS_ENDPOINT = "https://oss-cn-hangzhou-internal.aliyuncs.com"
OBJECT_BASE = "https://%s.oss-cn-hangzhou-internal.aliyuncs.com/" % BUCKET
PUBLIC_BASE = "https://%s.oss-cn-hangzhou.aliyuncs.com/" % BUCKET
ENV = {
    "CAMERA_REGION": "cn-hangzhou",
    "CAMERA_BUCKET": BUCKET,
    "CAMERA_OSS_ENDPOINT": OSS_ENDPOINT,
    "CAMERA_OTS_ENDPOINT": "https://camera.cn-hangzhou.vpc.tablestore.aliyuncs.com",
    "CAMERA_OTS_INSTANCE": "camera",
    "CAMERA_DEVICE_ROLE_ARN": "acs:ram::1234567890123456:role/camera-device-upload",
    "CAMERA_READER_ROLE_ARN": "acs:ram::1234567890123456:role/camera-device-read",
    "CAMERA_SIGNING_KEY": SIGNING_KEY,
}


def load_handler(name):
    module_name = "camera_%s" % name
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, os.path.join(FC, name, "index.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def event_fixture(name):
    with open(os.path.join(HERE, "events", name)) as handle:
        return json.load(handle)


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


class Context:
    request_id = "req-test-0001"
    function = None
    credentials = None


class Camera:
    """The backend under test: fake Tablestore, stubbed OSS, recorded STS calls and webhooks."""

    def __init__(self, oss_mock):
        self.config = load(dict(ENV))
        self.ots = camera_tables()
        self.clock = Clock()
        self.oss_mock = oss_mock
        self.sts_calls = []
        self.sent = []
        self.send_result = (200, b'{"code":0}')
        self.send_error = None
        function_creds = clients.Credentials("STS.test", "secret", "token")
        self.services = Services(self.config, ots_client=self.ots, head=lambda key: clients.head_object(self.config, function_creds, key),
                                 assume_role=self._assume, send=self._send, clock=self.clock)
        self.handlers = {name: load_handler(name) for name in FUNCTIONS}
        self._nonce = 0

    def _assume(self, role_arn, session_name, policy, seconds):
        self.sts_calls.append(dict(role_arn=role_arn, session_name=session_name, policy=policy, seconds=seconds))
        n = len(self.sts_calls)
        return {"access_key_id": "STS.session%d" % n, "access_key_secret": "secret%d" % n, "security_token": "token%d" % n,
                "expiration": "2026-11-22T10:15:00Z"}

    def _send(self, url, body):
        self.sent.append((url, body))
        if self.send_error is not None:
            raise self.send_error
        return self.send_result

    def call(self, function, event):
        """Invoke like FC does (event as bytes) and decode the JSON answer."""
        raw = json.dumps(event).encode("utf-8")
        result = self.handlers[function].handler(raw, Context(), services=self.services)
        if "statusCode" in result:
            return result["statusCode"], json.loads(result["body"])
        return 200, result

    # ------------------------------------------------------------- event builders
    def owner_token(self, owner, expires=None):
        """What the operator hands an owner's service at onboarding (fc_functions/owner_token.py)."""
        if not security.OWNER_ID_RE.match(owner):
            return owner  # no owner id a token could carry: send the junk as it is
        return security.make_owner_token(SIGNING_KEY, owner, self.clock.now + 86400 if expires is None else expires)

    def owner_event(self, method, path, owner="owner-1", body=None, query=None, gateway=False, token=None):
        """An owner request: ``owner`` gets a valid owner token; ``token`` sends that raw header instead."""
        if gateway:
            event = event_fixture("apigateway.json")
            event.update(httpMethod=method, path=path, queryParameters=query or {}, body=json.dumps(body) if body is not None else "")
        else:
            event = copy.deepcopy(event_fixture("http_trigger_base64.json"))
            event["rawPath"] = path
            event["requestContext"]["http"].update(method=method, path=path)
            event["queryParameters"] = query or {}
            event["body"] = base64.b64encode(json.dumps(body if body is not None else {}).encode()).decode()
        if token is None and owner is not None:
            token = self.owner_token(owner)
        if token is not None:
            event["headers"]["X-Camera-Owner-Token"] = token
        return event

    def register(self, device_id="cam-1", owner="owner-1", webhook=None):
        body = {"device_id": device_id}
        if webhook:
            body["webhook"] = webhook
        status, payload = self.call("device_manager", self.owner_event("POST", "/register", owner, body))
        assert status == 201, payload
        return payload["device_secret"]

    def device_event(self, device_id, secret, path, body=None, method="POST", nonce=None, timestamp=None, base64_body=True):
        raw = json.dumps(body if body is not None else {}).encode("utf-8")
        self._nonce += 1
        nonce = nonce or ("nonce-%012d-abcdef" % self._nonce)
        timestamp = str(int(self.clock.now if timestamp is None else timestamp))
        event = copy.deepcopy(event_fixture("http_trigger_base64.json"))
        event["rawPath"] = path
        event["requestContext"]["http"].update(method=method, path=path)
        event["body"] = base64.b64encode(raw).decode("ascii") if base64_body else raw.decode("utf-8")
        event["isBase64Encoded"] = base64_body
        event["headers"].update({
            "X-Camera-Device": device_id,
            "X-Camera-Timestamp": timestamp,
            "X-Camera-Nonce": nonce,
            "X-Camera-Signature": security.sign(secret, method, path, timestamp, nonce, raw),
        })
        return event

    def stub_object(self, key, size=48213, status=200, object_type="Normal"):
        """HEAD of ``key`` as OSS answers it (``object_type``: Normal, Multipart, Appendable, Symlink)."""
        headers = {"Content-Length": str(size), "ETag": '"0CC175B9C0F1B6A831C399E269772661"', "x-oss-request-id": "6560A1B2"}
        if status == 200:
            headers["x-oss-object-type"] = object_type
        self.oss_mock.add(responses.HEAD, OBJECT_BASE + urllib.parse.quote(key, safe=""), status=status, headers=headers)


def oss_v1_url_signature_ok(url, key, secret, token, bucket=BUCKET, method="GET"):
    """Whether ``url`` carries the OSS V1 query signature of ``method`` on ``bucket/key`` made with ``secret``,
    computed here from OSS's documented string-to-sign (not with the signer under test nor with oss2):
    VERB, Content-MD5, Content-Type, Expires, then the resource with its security-token sub-resource,
    HMAC-SHA1 with the AccessKeySecret, base64."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    to_sign = "%s\n\n\n%s\n/%s/%s?security-token=%s" % (method, query["Expires"][0], bucket, key, token)
    expected = base64.b64encode(hmac.new(secret.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    return query.get("Signature") == [expected]
