# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_environment``: typed and confined input, checked before the first write.

The path rule:

- a mount path (home or dataset) is absolute, has no ``..`` segment, is normalised
  (``/data//x/./y/`` becomes ``/data/x/y``), is not ``/`` and is not inside a system
  directory (:data:`RESERVED_DIRS`, which also holds the SSH key mount ``/etc/opsforge/ssh``);
- no dataset is mounted on the home directory or above it, and no mount path is used twice;
- a sub-path is relative to its volume, has no ``..`` segment and is normalised (``.`` or empty:
  the whole volume), so it can never leave the volume (Kubernetes would refuse it with a 422 only
  after the Secrets and the Service were written).
"""

from __future__ import annotations

import math
import posixpath

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError

RESERVED_DIRS = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/run", "/sbin", "/sys",
                 "/usr", "/var/run")

# The keys of the idle policy annotation the reaper reads (reaper.POLICY_KEYS), with their types.
IDLE_POLICY_TYPES = {"enabled": "bool", "threshold": "percent", "idle_minutes": 1, "grace_minutes": 0,
                     "min_runtime_minutes": 0}


def access_options():
    """gpu_environment's options for the ways into an environment (SSH, Jupyter, RDP), each off unless enabled."""
    return dict(
        ssh=dict(type="dict", options=dict(
            enabled=dict(type="bool", default=False),
            authorized_keys=dict(type="list", elements="str", default=[], no_log=True),
            port=dict(type="int", default=22),
        )),
        jupyter=dict(type="dict", options=dict(
            enabled=dict(type="bool", default=False),
            token=dict(type="str", no_log=True),
            port=dict(type="int", default=8888),
        )),
        rdp=dict(type="dict", options=dict(
            enabled=dict(type="bool", default=False),
            port=dict(type="int", default=3389),
        )),
    )


def _inside(path, directory):
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def mount_path(raw, what):
    """``raw`` as a normalised absolute mount path, or :class:`K8sError` naming ``what``."""
    if not isinstance(raw, str) or not raw.startswith("/"):
        raise K8sError("%s %r must be an absolute path" % (what, raw))
    if ".." in raw.split("/"):
        raise K8sError("%s %r must not contain '..'" % (what, raw))
    path = "/" + posixpath.normpath(raw).lstrip("/")
    if path == "/":
        raise K8sError("%s %r must not be the root directory" % (what, raw))
    for directory in RESERVED_DIRS:
        if _inside(path, directory):
            raise K8sError("%s %r is inside the system directory %s" % (what, raw, directory))
    return path


def sub_path(raw, what):
    """``raw`` as a normalised sub-path inside its volume (``None``: the whole volume)."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or raw.startswith("/"):
        raise K8sError("%s %r must be relative to the volume (no leading '/')" % (what, raw))
    if ".." in raw.split("/"):
        raise K8sError("%s %r must not contain '..'" % (what, raw))
    path = posixpath.normpath(raw)
    return None if path == "." else path


def check_mounts(home, datasets):
    """``datasets``: ``[(what, normalised path)]``. No dataset hides the home directory, no path twice."""
    seen = {home}
    for what, path in datasets:
        if _inside(home, path):
            raise K8sError("%s %r would hide the home directory %s" % (what, path, home))
        if path in seen:
            raise K8sError("%s: mount path %s is used twice" % (what, path))
        seen.add(path)


def duration(raw, what):
    """Seconds of a duration such as ``8h`` (``None`` when empty); more than 0."""
    try:
        seconds = C.parse_duration(raw)
    except ValueError as exc:
        raise K8sError("%s: %s" % (what, exc)) from None
    if seconds is not None and seconds <= 0:
        raise K8sError("%s %r must be longer than 0" % (what, raw))
    return seconds


def _minutes(key, value, minimum):
    what = "idle_policy.%s %r" % (key, value)
    if isinstance(value, bool):
        raise K8sError("%s must be a whole number of minutes" % what)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise K8sError("%s must be a whole number of minutes" % what) from None
    if not math.isfinite(number) or number != int(number):
        raise K8sError("%s must be a whole number of minutes" % what)
    if number < minimum:
        raise K8sError("%s must be at least %d" % (what, minimum))
    return int(number)


def _percent(key, value):
    what = "idle_policy.%s %r must be a number from 0 to 100" % (key, value)
    if isinstance(value, bool):
        raise K8sError(what)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise K8sError(what) from None
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise K8sError(what)
    return int(number) if number == int(number) else number


def idle_policy(raw):
    """The idle policy as the reaper reads it, typed (``None`` when not given)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise K8sError("idle_policy must be a dictionary, not %r" % (raw,))
    out = {}
    for key, value in raw.items():
        kind = IDLE_POLICY_TYPES.get(key)
        if kind is None:
            raise K8sError("idle_policy: unknown key %r (known: %s)" % (key, ", ".join(sorted(IDLE_POLICY_TYPES))))
        if kind == "bool":
            try:
                out[key] = boolean(value, strict=True)
            except TypeError:
                raise K8sError("idle_policy.%s %r must be true or false" % (key, value)) from None
        elif kind == "percent":
            out[key] = _percent(key, value)
        else:
            out[key] = _minutes(key, value, kind)
    return out


TOLERATION_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def tolerations(raw):
    """The ``tolerations`` option as pod tolerations (``key``, ``operator``, ``value``, ``effect``)."""
    out = []
    for number, item in enumerate(raw or [], 1):
        what = "tolerations[%d]" % number
        operator = item.get("operator") or "Equal"
        if operator not in ("Equal", "Exists"):
            raise K8sError("%s: operator %r must be Equal or Exists" % (what, operator))
        if operator == "Exists" and item.get("value"):
            raise K8sError("%s: operator Exists takes no value" % what)
        if operator == "Equal" and not item.get("key"):
            raise K8sError("%s: operator Equal needs a key" % what)
        if item.get("effect") and item["effect"] not in TOLERATION_EFFECTS:
            raise K8sError("%s: effect %r must be one of %s" % (what, item["effect"], ", ".join(TOLERATION_EFFECTS)))
        toleration = {"key": item.get("key"), "operator": operator, "value": item.get("value"), "effect": item.get("effect")}
        out.append({k: v for k, v in toleration.items() if v})
    return out
