# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Client creation from the same auth options as kubernetes.core.

The options (``kubeconfig``, ``context``, ``host``, ``api_key``, ``validate_certs``,
``ca_cert``, ``client_cert``, ``client_key``, ``proxy``, ``no_proxy``, ``proxy_headers``,
``persist_config``, ``impersonate_user``, ``impersonate_groups``, ``username``,
``password``) and their ``K8S_AUTH_*`` environment fallbacks are kubernetes.core's own
(``args_common.AUTH_ARG_SPEC``, ``k8s.client.get_api_client``), so
``module_defaults: group/opsforge.infra.k8s`` shares them with ``kubernetes.core.k8s``.
"""

from __future__ import annotations

import copy
import traceback

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import K8sApi
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError, translate

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
    HAS_K8S_CORE = True
    K8S_CORE_IMPORT_ERROR = None
except ImportError:
    AUTH_ARG_SPEC = {}
    HAS_K8S_CORE = False
    K8S_CORE_IMPORT_ERROR = traceback.format_exc()


AUTH_SPEC = ArgumentSpec(copy.deepcopy(AUTH_ARG_SPEC))


def auth_params(params):
    """The auth options among ``params`` (only those set)."""
    return {k: params.get(k) for k in AUTH_ARG_SPEC if params.get(k) is not None}


def get_api(module, api_client=None, retries=3):
    """A :class:`K8sApi` for ``module``: dry run in check mode, auth from its options.

    ``api_client`` is injected by unit tests; otherwise kubernetes.core builds it.
    Fails the module (``missing_required_lib``) when kubernetes or kubernetes.core is absent;
    raises :class:`K8sError` when the configuration cannot be loaded.
    """
    if api_client is None:
        from ansible_collections.opsforge.infra.plugins.module_utils._k8s.api import kubernetes
        kubernetes.require(module)
        if not HAS_K8S_CORE:
            module.fail_json(msg="The kubernetes.core collection is required", exception=K8S_CORE_IMPORT_ERROR)
        api_client = build_api_client(module.params)
    return K8sApi(api_client, dry_run=module.check_mode, retries=retries)


def build_api_client(params):
    """A ``kubernetes.client.ApiClient`` from kubernetes.core's auth handling."""
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    try:
        k8s_client = get_api_client(**auth_params(params))
    except Exception as exc:  # pylint: disable=broad-except
        raise translate(exc, "configure", "the client") from exc
    # K8SClient -> K8SDynamicClient -> kubernetes.client.ApiClient (typed APIs share it)
    api_client = getattr(getattr(k8s_client, "client", None), "client", None)
    if api_client is None:
        raise K8sError("kubernetes.core returned no API client")
    return api_client
