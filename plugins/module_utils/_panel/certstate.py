# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Is an ACME certificate on this host exactly as the acme_certificate role would leave it?

One pass over the directories, keys, CSR, certificate, chain and renewal record, so that a
re-run with nothing to do costs one round trip instead of one per community.crypto step. Any
difference is a reason; with no reason the role skips its converge steps. The checks mirror
what those steps would change: a directory or file mode, a key of another type, a CSR or
certificate for other names or another key, a certificate due for renewal or whose chain no
longer verifies, a renewal record with other content.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import stat


def _owned_by_root(st):
    return st.st_uid == 0 and st.st_gid == 0


def _check_path(path, want_dir, mode, reasons, what, root_owned=True):
    try:
        st = os.stat(path)
    except OSError:
        reasons.append("%s %s is missing" % (what, path))
        return False
    if want_dir != stat.S_ISDIR(st.st_mode):
        reasons.append("%s %s is not a %s" % (what, path, "directory" if want_dir else "file"))
        return False
    if mode is not None and stat.S_IMODE(st.st_mode) != mode:
        reasons.append("%s %s has mode %04o, not %04o" % (what, path, stat.S_IMODE(st.st_mode), mode))
    if root_owned and not _owned_by_root(st):
        reasons.append("%s %s is not owned by root:root" % (what, path))
    return True


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _dns_names(x509, obj):
    try:
        ext = obj.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return set()
    return set(name.lower() for name in ext.value.get_values_for_type(x509.DNSName))


def _spki(serialization, public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def _key_matches(crypto, key, key_type, curve, size):
    ec, rsa = crypto["ec"], crypto["rsa"]
    if key_type == "ECC":
        return isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == curve
    return isinstance(key, rsa.RSAPrivateKey) and key.key_size == size


def _load_crypto():
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
    except ImportError:
        return None
    return dict(x509=x509, serialization=serialization, ec=ec, rsa=rsa)


def _check_key(p, crypto, reasons):
    """The certificate key, loaded when it can be read; a reason when it is not of the wanted type."""
    key = None
    if _check_path(p["key_path"], False, 0o600, reasons, "certificate key"):
        try:
            key = crypto["serialization"].load_pem_private_key(_read(p["key_path"]), password=None)
        except (ValueError, TypeError, OSError) as exc:
            reasons.append("certificate key %s cannot be read: %s" % (p["key_path"], exc))
        else:
            if not _key_matches(crypto, key, p["key_type"], p["key_curve"], p["key_size"]):
                reasons.append("certificate key %s is not of the wanted type" % p["key_path"])
    return key


def _check_csr(p, crypto, key, domains, reasons):
    x509, serialization = crypto["x509"], crypto["serialization"]
    if not _check_path(p["csr_path"], False, 0o644, reasons, "CSR"):
        return
    try:
        csr = x509.load_pem_x509_csr(_read(p["csr_path"]))
    except (ValueError, OSError) as exc:
        reasons.append("CSR %s cannot be read: %s" % (p["csr_path"], exc))
        return
    if _dns_names(x509, csr) != domains:
        reasons.append("CSR %s names other domains" % p["csr_path"])
    if key is not None and _spki(serialization, csr.public_key()) != _spki(serialization, key.public_key()):
        reasons.append("CSR %s is for another key" % p["csr_path"])


def _check_certificate(p, run, now, crypto, key, domains, reasons, out):
    """Names, key, renewal due date and chain of the certificate; fills serial/not_after/days_left."""
    x509, serialization = crypto["x509"], crypto["serialization"]
    if not _check_path(p["certificate_path"], False, None, reasons, "certificate", root_owned=False):
        return
    try:
        cert = x509.load_pem_x509_certificate(_read(p["certificate_path"]))
    except (ValueError, OSError) as exc:
        reasons.append("certificate %s cannot be read: %s" % (p["certificate_path"], exc))
        return
    not_after = _not_after(cert)
    left = not_after - now
    out.update(serial="%X" % cert.serial_number, not_after=not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
               days_left=int(left.total_seconds() // 86400))
    if _dns_names(x509, cert) != domains:
        reasons.append("certificate %s names other domains" % p["certificate_path"])
    if key is not None and _spki(serialization, cert.public_key()) != _spki(serialization, key.public_key()):
        reasons.append("certificate %s is for another key" % p["certificate_path"])
    if left < datetime.timedelta(days=p["remaining_days"]):
        reasons.append("certificate %s is due for renewal (%s days left, renew under %s)"
                       % (p["certificate_path"], out["days_left"], p["remaining_days"]))
    if p.get("trusted_root_file"):
        rc, stdout, stderr = run(["openssl", "verify", "-CAfile", p["trusted_root_file"], "-untrusted",
                                  p["certificate_path"], p["certificate_path"]])
        if rc != 0:
            reasons.append("the chain of %s does not verify against %s: %s"
                           % (p["certificate_path"], p["trusted_root_file"], (stderr or stdout).strip()[:300]))


def certificate_state(p, run, now=None, crypto=None):
    """``p``: the module's parameters. ``run(argv) -> (rc, out, err)`` runs ``openssl verify``.

    Returns ``dict(current=bool, reasons=[...], serial, not_after, days_left)``.
    """
    reasons = []
    out = dict(current=False, reasons=reasons, serial=None, not_after=None, days_left=None)
    crypto = crypto or _load_crypto()
    if crypto is None:
        reasons.append("the Python cryptography library is not installed on the host")
        return out
    now = now or datetime.datetime.now(datetime.timezone.utc)

    for path, mode, what in ((p["cert_dir"], 0o755, "certificate directory"),
                             (os.path.dirname(p["account_key_path"]), 0o700, "account key directory"),
                             (os.path.dirname(p["metadata_path"]), 0o755, "renewal record directory")):
        _check_path(path, True, mode, reasons, what)
    _check_path(p["account_key_path"], False, 0o600, reasons, "account key")

    key = _check_key(p, crypto, reasons)
    domains = set(d.lower() for d in p["domains"])
    _check_csr(p, crypto, key, domains, reasons)
    _check_certificate(p, run, now, crypto, key, domains, reasons, out)

    if _check_path(p["metadata_path"], False, 0o644, reasons, "renewal record"):
        want = hashlib.sha256(p["metadata_content"].encode("utf-8")).hexdigest()
        if hashlib.sha256(_read(p["metadata_path"])).hexdigest() != want:
            reasons.append("renewal record %s has other content" % p["metadata_path"])

    out["current"] = not reasons
    return out
