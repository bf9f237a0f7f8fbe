# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Names shared by every GPU platform module: labels, annotations, resource keys.

This is the contract between the modules that *write* the platform objects
(``gpu_workspace``, ``gpu_environment``, ``gpu_node``) and those that *read* them
(``gpu_environment_info``, ``gpu_node_info``, ``gpu_reaper``, ``gpu_usage_report``).

Objects
-------
- A **workspace** is a namespace (``ws-<workspace>`` unless the user names it) labelled
  :data:`NAMESPACE_KIND_LABEL` = :data:`NAMESPACE_KIND_WORKSPACE` and
  :data:`WORKSPACE_LABEL` = ``<workspace>``.
- An **environment** is a StatefulSet of one replica named ``<environment>`` in the
  workspace namespace. It, its pod template, its Service (``<environment>``), its Secrets
  (``<environment>-ssh``, ``<environment>-jupyter``) and its home PVC
  (``home-<environment>-0``, from the volumeClaimTemplate ``home``) carry the four
  labels of :func:`environment_labels`. Select all of them with
  :func:`environment_selector`.

Lifecycle (metering reads it)
-----------------------------
The StatefulSet annotation :data:`LIFECYCLE_ANNOTATION` holds a JSON list of events,
oldest first, appended by ``gpu_environment`` at each state change::

    [{"event": "created", "at": "2026-11-23T01:00:00Z", "gpus": 2,
      "gpu_model": "NVIDIA-A100-SXM4-80GB", "resource_key": "nvidia.com/gpu",
      "cpu": "8", "memory": "64Gi", "storage": "100Gi"}, ...]

``event`` is one of :data:`LIFECYCLE_EVENTS`. ``at`` is RFC 3339 UTC with a ``Z``
(:func:`rfc3339`). A running interval starts at ``created``/``started``/``restarted``
and ends at ``stopped``/``deleted``. ``gpu_model`` is ``""`` when no model was asked for.
Other writers (the reaper) append with :func:`append_lifecycle` so the format stays one.
"""

from __future__ import annotations

import datetime
import json

# --- labels on every object an environment owns ---------------------------------------
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "opsforge"
WORKSPACE_LABEL = "opsforge.io/workspace"
ENVIRONMENT_LABEL = "opsforge.io/environment"
OWNER_LABEL = "opsforge.io/owner"

# --- namespace labels --------------------------------------------------------------------
NAMESPACE_KIND_LABEL = "opsforge.io/kind"
NAMESPACE_KIND_WORKSPACE = "workspace"
NAMESPACE_PREFIX = "ws-"

# --- StatefulSet annotations ---------------------------------------------------------------
LIFECYCLE_ANNOTATION = "opsforge.io/lifecycle"
MAX_LIFETIME_ANNOTATION = "opsforge.io/max-lifetime"  # e.g. "8h", "30m", "2d"; optional
IDLE_POLICY_ANNOTATION = "opsforge.io/idle-policy"  # JSON object; optional
STOPPED_BY_ANNOTATION = "opsforge.io/stopped-by"  # e.g. "user", "reaper:idle", "reaper:lifetime", "gpu_node:drain"
NOTICE_ANNOTATION = "opsforge.io/notice"  # free text shown to users (e.g. drain notice)
RESTARTED_AT_ANNOTATION = "opsforge.io/restarted-at"  # on the pod template; changing it restarts the pod
MAINTENANCE_ANNOTATION = "opsforge.io/maintenance"  # on a Node in maintenance: the reason
GPU_NODE_LABEL = "opsforge.io/gpu-node"  # "true" on nodes registered with gpu_node

# When gpu_environment deletes an environment it appends the "deleted" event and copies the
# whole lifecycle into this ConfigMap of the workspace namespace: data[<environment>] is the
# JSON list of every event of every incarnation of that name, oldest first. Metering reads
# it for environments that no longer exist.
LIFECYCLE_ARCHIVE_CONFIGMAP = "opsforge-lifecycle-archive"

LIFECYCLE_EVENTS = ("created", "started", "stopped", "restarted", "deleted")
RUNNING_EVENTS = ("created", "started", "restarted")
STOPPING_EVENTS = ("stopped", "deleted")

# --- GPU resource keys and node labels ----------------------------------------------------
GPU_RESOURCE = "nvidia.com/gpu"
GPU_SHARED_RESOURCE = "nvidia.com/gpu.shared"
MIG_RESOURCE_PREFIX = "nvidia.com/mig-"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
GPU_MEMORY_LABEL = "nvidia.com/gpu.memory"  # MiB, as set by GPU feature discovery
GPU_COUNT_LABEL = "nvidia.com/gpu.count"
MIG_STRATEGY_LABEL = "nvidia.com/mig.strategy"
GPU_TAINT_KEY = "nvidia.com/gpu"

SHARING_MODES = ("whole", "mig", "time-sliced")

# --- object names ---------------------------------------------------------------------------
HOME_VOLUME = "home"
SSH_SECRET_SUFFIX = "-ssh"
JUPYTER_SECRET_SUFFIX = "-jupyter"
QUOTA_NAME = "opsforge-quota"
LIMITRANGE_NAME = "opsforge-defaults"
NETWORKPOLICY_NAME = "opsforge-isolation"
ROLEBINDING_PREFIX = "opsforge-member-"

# --- ports ------------------------------------------------------------------------------------
SSH_PORT = 22
JUPYTER_PORT = 8888
RDP_PORT = 3389


def is_gpu_resource(key):
    """True for every resource key that counts as GPUs (whole, MIG slice, time-sliced)."""
    return key == GPU_RESOURCE or key == GPU_SHARED_RESOURCE or key.startswith(MIG_RESOURCE_PREFIX)


def resource_key(sharing="whole", mig_profile=None):
    """The extended resource name a pod requests for ``sharing`` mode.

    >>> resource_key("mig", "1g.10gb")
    'nvidia.com/mig-1g.10gb'
    """
    if sharing == "mig":
        if not mig_profile:
            raise ValueError("sharing=mig needs a MIG profile such as 1g.10gb")
        return MIG_RESOURCE_PREFIX + mig_profile
    if sharing == "time-sliced":
        return GPU_SHARED_RESOURCE
    return GPU_RESOURCE


def workspace_namespace(workspace, namespace=None):
    """Namespace of ``workspace``: ``namespace`` when given, else ``ws-<workspace>``."""
    return namespace or NAMESPACE_PREFIX + workspace


def namespace_labels(workspace):
    return {NAMESPACE_KIND_LABEL: NAMESPACE_KIND_WORKSPACE, WORKSPACE_LABEL: workspace, MANAGED_BY_LABEL: MANAGED_BY_VALUE}


def environment_labels(workspace, environment, owner):
    """The labels on every object an environment owns."""
    return {
        MANAGED_BY_LABEL: MANAGED_BY_VALUE,
        WORKSPACE_LABEL: workspace,
        ENVIRONMENT_LABEL: environment,
        OWNER_LABEL: owner,
    }


def selector(labels):
    """``{"a": "b", "c": "d"}`` -> ``"a=b,c=d"`` (a Kubernetes label selector)."""
    return ",".join("%s=%s" % (k, v) for k, v in sorted(labels.items()))


def environment_selector(environment=None, workspace=None):
    """Label selector of the objects of one environment (or of every managed environment)."""
    labels = {MANAGED_BY_LABEL: MANAGED_BY_VALUE}
    if workspace:
        labels[WORKSPACE_LABEL] = workspace
    if environment:
        labels[ENVIRONMENT_LABEL] = environment
    return selector(labels)


WORKSPACE_NAMESPACE_SELECTOR = selector({NAMESPACE_KIND_LABEL: NAMESPACE_KIND_WORKSPACE})


def rfc3339(when=None):
    """``when`` (aware or naive-UTC datetime, default now) as ``2026-11-23T01:00:00Z``."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat() + "Z"


def parse_rfc3339(value):
    """Parse ``2026-11-23T01:00:00Z`` (or with an offset) into an aware UTC datetime."""
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def lifecycle_event(event, gpus=0, gpu_model="", resource_key=GPU_RESOURCE, cpu="", memory="", storage="", at=None):
    """One lifecycle entry (see the module docstring)."""
    if event not in LIFECYCLE_EVENTS:
        raise ValueError("unknown lifecycle event %r" % (event,))
    return {
        "event": event,
        "at": at if isinstance(at, str) else rfc3339(at),
        "gpus": int(gpus or 0),
        "gpu_model": gpu_model or "",
        "resource_key": resource_key,
        "cpu": str(cpu or ""),
        "memory": str(memory or ""),
        "storage": str(storage or ""),
    }


def read_lifecycle(annotations):
    """The lifecycle list from an annotations dict; ``[]`` when absent or unreadable."""
    raw = (annotations or {}).get(LIFECYCLE_ANNOTATION)
    if not raw:
        return []
    try:
        events = json.loads(raw)
    except ValueError:
        return []
    return [e for e in events if isinstance(e, dict) and e.get("event") in LIFECYCLE_EVENTS] if isinstance(events, list) else []


def append_lifecycle(annotations, entry):
    """JSON text of the lifecycle in ``annotations`` with ``entry`` appended."""
    events = read_lifecycle(annotations)
    events.append(entry)
    return json.dumps(events, separators=(",", ":"), sort_keys=True)


def parse_duration(value):
    """``"8h"``, ``"30m"``, ``"2d"``, ``"90s"``, ``"1h30m"`` -> seconds (int). ``None`` for empty."""
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    if text.isdigit():
        return int(text)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    total, number = 0, ""
    for char in text:
        if char.isdigit():
            number += char
        elif char in units and number:
            total += int(number) * units[char]
            number = ""
        else:
            raise ValueError("invalid duration %r (use e.g. 30m, 8h, 2d)" % (value,))
    if number:
        raise ValueError("invalid duration %r (missing unit after %s)" % (value, number))
    return total


# --- appended for issue #17 (reaper) ---------------------------------------------------------
# On a StatefulSet or any object an environment owns: keep it. Honoured by every reaper rule
# (idle, lifetime, leaks). Any value but "" / "false" / "no" / "0" keeps; write the reason.
KEEP_ANNOTATION = "opsforge.io/keep"


def is_kept(annotations):
    """True when ``annotations`` carry :data:`KEEP_ANNOTATION` with a value that keeps."""
    value = str((annotations or {}).get(KEEP_ANNOTATION) or "").strip().lower()
    return value not in ("", "false", "no", "0")


# --- image catalogue (gpu_image) ----------------------------------------------------------------
# One ConfigMap per catalogue image, named IMAGE_CONFIGMAP_PREFIX + <image>, labelled
# IMAGE_CATALOGUE_LABEL=<image>, in a workspace namespace (that workspace's catalogue) or in
# PLATFORM_NAMESPACE (seen by every workspace; a workspace entry of the same name wins).
# data["image.json"]: {"name", "repository", "description", "default", "gpu_models": [...],
# "versions": [{"tag", "digest"}]}. The namespace annotation IMAGE_POLICY_ANNOTATION of a
# workspace is "catalogue" when its environments may only run catalogue images.
PLATFORM_NAMESPACE = "opsforge-platform"
IMAGE_CONFIGMAP_PREFIX = "opsforge-image-"
IMAGE_CATALOGUE_LABEL = "opsforge.io/image-catalogue"
IMAGE_CATALOGUE_KEY = "image.json"
IMAGE_POLICY_ANNOTATION = "opsforge.io/image-policy"
IMAGE_POLICIES = ("any", "catalogue")
