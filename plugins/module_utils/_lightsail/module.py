# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``LightsailModule``: amazon.aws's ``AnsibleAWSModule`` plus a ready :class:`LightsailClient`."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import ModuleBase
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import LightsailClient
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import client_config
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import default_retry


class LightsailModule(ModuleBase, AnsibleAWSModule):
    """The collection's module base (``require``, ``fail_error``, ``exit_result``, ``run``) on an AWS
    module with the usual credential options (profile, access_key, secret_key, session_token, region,
    endpoint_url, ...) -- per task or via
    ``module_defaults: group/opsforge.infra.lightsail`` -- and :meth:`lightsail`.

    Accepts an :class:`ArgumentSpec` as ``spec=`` (or the plain AnsibleModule keyword arguments);
    check mode is supported unless ``supports_check_mode=False`` is passed.
    """

    def __init__(self, spec=None, **kwargs):
        if spec is not None:
            kwargs.update(spec.module_kwargs())
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(**kwargs)
        self._lightsail_clients = {}

    def lightsail(self, region=None):
        """The :class:`LightsailClient` for ``region`` (default: the task's region), cached."""
        key = region or ""
        if key not in self._lightsail_clients:
            extra = {"region": region} if region else {}
            boto3_client = self.client("lightsail", config=client_config(), **extra)
            self._lightsail_clients[key] = LightsailClient(boto3_client, check_mode=self.check_mode, retry=default_retry())
        return self._lightsail_clients[key]

    def run_info(self, key, call, *args, **kwargs):
        """The one call of an ``_info`` module: ``call(*args, **kwargs)`` reads, and the task ends unchanged.

        Its answer goes under ``key`` (``static_ips: [...]``); with ``key=None`` the answer is a dict of
        result keys (``buckets``, ``bundles``, ...). A :class:`LightsailError` fails the task with its
        message, as :meth:`run` does.
        """
        def read():
            answer = call(*args, **kwargs)
            return dict({key: answer} if key else answer, changed=False)

        self.run(read)


def spec(argument_spec=None, **constraints):
    """Shorthand for ``ArgumentSpec(argument_spec, **constraints)``."""
    return ArgumentSpec(argument_spec, **constraints)
