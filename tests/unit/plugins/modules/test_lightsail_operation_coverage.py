# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every operation of botocore's Lightsail model is used by some module, or excluded for a stated reason.

An operation counts as used when its API name (``CreateBucket``) or its boto3 method name
(``create_bucket``) appears as a whole word in a Python file under ``plugins/``, or when a file builds
it from a ``%s`` template filled with one of that file's own string literals (``"get_%s_snapshot"``
with ``"disk"`` gives ``get_disk_snapshot``).
"""

from __future__ import annotations

import functools
import os
import re

import botocore.session
from botocore import xform_name

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))

# Operations no module of this collection should call, and why: only the Lightsail console's own sessions.
EXCLUDED = {
    "CreateGUISessionAccessDetails": "interactive browser (NICE DCV) session of the Lightsail console: nothing to configure",
    "StartGUISession": "interactive browser (NICE DCV) session of the Lightsail console: nothing to configure",
    "StopGUISession": "interactive browser (NICE DCV) session of the Lightsail console: nothing to configure",
    "DeleteKnownHostKeys": "clears host keys of the console's browser-based SSH client only; playbooks use their own SSH known_hosts",
}

# Operations a module SHOULD cover but none does yet: tracked gaps, not exclusions.
# Remove an entry when a module starts using the operation (the test below insists).
KNOWN_GAPS = {}  # none left (issue #16 covered VPC peering, snapshot export, subdomains, cost estimates, ...)

MIN_COVERAGE = 0.97  # share of botocore's Lightsail operations some module calls


def _operations():
    return sorted(botocore.session.get_session().get_service_model("lightsail").operation_names)


_OPERATIONS = _operations()


LITERAL = re.compile(r"""["']([A-Za-z_%]+)["']""")


def _expand_templates(text):
    """Names a file builds as ``"get_%s_snapshot" % kind`` from its own word literals (``"disk"``)."""
    literals = set(LITERAL.findall(text))
    words = {w for w in literals if "%" not in w}
    templates = {t for t in literals if t.count("%s") == 1}
    return {t.replace("%s", w) for t in templates for w in words}


@functools.lru_cache(maxsize=1)
def _plugin_source():
    chunks = []
    for directory, _dirs, files in os.walk(os.path.join(ROOT, "plugins")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    text = handle.read()
                chunks.append(text)
                chunks.append(" ".join(sorted(_expand_templates(text))))
    return "\n".join(chunks)


@functools.lru_cache(maxsize=8)
def _used(source):
    used = set()
    for operation in _OPERATIONS:
        if re.search(r"\b(%s|%s)\b" % (re.escape(operation), re.escape(xform_name(operation))), source):
            used.add(operation)
    return frozenset(used)


def test_lists_name_real_operations():
    operations = set(_operations())
    assert len(operations) > 150  # the model really loaded
    assert not (set(EXCLUDED) | set(KNOWN_GAPS)) - operations, "entries for operations that do not exist"
    assert not set(EXCLUDED) & set(KNOWN_GAPS)
    assert all(len(reason) > 10 for reason in list(EXCLUDED.values()) + list(KNOWN_GAPS.values()))


def test_every_operation_is_used_or_excluded():
    used = _used(_plugin_source())
    missing = sorted(set(_operations()) - used - set(EXCLUDED) - set(KNOWN_GAPS))
    assert not missing, "Lightsail operations used by no module and not excluded: %s" % ", ".join(missing)


def test_exclusions_are_not_stale():
    used = _used(_plugin_source())
    stale = sorted(used & (set(EXCLUDED) | set(KNOWN_GAPS)))
    assert not stale, "operations now used by a module: remove them from EXCLUDED/KNOWN_GAPS: %s" % ", ".join(stale)


def test_scanner_expands_templates_with_literals_of_the_same_file():
    text = 'KINDS = ("disk", "instance")\nop = "create_%s_snapshot" % kind\nkey = "%sSnapshots" % kind'
    assert _used(" ".join(_expand_templates(text))) >= {"CreateDiskSnapshot", "CreateInstanceSnapshot"}
    assert "CreateRelationalDatabaseSnapshot" not in _used(" ".join(_expand_templates(text)))


def test_scanner_sees_both_spellings():
    assert _used("client.call('GetBuckets')") >= {"GetBuckets"}
    assert _used("client.call('get_container_api_metadata')") >= {"GetContainerAPIMetadata"}
    assert "GetBucket" not in _used("GetBucketBundles")


def test_at_least_97_percent_of_the_operations_are_called_by_some_module():
    operations = set(_operations())
    used = _used(_plugin_source()) & operations
    assert len(used) / len(operations) >= MIN_COVERAGE, "%d of %d used" % (len(used), len(operations))
    assert set(EXCLUDED) == operations - used  # everything else is used: only the listed operations stay out


def test_only_console_session_operations_stay_out():
    assert all("console" in reason for reason in EXCLUDED.values())
    assert not KNOWN_GAPS
