#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_usage_report
short_description: Meter GPU environment usage into a SQLite ledger and render monthly invoices
version_added: 0.1.0
description:
  - Bills what actually ran. Each run observes the platform with three list calls - the managed Pods, the managed
    PersistentVolumeClaims and the Nodes - and records every B(life) it sees in the ledger, keyed by UID. A Pod's
    life runs from its first container start to its last container finish (Pod status written by the kubelet);
    a Pod that never started a container (Pending) costs nothing, and a Pod started by any means (C(kubectl scale)
    included) is billed. A PVC's life runs from its creation while it exists. A life that disappeared between two
    runs is closed at the last run that saw it, so schedule the module often (every 10 to 15 minutes). The
    C(opsforge.io/lifecycle) annotation is never read for billing.
  - Lives are cut on one canonical grid of UTC hours, whatever O(bucket); a piece is written once its hour is over
    for that life, keyed by (life UID, resource, hour), so re-running any window, with any bucket, adds nothing.
    The window is aligned to O(bucket) boundaries; a partial trailing bucket is metered by a later run.
  - Pieces hold integer quantities (GPUs, millicores, bytes) and seconds, and the rate of O(rate_card) at metering
    time. Money is computed on invoices only, with one rounding rule (see RV(usage_report.invoices)).
  - Renders, per workspace and month in O(invoice_months), an invoice as JSON, CSV and an HTML page
    with a daily GPU-hours chart, into O(invoice_dir). One line per environment, owner, item and rate with
    its quantity, unit, rate and amount; the total is the sum of the amounts. Re-issuing a month gives
    byte-identical files, and files are rewritten only when their content changes.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - opsforge.infra.gpu.prometheus
attributes:
  check_mode:
    support: full
    description: Computes the rows and invoices, writes neither (nor the observed lives); RV(usage_report.rows_added) is what would be added.
  diff_mode:
    support: full
    description: Ledger usage row count and invoice files written, before and after.
  idempotent:
    support: full
    description:
      - When run twice in a row with the same arguments, the second run reports no change.
      - The observed lives are recorded on every run and do not count as a change.
options:
  ledger:
    description: Path of the SQLite ledger file on the host running the module. Created when missing.
    type: path
    required: true
  rate_card:
    description:
      - Prices per hour. Required when O(meter=true). Keys C(currency) (default C(USD)), C(gpu) (GPU model
        as in the node label C(nvidia.com/gpu.product) -> price per GPU-hour, C(default) for any other model),
        C(mig) (MIG profile such as C(1g.10gb) -> price per instance-hour, C(default) allowed), C(shared)
        (price per time-sliced share-hour), C(cpu) (per core-hour of the Pod's requests), C(memory) (per GiB-hour
        of the Pod's requests), C(storage) (per GiB-hour of PVC capacity).
      - An environment whose GPU model or MIG profile has no price and no C(default) fails the task before anything is written.
    type: dict
  meter:
    description: Read the environments and append usage to the ledger. V(false) only renders invoices from the ledger.
    type: bool
    default: true
  window_start:
    description:
      - Start of the metering window, RFC 3339 (V(2026-10-01T00:00:00Z)) or a date (V(2026-10-01)).
      - Defaults to the first day of the previous month, so a nightly run also completes last month.
    type: str
  window_end:
    description: End of the metering window (same formats). Defaults to now; buckets not yet ended are left for a later run.
    type: str
  bucket:
    description: Bucket the window is aligned to. The ledger itself is always cut in hours, so mixing sizes never bills twice.
    type: str
    choices: [hour, day]
    default: hour
  workspaces:
    description: Only these workspaces (by their C(opsforge.io/workspace) label). All when omitted.
    type: list
    elements: str
  invoice_dir:
    description: Directory to write invoices to (C(<workspace>-<YYYY-MM>.json), C(.csv), C(.html)). No invoices when omitted.
    type: path
  invoice_months:
    description: Months (V(2026-10)) to invoice. Defaults to the previous month when O(invoice_dir) is set.
    type: list
    elements: str
  prometheus_url:
    description:
      - Base URL of a Prometheus that scrapes kube-state-metrics. When set, a Pod that disappeared since the last run
        is billed up to the last sample of C(kube_pod_status_phase{phase="Running"}) with its UID (one query per run,
        only when a Pod disappeared), instead of up to the last run that saw it.
    type: str
requirements:
  - kubernetes (Python) when O(meter=true)
  - matplotlib (Python) for invoices
notes:
  - A Pod deleted between two runs is billed up to the last run that saw it running (never more than what was seen),
    or with O(prometheus_url) up to the last kube-state-metrics sample that saw it Running; the finish time is exact
    when a run sees the Pod terminating. Run the module every 10 to 15 minutes.
  - RBAC needed cluster-wide - list pods, persistentvolumeclaims and nodes; none when O(meter=false).
  - Ledgers written before this version (table C(usage)) are not read; start a new ledger file.
"""

EXAMPLES = r"""
- name: Meter last month and this month so far into the ledger
  opsforge.infra.gpu_usage_report:
    ledger: /var/lib/opsforge/gpu-ledger.sqlite
    rate_card:
      currency: USD
      gpu:
        NVIDIA-A100-SXM4-80GB: 2.50
        NVIDIA-H100-80GB-HBM3: 4.00
        default: 1.80
      mig:
        1g.10gb: 0.40
        3g.40gb: 1.30
      shared: 0.30
      cpu: 0.02
      memory: 0.005
      storage: 0.0002

- name: Invoices for October from the ledger only
  opsforge.infra.gpu_usage_report:
    ledger: /var/lib/opsforge/gpu-ledger.sqlite
    meter: false
    invoice_dir: /srv/invoices
    invoice_months: ["2026-10"]
"""

RETURN = r"""
usage_report:
  description: What was metered and invoiced.
  returned: always
  type: dict
  contains:
    ledger:
      description: Path of the ledger.
      type: str
    window:
      description: The metered window after rounding to ended buckets (null when O(meter=false)).
      type: dict
      sample: {start: "2026-10-01T00:00:00Z", end: "2026-11-23T01:00:00Z"}
    bucket:
      description: Bucket size.
      type: str
      sample: hour
    rows_computed:
      description: Ledger rows (one life, one resource, one hour) the window holds.
      type: int
      sample: 1240
    rows_added:
      description: Rows added to the ledger by this run (that would be, in check mode).
      type: int
      sample: 24
    environments:
      description: Usage in the window per environment.
      type: list
      elements: dict
      sample: [{workspace: ml, namespace: ws-ml, environment: alice-dev, gpu_hours: 16.0, cost: 41.6}]
    invoices:
      description:
        - One entry per workspace and invoiced month. C(total) is the sum of the line amounts; each line amount is its
          quantity (exact usage rounded half up to 6 decimals) times its rate, rounded half up to cents.
      type: list
      elements: dict
      sample:
        - workspace: ml
          month: "2026-10"
          currency: USD
          total: "1234.56"
          gpu_hours: "480.000000"
          files: {json: /srv/invoices/ml-2026-10.json, csv: /srv/invoices/ml-2026-10.csv, html: /srv/invoices/ml-2026-10.html}
          changed_files: [/srv/invoices/ml-2026-10.html]
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import idle  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._metering import metering  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.client import AUTH_SPEC, get_api  # noqa: E402


def argument_spec():
    return ArgumentSpec(
        dict(
            ledger=dict(type="path", required=True),
            rate_card=dict(type="dict"),
            meter=dict(type="bool", default=True),
            window_start=dict(type="str"),
            window_end=dict(type="str"),
            bucket=dict(type="str", default="hour", choices=list(metering.BUCKETS)),
            workspaces=dict(type="list", elements="str"),
            invoice_dir=dict(type="path"),
            invoice_months=dict(type="list", elements="str"),
            prometheus_url=dict(type="str"),
            prometheus_token=dict(type="str", no_log=True),
            prometheus_validate_certs=dict(type="bool", default=True),
        ),
        required_if=[("meter", True, ("rate_card",))],
        required_by={"invoice_months": ("invoice_dir",)},
    ).merge(AUTH_SPEC)


def main(api_client=None, now=None):
    module = OpsforgeModule(spec=argument_spec())
    module.run(metering.usage_report, module.params, lambda: get_api(module, api_client=api_client), idle.Prometheus,
               check_mode=module.check_mode, now=now)


if __name__ == "__main__":
    main()
