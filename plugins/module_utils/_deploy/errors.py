# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one error type of the deploy family."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError


class DeployError(OpsforgeError):
    """A deploy could not be done (bad input, lock held, failed step, failed rollback).

    ``details`` may carry ``deploy`` (the record of the failed deploy), ``lock_owner`` or
    ``deploy_event`` so that the failing task still returns what happened. ``status`` is the deploy
    status a failed stage ends in: ``failed`` or ``timeout``.
    """

    def __init__(self, msg, details=None, cause=None, status="failed"):
        super().__init__(msg, details=details, cause=cause)
        self.status = status

    @property
    def message(self):
        return self.msg
