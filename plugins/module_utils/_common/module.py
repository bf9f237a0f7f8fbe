# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The one module base of this collection.

Every module is written the same way::

    def main():
        module = OpsforgeModule(spec=FAMILY_SPEC)          # argument spec from the family package
        module.require(SDK)                                # optional: library present and new enough
        module.run(family_call, module.params, check_mode=module.check_mode)   # one call -> exit

:meth:`ModuleBase.run` makes the one call and ends the task: its result dict is the module's
return value (``warnings`` in it become Ansible warnings) and a family error (any
:class:`OpsforgeError`) fails the task with its message and details. Nothing else is caught: a bug
stays a traceback. Lightsail modules get the same methods from ``LightsailModule``.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._common.errors import OpsforgeError


def require(module, library, minimum=None):
    """Return the module that ``library`` (a :class:`LazyLibrary`) imports, or fail ``module`` naming the pip
    package and the minimum version (``minimum``, else the floor in ``MINIMUM_VERSIONS``)."""
    problem = library.problem(minimum)
    if problem is not None:
        msg, trace = problem
        kwargs = {"exception": trace} if trace else {}
        module.fail_json(msg=msg, **kwargs)
    return library.load()


class ModuleBase:
    """The methods every module of this collection fails, exits and checks libraries with.

    Mixed into :class:`OpsforgeModule` (an ``AnsibleModule``) and ``LightsailModule`` (an
    ``AnsibleAWSModule``); only ``fail_json``, ``exit_json`` and ``warn`` of the host class are used.
    """

    def require(self, library, minimum=None):
        """See :func:`require`."""
        return require(self, library, minimum=minimum)

    def fail_error(self, error, **extra):
        """The one way to fail: ``error``'s message and details (``extra`` added).

        The traceback of an SDK exception that caused it goes in ``exception`` (shown with -vvv);
        an error of our own has none.
        """
        kwargs = error.fail_kwargs()
        kwargs.update(extra)
        self.fail_json(**kwargs)

    def exit_result(self, result=None, **extra):
        """The one way to exit: ``exit_json(**result)``, ``result["warnings"]`` turned into ``warn()``."""
        result = dict(result or {}, **extra)
        for warning in result.pop("warnings", None) or []:
            self.warn(warning)
        self.exit_json(**result)

    def run(self, call, *args, **kwargs):
        """Make the module's one call and end the task with its result, or fail with its family error."""
        try:
            result = call(*args, **kwargs)
        except OpsforgeError as error:
            self.fail_error(error)
        self.exit_result(result)


class OpsforgeModule(ModuleBase, AnsibleModule):
    """``AnsibleModule`` built from an :class:`ArgumentSpec` (``spec=``) or a plain argument spec
    dict, check mode supported unless ``supports_check_mode=False``."""

    def __init__(self, spec=None, **kwargs):
        if isinstance(spec, ArgumentSpec):
            kwargs.update(spec.module_kwargs())
        elif spec is not None:
            kwargs["argument_spec"] = spec
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(**kwargs)
