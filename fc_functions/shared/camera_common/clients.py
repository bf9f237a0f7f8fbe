"""SDK clients built from the function role's temporary credentials.

FC injects the role's STS credentials into ``context.credentials`` (and the
``ALIBABA_CLOUD_*`` variables). A long-lived access key (no security token) is refused:
functions never carry one.
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import sys
import time
import types
import urllib.parse
import uuid
from collections import namedtuple

from .errors import HttpError

LOG = logging.getLogger("camera")

Credentials = namedtuple("Credentials", ["access_key_id", "access_key_secret", "security_token"])


def credentials(context, env=None):
    env = os.environ if env is None else env
    creds = getattr(context, "credentials", None)
    ak = getattr(creds, "access_key_id", None) or getattr(creds, "accessKeyId", None) or env.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    sk = getattr(creds, "access_key_secret", None) or getattr(creds, "accessKeySecret", None) or env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    token = getattr(creds, "security_token", None) or getattr(creds, "securityToken", None) or env.get("ALIBABA_CLOUD_SECURITY_TOKEN")
    if not (ak and sk and token):
        raise HttpError(500, "Misconfigured", "function has no role credentials")
    return Credentials(ak, sk, token)


class AsyncOnly(types.ModuleType):
    """Stands in for ``aiohttp`` while ``tablestore`` is imported: only its AsyncOTSClient uses aiohttp.

    aiohttp is about half of tablestore's import time; the functions use the synchronous
    ``OTSClient``. Any use of the stand-in raises; ``import aiohttp`` afterwards loads the real one.
    """

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _async_only


def _async_only(*args, **kwargs):
    raise RuntimeError("aiohttp was not loaded: the camera functions use the synchronous OTSClient, not AsyncOTSClient")


def load_tablestore():
    """``import tablestore`` without loading aiohttp (see AsyncOnly)."""
    if "tablestore" in sys.modules:
        return sys.modules["tablestore"]
    stand_in = "aiohttp" not in sys.modules
    if stand_in:
        sys.modules["aiohttp"] = AsyncOnly("aiohttp")
    try:
        import tablestore
    finally:
        if stand_in and isinstance(sys.modules.get("aiohttp"), AsyncOnly):
            del sys.modules["aiohttp"]
    return tablestore


def ots_client(config, creds):
    tablestore = load_tablestore()
    return tablestore.OTSClient(
        config.ots_endpoint, creds.access_key_id, creds.access_key_secret, config.ots_instance,
        sts_token=creds.security_token, socket_timeout=5, max_connection=8,
    )


IP_HOST = re.compile(r"^[0-9.]+(:[0-9]+)?\Z")


def _object_url(endpoint, bucket, key):
    """Virtual-hosted URL of an object (path style on an IP endpoint, as oss2 does)."""
    scheme, host = endpoint.split("://", 1) if "://" in endpoint else ("https", endpoint)
    host = host.rstrip("/")
    quoted = urllib.parse.quote(key, safe="")
    if IP_HOST.match(host):
        return "%s://%s/%s/%s" % (scheme, host, bucket, quoted)
    return "%s://%s.%s/%s" % (scheme, bucket, host, quoted)


def oss_v1_signature(secret, verb, date, oss_headers, resource):
    """OSS V1 header signature: base64 HMAC-SHA1 of VERB, Content-MD5, Content-Type, Date, x-oss-* headers, resource."""
    canonical = "".join("%s:%s\n" % (k, oss_headers[k]) for k in sorted(oss_headers))
    to_sign = "%s\n\n\n%s\n%s%s" % (verb, date, canonical, resource)
    return base64.b64encode(hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1).digest()).decode("ascii")


def head_object(config, creds, key, now=None):
    """HEAD of one object with a V1-signed request: ``(status, {lower-case header: value})``.

    The one OSS call the functions make, without the oss2 SDK (a third of a second to import);
    ``requests`` comes with the FC Python runtime.
    """
    import requests

    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() if now is None else now))
    oss_headers = {"x-oss-security-token": creds.security_token}
    signature = oss_v1_signature(creds.access_key_secret, "HEAD", date, oss_headers, "/%s/%s" % (config.bucket, key))
    headers = dict(oss_headers, Date=date, Authorization="OSS %s:%s" % (creds.access_key_id, signature))
    try:
        response = requests.head(_object_url(config.oss_endpoint, config.bucket, key), headers=headers, timeout=5, allow_redirects=False)
    except requests.RequestException as exc:
        LOG.error(json.dumps({"event": "oss_error", "error": type(exc).__name__}))
        raise HttpError(503, "Unavailable", "object storage is unavailable, try again")
    return response.status_code, {k.lower(): v for k, v in response.headers.items()}


def presign_get(endpoint, bucket, key, creds, expires):
    """A V1 query-signed GET URL of ``bucket/key`` on ``endpoint`` (what ``oss2.Bucket.sign_url`` builds).

    Pure computation: no SDK import, no request. ``expires`` is an epoch second.
    """
    resource = "/%s/%s?security-token=%s" % (bucket, key, creds.security_token)
    to_sign = "GET\n\n\n%d\n%s" % (expires, resource)
    digest = hmac.new(creds.access_key_secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1).digest()
    query = urllib.parse.urlencode([
        ("OSSAccessKeyId", creds.access_key_id), ("Expires", str(expires)),
        ("Signature", base64.b64encode(digest).decode("ascii")), ("security-token", creds.security_token),
    ])
    return "%s?%s" % (_object_url(endpoint, bucket, key), query)


def _percent(value):
    return urllib.parse.quote(value, safe="-_.~")


def rpc_signature(params, method, secret):
    """Aliyun RPC signature (SignatureVersion 1.0, HMAC-SHA1) of a parameter dict."""
    canonical = "&".join("%s=%s" % (_percent(k), _percent(params[k])) for k in sorted(params))
    to_sign = "%s&%s&%s" % (method, _percent("/"), _percent(canonical))
    return base64.b64encode(hmac.new((secret + "&").encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1).digest()).decode("ascii")


def assume_role_request(config, creds, role_arn, session_name, policy, seconds, now, nonce):
    """The signed STS AssumeRole request: ``(url, form body bytes)``. The SDK sends the same."""
    params = {
        "Action": "AssumeRole", "Version": "2015-04-01", "Format": "JSON",
        "AccessKeyId": creds.access_key_id, "SecurityToken": creds.security_token,
        "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": nonce,
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "RoleArn": role_arn, "RoleSessionName": session_name, "Policy": policy, "DurationSeconds": str(int(seconds)),
    }
    params["Signature"] = rpc_signature(params, "POST", creds.access_key_secret)
    endpoint = config.sts_endpoint if "://" in config.sts_endpoint else "https://" + config.sts_endpoint
    return endpoint.rstrip("/") + "/", urllib.parse.urlencode(params).encode("ascii")


def sts_assume_role(config, creds, role_arn, session_name, policy, seconds, urlopen=None):
    """AssumeRole with a session policy; returns a dict of the temporary credentials.

    One small signed HTTPS request instead of the STS SDK (which costs half a second to import).
    """
    import urllib.request

    url, body = assume_role_request(config, creds, role_arn, session_name, policy, seconds, time.time(), uuid.uuid4().hex)
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with (urlopen or urllib.request.urlopen)(request, timeout=5) as response:
            data = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        LOG.error(json.dumps({"event": "sts_error", "error": type(exc).__name__, "status": getattr(exc, "code", None)}))
        raise HttpError(503, "Unavailable", "credential service is unavailable, try again")
    cred = data.get("Credentials") or {}
    return {
        "access_key_id": cred.get("AccessKeyId"),
        "access_key_secret": cred.get("AccessKeySecret"),
        "security_token": cred.get("SecurityToken"),
        "expiration": cred.get("Expiration"),
    }
