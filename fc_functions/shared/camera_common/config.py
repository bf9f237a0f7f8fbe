"""Configuration from the function's environment (set by Terraform or the Ansible role)."""

import os
from collections import namedtuple

Config = namedtuple(
    "Config",
    [
        "region",
        "bucket",
        "oss_endpoint",
        "oss_public_endpoint",
        "ots_endpoint",
        "ots_instance",
        "images_table",
        "devices_table",
        "nonces_table",
        "device_role_arn",
        "reader_role_arn",
        "sts_endpoint",
        "signing_key",
        "clock_skew",
        "token_seconds",
        "url_seconds",
        "max_limit",
    ],
)


class ConfigError(Exception):
    pass


def _int(env, name, default, low, high):
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError("%s must be an integer" % name)
    if not low <= value <= high:
        raise ConfigError("%s must be between %d and %d" % (name, low, high))
    return value


def load(env=None):
    """Read the configuration; raise ConfigError naming the first missing or bad variable."""
    env = os.environ if env is None else env
    region = env.get("CAMERA_REGION") or env.get("FC_REGION") or env.get("ALIBABA_CLOUD_REGION_ID") or ""
    values = dict(
        region=region,
        bucket=env.get("CAMERA_BUCKET", ""),
        # server-side calls (HEAD) may use the internal endpoint; URLs handed to people must use the public one
        oss_endpoint=env.get("CAMERA_OSS_ENDPOINT") or ("https://oss-%s-internal.aliyuncs.com" % region),
        oss_public_endpoint=env.get("CAMERA_OSS_PUBLIC_ENDPOINT") or ("https://oss-%s.aliyuncs.com" % region),
        ots_endpoint=env.get("CAMERA_OTS_ENDPOINT", ""),
        ots_instance=env.get("CAMERA_OTS_INSTANCE", ""),
        images_table=env.get("CAMERA_IMAGES_TABLE", "images"),
        devices_table=env.get("CAMERA_DEVICES_TABLE", "devices"),
        nonces_table=env.get("CAMERA_NONCES_TABLE", "device_nonces"),
        device_role_arn=env.get("CAMERA_DEVICE_ROLE_ARN", ""),
        reader_role_arn=env.get("CAMERA_READER_ROLE_ARN", ""),
        # the public endpoint unless the deployment says otherwise (sts-vpc.<region> needs the function in a VPC)
        sts_endpoint=env.get("CAMERA_STS_ENDPOINT") or ("sts.%s.aliyuncs.com" % region),
        signing_key=env.get("CAMERA_SIGNING_KEY", ""),
        clock_skew=_int(env, "CAMERA_CLOCK_SKEW", 300, 30, 900),
        token_seconds=_int(env, "CAMERA_TOKEN_SECONDS", 900, 900, 900),
        url_seconds=_int(env, "CAMERA_URL_SECONDS", 300, 60, 3600),
        max_limit=_int(env, "CAMERA_MAX_LIMIT", 100, 1, 1000),
    )
    for required in ("region", "bucket", "ots_endpoint", "ots_instance", "signing_key"):
        if not values[required]:
            raise ConfigError("missing configuration: %s" % required)
    if len(values["signing_key"]) < 32:
        raise ConfigError("CAMERA_SIGNING_KEY must be at least 32 characters")
    return Config(**values)
