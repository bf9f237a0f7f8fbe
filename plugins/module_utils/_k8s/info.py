# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_environment_info``'s one call: the environments a workspace (or namespace), name, owner and
states select, as ``gpu_environment`` returns them. Reads only."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_view import list_environments


def environment_info(api, params):
    """``{"changed": False, "environments": [...]}`` for the ``gpu_environment_info`` options ``params``.

    A workspace without a namespace is looked for in ``ws-<workspace>``; ``state`` (a list) keeps the
    environments in one of those states.
    """
    workspace = params.get("workspace")
    namespace = C.workspace_namespace(workspace, params.get("namespace")) if workspace else params.get("namespace")
    environments = list_environments(api, namespace=namespace, workspace=workspace, name=params.get("name"),
                                     owner=params.get("owner"))
    if params.get("state"):
        environments = [e for e in environments if e["state"] in params["state"]]
    return {"changed": False, "environments": environments}
