# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Shared Aliyun (Alibaba Cloud) authentication options.
    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - Alibaba Cloud AccessKey ID.
      - Falls back to the E(ALIBABA_CLOUD_ACCESS_KEY_ID) environment variable, then to O(profile).
    type: str
    aliases: [access_key_id, aliyun_access_key]
  secret_key:
    description:
      - Alibaba Cloud AccessKey secret.
      - Falls back to the E(ALIBABA_CLOUD_ACCESS_KEY_SECRET) environment variable, then to O(profile).
    type: str
    aliases: [access_key_secret, aliyun_secret_key]
  security_token:
    description:
      - STS security token, when O(access_key) and O(secret_key) are temporary credentials.
      - Falls back to the E(ALIBABA_CLOUD_SECURITY_TOKEN) environment variable.
    type: str
    aliases: [sts_token]
  region:
    description:
      - Region ID, for example V(cn-hangzhou).
      - Falls back to the E(ALIBABA_CLOUD_REGION_ID) environment variable, then to O(profile).
    type: str
    aliases: [region_id]
  profile:
    description:
      - Name of a profile in the Aliyun CLI configuration C(~/.aliyun/config.json) (modes C(AK) and C(StsToken)).
      - Used for whatever the options above leave unset. Falls back to the E(ALIBABA_CLOUD_PROFILE) environment variable.
      - When no keys are given and the file exists, its current profile is used.
    type: str
notes:
  - Throttling errors are retried with jittered exponential backoff.
  - All modules of this family are in the action group C(opsforge.infra.aliyun), so the options above can be set
    once for all of them with C(module_defaults) and C(group/opsforge.infra.aliyun).
requirements:
  - python >= 3.8
"""

    # check_mode and idempotent of the Aliyun resource modules (each describes its own diff).
    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Predicts the changes without making them.
  idempotent:
    support: full
    description: A second run with the same options changes nothing.
"""

    # The Aliyun _info modules.
    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing changes.
  idempotent:
    support: full
    description: Reads only.
"""

    # Where the Function Compute 3.0 API is (fc_function, fc_function_info).
    FC = r"""
options:
  account_id:
    description:
      - Alibaba Cloud account ID; the FC 3.0 endpoint is C(<account_id>.<region>.fc.aliyuncs.com).
      - Falls back to the E(ALIBABA_CLOUD_ACCOUNT_ID) environment variable. Not needed when O(endpoint) is set.
    type: str
  endpoint:
    description: FC 3.0 API endpoint.
    type: str
"""

    # Where the OSS API is (oss_bucket, oss_bucket_info).
    OSS = r"""
options:
  endpoint:
    description: OSS endpoint. Defaults to C(https://oss-<region>.aliyuncs.com).
    type: str
"""
