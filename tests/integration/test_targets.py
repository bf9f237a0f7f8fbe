# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run every Ansible integration target in tests/integration/targets/ against the lab.

A target is a role (``tasks/main.yml``) plus an ``aliases`` file. Aliases understood here:

- ``lab/<inventory host>`` — run on that lab host (default: ``localhost``);
- ``cloud/aws`` — needs AWS credentials (``AWS_ACCESS_KEY_ID`` or ``AWS_PROFILE``), skipped otherwise;
- ``cloud/aliyun`` — needs ``ALIBABA_CLOUD_ACCESS_KEY_ID``, skipped otherwise;
- ``needs/kubeconfig`` — needs ``KUBECONFIG`` pointing at a live cluster, skipped otherwise;
- ``cloud/route53``, ``cloud/lightsail-dns``, ``cloud/cloudflare``, ``cloud/alidns`` — the acme_certificate DNS-01
  providers: need a zone to write in (``ROUTE53_TEST_ZONE``, ``LIGHTSAIL_DNS_TEST_ZONE``, ``CLOUDFLARE_TEST_ZONE``,
  ``ALIDNS_TEST_ZONE``) and that provider's credentials, skipped otherwise;
- ``disabled`` / ``unsupported`` — never run here.

Targets get the lab's facts as the extra variable ``lab`` (the keys of ``.lab/lab.env``) and
the repository root as ``opsforge_root``.
"""

from __future__ import annotations

import os

import pytest

from lab import ROOT, lab_env, run_playbook

TARGETS_DIR = os.path.join(ROOT, "tests", "integration", "targets")

NEEDS = {
    "cloud/aws": (lambda: bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")),
                  "needs AWS credentials (AWS_ACCESS_KEY_ID or AWS_PROFILE)"),
    "cloud/aliyun": (lambda: bool(os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")),
                     "needs Aliyun credentials (ALIBABA_CLOUD_ACCESS_KEY_ID)"),
    "needs/kubeconfig": (lambda: bool(os.environ.get("KUBECONFIG")), "needs KUBECONFIG for a live cluster"),
    "cloud/route53": (lambda: bool(os.environ.get("ROUTE53_TEST_ZONE") and (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))),
                      "needs ROUTE53_TEST_ZONE and AWS credentials"),
    "cloud/lightsail-dns": (lambda: bool(os.environ.get("LIGHTSAIL_DNS_TEST_ZONE") and (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))),
                            "needs LIGHTSAIL_DNS_TEST_ZONE and AWS credentials"),
    "cloud/cloudflare": (lambda: bool(os.environ.get("CLOUDFLARE_TEST_ZONE") and os.environ.get("CLOUDFLARE_API_TOKEN")),
                         "needs CLOUDFLARE_TEST_ZONE and CLOUDFLARE_API_TOKEN"),
    "cloud/alidns": (lambda: bool(os.environ.get("ALIDNS_TEST_ZONE") and os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")),
                     "needs ALIDNS_TEST_ZONE and Aliyun credentials (ALIBABA_CLOUD_ACCESS_KEY_ID)"),
}


def read_aliases(target):
    path = os.path.join(TARGETS_DIR, target, "aliases")
    with open(path, encoding="utf-8") as handle:
        return [line.split("#", 1)[0].strip() for line in handle if line.split("#", 1)[0].strip()]


def targets():
    if not os.path.isdir(TARGETS_DIR):
        return []
    return sorted(
        name for name in os.listdir(TARGETS_DIR)
        if os.path.exists(os.path.join(TARGETS_DIR, name, "aliases"))
        and os.path.exists(os.path.join(TARGETS_DIR, name, "tasks", "main.yml"))
    )


def test_every_target_dir_is_a_target():
    """A directory without aliases or tasks/main.yml would silently never run."""
    if not os.path.isdir(TARGETS_DIR):
        return
    dirs = sorted(d for d in os.listdir(TARGETS_DIR) if os.path.isdir(os.path.join(TARGETS_DIR, d)) and not d.startswith(("setup_", "prepare_")))
    assert dirs == targets()


@pytest.mark.parametrize("target", targets())
def test_target(target):
    aliases = read_aliases(target)
    if "disabled" in aliases or "unsupported" in aliases:
        pytest.skip("target is marked disabled/unsupported")
    for alias in aliases:
        if alias in NEEDS and not NEEDS[alias][0]():
            pytest.skip("%s: %s" % (alias, NEEDS[alias][1]))
    hosts = [a.split("/", 1)[1] for a in aliases if a.startswith("lab/")] or ["localhost"]
    lab = lab_env() if any(h != "localhost" for h in hosts) or "needs/lab" in aliases else _optional_lab()
    playbook = (
        "- hosts: %s\n  gather_facts: false\n  roles:\n    - role: %s\n"
        % (",".join(hosts), os.path.join(TARGETS_DIR, target))
    )
    run = run_playbook(playbook, extra_vars={"lab": lab, "opsforge_root": ROOT},
                       env={"ANSIBLE_ROLES_PATH": TARGETS_DIR}, timeout=1800)
    assert run.rc == 0, run.explain()
    assert run.failed() == 0, run.explain()


def _optional_lab():
    try:
        return lab_env()
    except Exception:  # pylint: disable=broad-except
        return {}
