# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Argument-spec pieces and small helpers shared by Lightsail modules."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import WAIT_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import state_spec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError

__all__ = ["TAGS_SPEC", "WAIT_SPEC", "ArgumentSpec", "state_spec", "invalid", "immutable_error"]


def invalid(msg, **details):
    """A :class:`LightsailError` for bad module input (code ``Invalid``), raised before any write."""
    return LightsailError(msg, code="Invalid", details=details)


def immutable_error(kind, name, field, current, desired, hint=None):
    """The error for a field Lightsail cannot change in place."""
    msg = "%s %s: %s is %r but %r was requested; Lightsail cannot change it in place" % (kind, name, field, current, desired)
    if hint:
        msg += " (%s)" % hint
    return LightsailError(msg, code="Immutable", details={"field": field, "current": current, "desired": desired})
