# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Aliyun on the collection's one resource loop (``_common/resource.py``).

An Aliyun resource's ``describe()`` already returns the user-facing dict, so ``normalize`` is
the identity; results carry no ``actions`` key (the Aliyun modules never returned one).
"""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError
from ansible_collections.opsforge.infra.plugins.module_utils._common.resource import Action, Resource


class AliyunResource(Resource):
    """``AliyunResource(client, params, check_mode)``; subclasses implement the loop's hooks.

    Without ``params`` it only reads (``describe()``), as the ``*_info`` modules do."""

    error_type = AliyunError
    report_actions = False

    def __init__(self, client, params=None, check_mode=False):
        super().__init__(params or {}, check_mode=check_mode)
        self.client = client

    def what(self):
        return "%s %s" % (self.result_key, self.params.get("name"))


__all__ = ["Action", "AliyunResource"]
