"""SDK clients built from the function role's temporary credentials.

FC injects the role's STS credentials into ``context.credentials`` (and the
``ALIBABA_CLOUD_*`` variables). A long-lived access key (no security token) is refused:
functions never carry one.
"""

import os
from collections import namedtuple

from .errors import HttpError

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


def ots_client(config, creds):
    import tablestore

    return tablestore.OTSClient(
        config.ots_endpoint, creds.access_key_id, creds.access_key_secret, config.ots_instance,
        sts_token=creds.security_token, socket_timeout=5, max_connection=8,
    )


def oss_bucket(config, creds):
    import oss2

    auth = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token)
    return oss2.Bucket(auth, config.oss_endpoint, config.bucket, connect_timeout=5)


def sts_assume_role(config, creds, role_arn, session_name, policy, seconds):
    """AssumeRole with a session policy; returns a dict of the temporary credentials."""
    from alibabacloud_sts20150401 import models as sts_models
    from alibabacloud_sts20150401.client import Client
    from alibabacloud_tea_openapi import models as open_api_models

    client = Client(open_api_models.Config(
        access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
        security_token=creds.security_token, endpoint=config.sts_endpoint, region_id=config.region,
    ))
    body = client.assume_role(sts_models.AssumeRoleRequest(
        role_arn=role_arn, role_session_name=session_name, policy=policy, duration_seconds=seconds,
    )).body
    cred = body.credentials
    return {
        "access_key_id": cred.access_key_id,
        "access_key_secret": cred.access_key_secret,
        "security_token": cred.security_token,
        "expiration": cred.expiration,
    }
