# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Small helpers to build ``AnsibleModule`` argument specs from shared pieces."""

from __future__ import annotations

import copy


class ArgumentSpec:
    """An argument spec plus its constraints, mergeable with others.

    >>> spec = ArgumentSpec(dict(name=dict(type="str", required=True)))
    >>> spec.merge(WAIT_SPEC)
    >>> module = AnsibleModule(supports_check_mode=True, **spec.module_kwargs())
    """

    def __init__(self, argument_spec=None, mutually_exclusive=None, required_together=None,
                 required_one_of=None, required_if=None, required_by=None):
        self.argument_spec = copy.deepcopy(argument_spec or {})
        self.mutually_exclusive = list(mutually_exclusive or [])
        self.required_together = list(required_together or [])
        self.required_one_of = list(required_one_of or [])
        self.required_if = list(required_if or [])
        self.required_by = dict(required_by or {})

    def merge(self, other):
        duplicated = set(self.argument_spec) & set(other.argument_spec)
        if duplicated:
            raise ValueError("option(s) defined twice: %s" % ", ".join(sorted(duplicated)))
        self.argument_spec.update(copy.deepcopy(other.argument_spec))
        self.mutually_exclusive.extend(other.mutually_exclusive)
        self.required_together.extend(other.required_together)
        self.required_one_of.extend(other.required_one_of)
        self.required_if.extend(other.required_if)
        self.required_by.update(other.required_by)
        return self

    def module_kwargs(self):
        kwargs = dict(argument_spec=self.argument_spec)
        for key in ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by"):
            value = getattr(self, key)
            if value:
                kwargs[key] = value
        return kwargs


def state_spec(*choices, default="present"):
    """``state`` option with the given choices."""
    return ArgumentSpec(dict(state=dict(type="str", default=default, choices=list(choices or ("present", "absent")))))


WAIT_SPEC = ArgumentSpec(
    dict(
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
)

TAGS_SPEC = ArgumentSpec(
    dict(
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
)


def compare_tags(current, desired, purge=True):
    """Return ``(to_set, to_remove)`` turning ``current`` tag dict into ``desired``.

    ``desired=None`` means "leave tags alone".
    """
    current = dict(current or {})
    if desired is None:
        return {}, []
    desired = {str(k): ("" if v is None else str(v)) for k, v in desired.items()}
    to_set = {k: v for k, v in desired.items() if current.get(k) != v}
    to_remove = sorted(k for k in current if k not in desired) if purge else []
    return to_set, to_remove


def snake_dict(value):
    """Recursively turn CamelCase / camelCase dict keys into snake_case (tags left alone)."""
    if isinstance(value, dict):
        return {_snake(k): (v if k in ("tags", "Tags") and isinstance(v, dict) else snake_dict(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_dict(v) for v in value]
    return value


def _snake(name):
    out = []
    for i, char in enumerate(name):
        if char.isupper():
            prev_lower = i > 0 and (name[i - 1].islower() or name[i - 1].isdigit())
            next_lower = i + 1 < len(name) and name[i + 1].islower()
            if i > 0 and (prev_lower or (next_lower and name[i - 1].isupper())):
                out.append("_")
            out.append(char.lower())
        else:
            out.append(char)
    return "".join(out)
