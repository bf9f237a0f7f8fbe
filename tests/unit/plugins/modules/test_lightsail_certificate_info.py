# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lightsail_certificate_info: Describe Amazon Lightsail SSL/TLS certificates (Stubber)."""

from __future__ import annotations

from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import Stubbed, run_module

from ansible_collections.opsforge.infra.plugins.modules import lightsail_certificate_info
from ansible_collections.opsforge.infra.tests.unit.plugins.module_utils.lightsail.certificate import cert, listing
from ansible_collections.opsforge.infra.tests.unit.plugins.modules.lightsail_utils import run_read_only


def test_info():
    stub = Stubbed()
    stub.add("GetCertificates", listing(cert(status="PENDING_VALIDATION")),
             {"includeCertificateDetails": True, "certificateStatuses": ["PENDING_VALIDATION"]})
    result = run_module(lightsail_certificate_info.main, {"statuses": ["PENDING_VALIDATION"]}, stub)
    assert result["certificates"][0]["validation_records"][0]["name"] == "_a1.www.example.com."


def test_check_mode_reads_the_same_and_writes_nothing():
    def queue(stub):
        stub.add("GetCertificates", listing(cert(status="PENDING_VALIDATION")),
                 {"includeCertificateDetails": True, "certificateStatuses": ["PENDING_VALIDATION"]})
    result = run_read_only(lightsail_certificate_info.main, {"statuses": ["PENDING_VALIDATION"]}, queue)
    assert result["certificates"][0]["validation_records"][0]["name"] == "_a1.www.example.com."
