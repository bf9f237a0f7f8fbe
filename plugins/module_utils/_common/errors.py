# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The base error type shared by every module family.

Each family (``_lightsail``, ``_k8s``, ``_aliyun``, ``_deploy``) derives exactly one error
type from :class:`OpsforgeError` and translates its SDK's exceptions into it in one place.
Modules never catch it themselves: ``module.run(call)`` or ``module.fail_error(error)``
(``_common/module.py``) turn it into the task's failure.
"""

from __future__ import annotations

import traceback


class OpsforgeError(Exception):
    """Base error of this collection.

    ``msg`` is what the user reads. ``details`` is a dict of extra, JSON-safe facts that are
    returned beside ``msg`` (for example the AWS error code or the owner of a lock).
    ``cause`` is the original exception, kept for the traceback.
    """

    def __init__(self, msg, details=None, cause=None):
        super().__init__(msg)
        self.msg = msg
        self.details = dict(details or {})
        self.cause = cause

    def __str__(self):
        return self.msg

    def fail_kwargs(self):
        """Keyword arguments for ``AnsibleModule.fail_json``: ``msg`` and the details.

        Only an SDK exception that caused the error adds its traceback (``exception``, shown with
        -vvv); our own errors say everything in ``msg``.
        """
        kwargs = dict(self.details)
        kwargs["msg"] = self.msg
        if self.cause is not None:
            kwargs["exception"] = "".join(
                traceback.format_exception(type(self.cause), self.cause, self.cause.__traceback__)
            )
        return kwargs
