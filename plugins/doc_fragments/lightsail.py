# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Shared options of the opsforge.infra Lightsail modules.

    Use C(opsforge.infra.lightsail) (notes, requirements, the action group) together with
    amazon.aws's C(amazon.aws.common.modules), C(amazon.aws.region.modules) and
    C(amazon.aws.boto3); add C(opsforge.infra.lightsail.wait) and C(opsforge.infra.lightsail.tags)
    where the module takes those options.
    """

    DOCUMENTATION = r"""
options: {}
notes:
  - Credentials, region and endpoint come from the usual amazon.aws options or environment
    variables, per task or for a whole play with C(module_defaults) on the action group
    C(group/opsforge.infra.lightsail) (which also receives C(group/amazon.aws.aws) defaults).
  - API calls that Lightsail throttles are retried with jittered exponential backoff, in one layer (botocore's own
    retries are turned off, whatever C(AWS_RETRY_MODE)/C(AWS_MAX_ATTEMPTS) say) - a call that stays throttled
    makes 6 requests and waits at most 50 seconds (about 25 on average) before the task fails.
  - Operations that Lightsail reports as C(Failed) make the task fail with the operation type,
    the resource and Lightsail's error code and details.
requirements:
  - boto3
  - botocore
"""

    WAIT = r"""
options:
  wait:
    description:
      - Wait until the operations Lightsail started have succeeded and the resource is ready.
      - With V(false) the module still waits between dependent steps of one run.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for each operation or state change before failing.
    type: int
    default: 300
"""

    TAGS = r"""
options:
  tags:
    description:
      - Tags (key-value pairs) of the resource. Lightsail stores them as lowercase C(key)/C(value) pairs.
      - Omitted (the default) leaves tags as they are; V({}) with O(purge_tags=true) removes them all.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove tags that are not in O(tags).
    type: bool
    default: true
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and the predicted result without changing anything.
    support: full
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) as C(diff.before) and C(diff.after).
    support: full
  idempotent:
    description:
      - A second run with the same arguments reports no change and makes exactly one read call per resource
        (more only where an option asks for extra data, such as SSH access details).
    support: full
"""

    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Reads only; there is no diff.
    support: none
  idempotent:
    description: Reads only; never changes anything.
    support: full
"""
