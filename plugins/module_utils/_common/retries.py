# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Retries with capped, fully jittered exponential backoff.

The AWS family uses amazon.aws's ``AWSRetry`` instead (it knows botocore's error codes);
this helper is for the SDKs that have nothing of the kind (Kubernetes, Aliyun, webhooks).
"""

from __future__ import annotations

import functools
import random
import time


def backoff_delays(retries, delay=1.0, max_delay=30.0, rng=None):
    """Yield ``retries`` sleep times: full jitter over ``delay * 2**n`` capped at ``max_delay``."""
    rng = rng or random.random
    for attempt in range(retries):
        ceiling = min(max_delay, delay * (2 ** attempt))
        yield rng() * ceiling


def call_with_retries(func, should_retry, retries=5, delay=1.0, max_delay=30.0, sleep=time.sleep, rng=None):
    """Call ``func()``; while it raises an exception for which ``should_retry(exc)`` is true,
    sleep a jittered backoff and try again, at most ``retries`` more times.

    The last exception is re-raised unchanged when the retries are spent.
    """
    delays = backoff_delays(retries, delay=delay, max_delay=max_delay, rng=rng)
    while True:
        try:
            return func()
        except Exception as exc:  # pylint: disable=broad-except
            if not should_retry(exc):
                raise
            pause = next(delays, None)
            if pause is None:
                raise
            sleep(pause)


def retry_on(should_retry, retries=5, delay=1.0, max_delay=30.0):
    """Decorator form of :func:`call_with_retries`."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return call_with_retries(
                lambda: func(*args, **kwargs), should_retry, retries=retries, delay=delay, max_delay=max_delay
            )

        return wrapper

    return decorator
