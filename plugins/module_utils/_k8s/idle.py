# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Idle signals for the reaper, from Prometheus (dcgm-exporter in Kubernetes mode).

Which signal depends on how the environment holds its GPU (read from its pod template's
resource limits, not from an annotation):

- ``whole`` (``nvidia.com/gpu``) and ``time-sliced`` (``nvidia.com/gpu.shared``): the device's
  ``DCGM_FI_DEV_GPU_UTIL``, highest over the window and over the pod's GPUs. A time-sliced GPU
  reports the device as a whole for every pod sharing it: low means every sharer is idle, high
  means at least one is busy (so a sharer is never stopped while the device works).
- ``mig`` (``nvidia.com/mig-<profile>``): DCGM has no utilisation per MIG instance and some
  exporter versions report 0 for ``DCGM_FI_DEV_GPU_UTIL`` there, which would stop busy ones.
  The signal is the profiling metric ``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` (ratio of time the
  graphics engine of the GPU instance was active) of series with a ``GPU_I_ID`` label,
  times 100 to be comparable with the threshold in percent.

A pod without samples, or with a value that is not a number, is **unknown**: it is listed
and never treated as idle.
"""

from __future__ import annotations

import json
import math
import time
from urllib.error import HTTPError
from urllib.parse import urlencode

from ansible.module_utils.urls import open_url

from ansible_collections.opsforge.infra.plugins.module_utils._common.retries import call_with_retries
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError

DEFAULT_METRIC = "DCGM_FI_DEV_GPU_UTIL"
DEFAULT_MIG_METRIC = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
SIGNALS = ("device", "mig")


class Prometheus:
    """Instant queries against the Prometheus HTTP API (``/api/v1/query``): vectors, and raw samples of a range."""

    def __init__(self, url, token=None, timeout=30, validate_certs=True, retries=2, opener=open_url, sleep=time.sleep):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.retries = retries
        self.opener = opener
        self.sleep = sleep
        self.queries = 0

    def _get(self, promql, at):
        self.queries += 1
        target = "%s/api/v1/query?%s" % (self.url, urlencode({"query": promql, "time": "%.3f" % at.timestamp()}))
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer %s" % self.token

        def once():
            response = self.opener(target, headers=headers, method="GET", timeout=self.timeout,
                                   validate_certs=self.validate_certs)
            return json.loads(response.read())

        def retryable(exc):
            if isinstance(exc, HTTPError):
                return exc.code in (429, 502, 503, 504)
            return isinstance(exc, OSError)

        try:
            data = call_with_retries(once, retryable, retries=self.retries, delay=0.5, max_delay=5.0, sleep=self.sleep)
        except HTTPError as exc:
            body = exc.read().decode("utf-8", "replace") if hasattr(exc, "read") else ""
            raise K8sError("Prometheus refused the query (HTTP %s): %s" % (exc.code, body[:300]), cause=exc)
        except (OSError, ValueError) as exc:
            raise K8sError("cannot query Prometheus at %s: %s" % (self.url, getattr(exc, "reason", exc)), cause=exc)
        if data.get("status") != "success":
            raise K8sError("Prometheus query failed: %s: %s" % (data.get("errorType"), data.get("error")))
        return (data.get("data") or {}).get("result") or []

    def query(self, promql, at):
        """``[(labels, value)]`` of an instant vector at ``at`` (aware datetime)."""
        out = []
        for series in self._get(promql, at):
            try:
                out.append((series.get("metric") or {}, float(series["value"][1])))
            except (KeyError, IndexError, TypeError, ValueError):
                continue
        return out

    def samples(self, selector, seconds, at):
        """``[(labels, [(unix time, value)])]``: the raw samples of ``selector`` in the ``seconds`` before ``at``."""
        out = []
        for series in self._get("%s[%ds]" % (selector, max(1, int(seconds))), at):
            try:
                out.append((series.get("metric") or {}, [(float(t), float(v)) for t, v in series.get("values") or []]))
            except (TypeError, ValueError):
                continue
        return out


def utilization_query(metric, minutes, pod_label="pod", namespace_label="namespace", extra_selector=""):
    """PromQL: per pod, the highest utilisation of any of its GPUs over the last ``minutes``."""
    selector = '%s=~".+", %s=~".+"' % (namespace_label, pod_label)
    if extra_selector:
        selector += ", " + extra_selector
    return "max by (%s, %s) (max_over_time(%s{%s}[%dm]))" % (namespace_label, pod_label, metric, selector, int(minutes))


def mig_query(metric, minutes, pod_label="pod", namespace_label="namespace", extra_selector=""):
    """PromQL: per pod, the highest graphics-engine activity (percent) of its MIG instances over ``minutes``."""
    extra = 'GPU_I_ID=~".+"' + (", " + extra_selector if extra_selector else "")
    return "100 * " + utilization_query(metric, minutes, pod_label, namespace_label, extra)


def gpu_signal(sts):
    """``"mig"``, ``"device"`` (whole or time-sliced GPUs) or ``None`` (no GPU: no idle signal), from the pod template."""
    keys = set()
    for container in (((sts.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []:
        resources = container.get("resources") or {}
        for amounts in (resources.get("limits") or {}, resources.get("requests") or {}):
            keys.update(k for k, v in amounts.items() if C.is_gpu_resource(k) and str(v).strip() not in ("", "0"))
    if any(k.startswith(C.MIG_RESOURCE_PREFIX) for k in keys):
        return "mig"
    if keys:
        return "device"
    if not (((sts.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers"):
        return "device"  # no template in the snapshot: the device metric, as before
    return None


def known(value):
    """The value when it is a real number, else ``None`` (unknown)."""
    return value if isinstance(value, float) and not math.isnan(value) and not math.isinf(value) else None


def query_signals(prometheus, wanted, now, metrics, pod_label="pod", namespace_label="namespace", extra_selector=""):
    """``{(signal, minutes): {(namespace, pod): value}}``, one query per distinct ``(signal, minutes)`` in ``wanted``."""
    out = {}
    for signal, window in sorted(wanted):
        build = mig_query if signal == "mig" else utilization_query
        series = prometheus.query(build(metrics[signal], window, pod_label, namespace_label, extra_selector), now)
        out[(signal, window)] = {(labels.get(namespace_label), labels.get(pod_label)): value for labels, value in series}
    return out
