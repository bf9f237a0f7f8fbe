# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""panel_certificate_info: real keys, CSR and a chain made with cryptography, verified by the real openssl."""

from __future__ import annotations

import datetime
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.opsforge.infra.plugins.module_utils._panel import certstate

# openssl verify checks validity at the real time, so the certificates are made around it
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
DOMAINS = ["shop.example.com", "www.shop.example.com"]


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def issue(subject_key, issuer_key, issuer, domains=None, ca=False, days=90):
    builder = (x509.CertificateBuilder().subject_name(name("leaf" if not ca else issuer)).issuer_name(name(issuer))
               .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if domains:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host as the acme_certificate role leaves it; returns the module parameters."""
    monkeypatch.setattr(certstate, "_owned_by_root", lambda st: True)  # the test does not run as root
    certs, account, meta = tmp_path / "certs", tmp_path / "acme", tmp_path / "meta"
    for path, mode in ((certs, 0o755), (account, 0o700), (meta, 0o755)):
        path.mkdir()
        path.chmod(mode)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = issue(root_key, root_key, "Test Root", ca=True, days=3650)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = issue(key, root_key, "Test Root", DOMAINS)
    csr = (x509.CertificateSigningRequestBuilder().subject_name(name("shop"))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in DOMAINS]), critical=False)
           .sign(key, hashes.SHA256()))
    files = {
        certs / "shop.key": (pem_key(key), 0o600),
        certs / "shop.csr": (csr.public_bytes(serialization.Encoding.PEM), 0o644),
        certs / "shop.crt": (leaf.public_bytes(serialization.Encoding.PEM), 0o644),
        account / "account.key": (pem_key(ec.generate_private_key(ec.SECP256R1())), 0o600),
        meta / "shop.json": (b'{"domains": ["shop.example.com"]}\n', 0o644),
        tmp_path / "root.pem": (root.public_bytes(serialization.Encoding.PEM), 0o644),
    }
    for path, (data, mode) in files.items():
        path.write_bytes(data)
        path.chmod(mode)
    return dict(domains=list(DOMAINS), certificate_path=str(certs / "shop.crt"), key_path=str(certs / "shop.key"),
                csr_path=str(certs / "shop.csr"), account_key_path=str(account / "account.key"), cert_dir=str(certs),
                metadata_path=str(meta / "shop.json"), metadata_content='{"domains": ["shop.example.com"]}\n',
                key_type="ECC", key_curve="secp256r1", key_size=2048, remaining_days=30,
                trusted_root_file=str(tmp_path / "root.pem"))


def test_a_host_as_the_role_left_it_is_current(host):
    state = certstate.certificate_state(host, run, now=NOW)
    assert state["reasons"] == [] and state["current"] is True
    expiry = NOW + datetime.timedelta(days=90)
    assert state["days_left"] == 90 and state["not_after"] == expiry.strftime("%Y-%m-%dT%H:%M:%SZ") and state["serial"]


@pytest.mark.parametrize("change, reason", [
    (lambda p: p.update(domains=DOMAINS + ["api.example.com"]), "names other domains"),
    (lambda p: p.update(remaining_days=91), "is due for renewal (90 days left, renew under 91)"),
    (lambda p: p.update(key_type="RSA"), "is not of the wanted type"),
    (lambda p: p.update(key_curve="secp384r1"), "is not of the wanted type"),
    (lambda p: p.update(metadata_content="{}\n"), "has other content"),
    (lambda p: os.chmod(p["key_path"], 0o644), "has mode 0644, not 0600"),
    (lambda p: os.chmod(os.path.dirname(p["account_key_path"]), 0o755), "has mode 0755, not 0700"),
    (lambda p: os.unlink(p["csr_path"]), "is missing"),
    (lambda p: os.unlink(p["account_key_path"]), "account key"),
    (lambda p: p.update(trusted_root_file=p["certificate_path"]), "does not verify against"),
])
def test_anything_the_role_would_change_makes_it_not_current(host, change, reason):
    change(host)
    state = certstate.certificate_state(host, run, now=NOW)
    assert state["current"] is False
    assert any(reason in text for text in state["reasons"]), state["reasons"]


def test_a_certificate_for_another_key_is_not_current(host):
    other = ec.generate_private_key(ec.SECP256R1())
    with open(host["key_path"], "wb") as handle:
        handle.write(pem_key(other))
    reasons = certstate.certificate_state(host, run, now=NOW)["reasons"]
    assert any("CSR" in r and "another key" in r for r in reasons)
    assert any("certificate" in r and "another key" in r for r in reasons)


def test_without_cryptography_it_is_never_current(host, monkeypatch):
    monkeypatch.setattr(certstate, "_load_crypto", lambda: None)
    state = certstate.certificate_state(host, run, now=NOW)
    assert state["current"] is False and state["reasons"] == ["the Python cryptography library is not installed on the host"]


@pytest.mark.parametrize("uid, gid, owned", [(0, 0, True), (1000, 0, False), (0, 1000, False), (1000, 1000, False)])
def test_ownership_is_checked_whoever_runs_the_test(tmp_path, monkeypatch, uid, gid, owned):
    """The owner the check sees is pinned, so the same assertions run as root and as any other user."""
    path = str(tmp_path / "f")
    with open(path, "w") as handle:
        handle.write("x")
    real_stat = os.stat
    seen = real_stat(path)
    pinned = os.stat_result((seen.st_mode, seen.st_ino, seen.st_dev, seen.st_nlink, uid, gid, seen.st_size,
                             seen.st_atime, seen.st_mtime, seen.st_ctime))
    monkeypatch.setattr(certstate.os, "stat", lambda p, *a, **kw: pinned if p == path else real_stat(p, *a, **kw))
    reasons = []
    assert certstate._check_path(path, False, None, reasons, "file") is True
    assert reasons == ([] if owned else ["file %s is not owned by root:root" % path])
