# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Shared auth options, credential resolution, lazily imported SDKs, and the one flow of every Aliyun module
(:func:`run_flow`: libraries checked, credentials resolved, client built, resource converged).

Each module's ``main()`` is ``module = OpsforgeModule(spec=argument_spec())`` and
``module.run(<family call>, module)``; the family call (``fc.run_fc_function``, ``oss.run_oss_bucket_info``, ...)
names its libraries, its client and its work (converge or describe) and hands them to :func:`run_flow`.
"""

from __future__ import annotations

import json
import os

from ansible.module_utils.basic import env_fallback

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._common.imports import LazyLibrary

OSS2 = LazyLibrary("oss2")
TABLESTORE = LazyLibrary("tablestore")
TEA_OPENAPI = LazyLibrary("alibabacloud_tea_openapi.models", pip_name="alibabacloud-tea-openapi")
FC_CLIENT = LazyLibrary("alibabacloud_fc20230330.client", pip_name="alibabacloud-fc20230330")
FC_MODELS = LazyLibrary("alibabacloud_fc20230330.models", pip_name="alibabacloud-fc20230330")
RAM_CLIENT = LazyLibrary("alibabacloud_ram20150501.client", pip_name="alibabacloud-ram20150501")
RAM_MODELS = LazyLibrary("alibabacloud_ram20150501.models", pip_name="alibabacloud-ram20150501")

AUTH_SPEC = ArgumentSpec(
    dict(
        access_key=dict(type="str", aliases=["access_key_id", "aliyun_access_key"], no_log=False,
                        fallback=(env_fallback, ["ALIBABA_CLOUD_ACCESS_KEY_ID"])),
        secret_key=dict(type="str", aliases=["access_key_secret", "aliyun_secret_key"], no_log=True,
                        fallback=(env_fallback, ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])),
        security_token=dict(type="str", aliases=["sts_token"], no_log=True, fallback=(env_fallback, ["ALIBABA_CLOUD_SECURITY_TOKEN"])),
        region=dict(type="str", aliases=["region_id"], fallback=(env_fallback, ["ALIBABA_CLOUD_REGION_ID"])),
        profile=dict(type="str", fallback=(env_fallback, ["ALIBABA_CLOUD_PROFILE"])),
    )
)

PROFILE_FILE = os.path.join("~", ".aliyun", "config.json")


class Credentials:
    def __init__(self, access_key, secret_key, security_token, region):
        self.access_key = access_key
        self.secret_key = secret_key
        self.security_token = security_token
        self.region = region


def _profile(name, path=None):
    path = os.path.expanduser(path or PROFILE_FILE)
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise AliyunError("cannot read Aliyun CLI profile %s from %s: %s" % (name or "(current)", path, exc))
    name = name or data.get("current") or "default"
    for profile in data.get("profiles") or []:
        if profile.get("name") == name:
            if profile.get("mode") not in ("AK", "StsToken"):
                raise AliyunError("profile %s uses mode %s; only AK and StsToken profiles are supported" % (name, profile.get("mode")))
            return profile
    raise AliyunError("profile %s is not in %s" % (name, path))


def credentials(params, profile_path=None):
    """Resolve credentials: explicit options / environment first, then the named CLI profile."""
    access_key = params.get("access_key")
    secret_key = params.get("secret_key")
    token = params.get("security_token")
    region = params.get("region")
    if params.get("profile") or not (access_key and secret_key):
        if params.get("profile") or os.path.exists(os.path.expanduser(profile_path or PROFILE_FILE)):
            profile = _profile(params.get("profile"), profile_path)
            access_key = access_key or profile.get("access_key_id")
            secret_key = secret_key or profile.get("access_key_secret")
            token = token or profile.get("sts_token") or None
            region = region or profile.get("region_id")
    if not (access_key and secret_key):
        raise AliyunError("no Aliyun credentials: set access_key and secret_key (or ALIBABA_CLOUD_ACCESS_KEY_ID / "
                          "ALIBABA_CLOUD_ACCESS_KEY_SECRET), or a profile")
    if not region:
        raise AliyunError("no region: set region (or ALIBABA_CLOUD_REGION_ID)")
    return Credentials(access_key, secret_key, token, region)


def openapi_config(creds, endpoint):
    return TEA_OPENAPI.Config(
        access_key_id=creds.access_key, access_key_secret=creds.secret_key, security_token=creds.security_token,
        region_id=creds.region, endpoint=endpoint, read_timeout=60000, connect_timeout=10000,
    )


def run_flow(module, libraries, connect, work, default_region=None):
    """The flow every Aliyun module shares; returns the module's result dict.

    Each of ``libraries`` (:class:`LazyLibrary`) must be present and new enough (else the task fails naming its pip
    package, before anything is done); credentials come from the options, the environment or the CLI profile
    (``default_region`` where neither names a region); ``connect(creds, params)`` builds the SDK client and
    ``work(client, params, check_mode)`` converges or describes the resource. Failures are :class:`AliyunError`.
    """
    for library in libraries:
        module.require(library)
    params = module.params
    creds = credentials(dict(params, region=params.get("region") or default_region) if default_region else params)
    return work(connect(creds, params), params, module.check_mode)
