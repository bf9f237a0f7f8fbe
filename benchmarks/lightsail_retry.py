# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Requests and waiting of ONE Lightsail call that stays throttled: the two stacked retry layers (before
issue #16) side by side with the one layer of today, under each botocore retry mode.

A real boto3 client is built (botocore's real retry handler runs); only the HTTP send is replaced through
botocore's ``before-send`` event by an endpoint that always answers HTTP 400 ThrottlingException. Sleeps are
recorded, not slept. "worst" is the largest total wait the jittered schedule allows, "mean" the average of the
sampled totals over ``--runs`` runs.

Run: ``.venv/bin/python benchmarks/lightsail_retry.py [--runs 20]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "opsforge", "infra")
if not os.path.lexists(_LINK):  # the same symlink tree `make tree` and tests/conftest.py make
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(os.path.join("..", "..", "..", ".."), _LINK)

import sys  # noqa: E402

sys.path.insert(0, COLLECTIONS)

import boto3  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail import client as client_mod  # noqa: E402


class _Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **_kwargs):
        yield self.body


def _throttled(request, **_kwargs):
    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))


def one_call(retry, config):
    requests, slept = [], []
    session = boto3.session.Session(aws_access_key_id="AKIDBENCHMARK", aws_secret_access_key="secret", region_name="us-east-1")
    boto_client = session.client("lightsail", config=config)
    boto_client.meta.events.register("before-send.lightsail", lambda request, **kw: requests.append(1) or _throttled(request))
    lightsail = client_mod.LightsailClient(boto_client, retry=retry)
    with mock.patch("time.sleep", slept.append):
        try:
            lightsail.call("GetKeyPairs")
        except client_mod.LightsailError:
            pass
    return len(requests), sum(slept)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

    def before():  # the old default_retry()
        return AWSRetry.jittered_backoff(retries=8, delay=2, max_delay=30, catch_extra_error_codes=client_mod.EXTRA_RETRY_CODES)

    print("%-12s %-22s %9s %9s %9s" % ("AWS_RETRY_MODE", "layers", "requests", "mean s", "ratio"))
    for mode in ("legacy", "standard", "adaptive"):
        os.environ["AWS_RETRY_MODE"] = mode
        rows = {}
        for label, retry, config in (("two (before #16)", before, None), ("one (now)", client_mod.default_retry, client_mod.client_config())):
            if mode == "adaptive" and config is None:
                print("%-12s %-22s %9s %9s" % (mode, label, "-", "(skipped: its token bucket really sleeps)"))
                continue
            results = [one_call(retry(), config) for _run in range(args.runs)]
            rows[label] = (results[0][0], statistics.mean(r[1] for r in results))
            ratio = "%.2f" % (rows[label][0] / rows["two (before #16)"][0]) if "two (before #16)" in rows else "-"
            print("%-12s %-22s %9d %9.1f %9s" % (mode, label, rows[label][0], rows[label][1], ratio))
    print("one layer: %d requests, worst-case wait %d s (documented in the lightsail doc fragment)"
          % (client_mod.RETRY_ATTEMPTS, client_mod.RETRY_MAX_TOTAL_WAIT))


if __name__ == "__main__":
    main()
