# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The acme_certificate role's ``rfc2136`` DNS-01 provider against a real BIND (Debian ``bind9``).

``named`` runs as the current user on 127.0.0.1:19460 with a primary zone ``example.test`` that takes updates signed
with a TSIG key. A second Pebble (127.0.0.1:19461, management 19462) resolves through that BIND only, so the
certificate can be issued only if the role really published the TXT records there. The role runs on panel_host; the
nsupdate task is delegated to localhost (the controller, which has dnspython). Files go to their own directories on
the host so that tests/integration/test_panel.py (renew_certificates.yml reads the metadata directory) never sees them.
The tests run in file order: the later ones use the certificate that the first one issued.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from lab import ROOT, run_playbook, PANEL_CONTAINER as PANEL, panel_exec as host

NAMED_PORT = 19460
PEBBLE_PORT = 19461
PEBBLE_MANAGEMENT_PORT = 19462
ZONE = "example.test"
DOMAINS = [ZONE, "*." + ZONE]
CHALLENGE = "_acme-challenge." + ZONE
KEY_NAME = "opsforge-acme."
HOST_DIR = "/etc/opsforge/lab-rfc2136"
CERT = HOST_DIR + "/certs/" + ZONE + ".crt"
KEY = HOST_DIR + "/certs/" + ZONE + ".key"
NAMED = shutil.which("named", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin")

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(NAMED is None, reason="named is not installed (Debian package bind9; lab/install-deps.sh installs it)"),
]

PLAY = """
- hosts: panel_host
  gather_facts: false
  roles:
    - role: opsforge.infra.acme_certificate
"""


# ------------------------------------------------------------------------------------------------ helpers
def host_sha(path):
    out = host("sha256sum", path)
    return out.stdout.split()[0] if out.returncode == 0 else None


def tail(path, lines=40):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError as exc:
        return str(exc)


def wait_until(what, probe, seconds=30, proc=None, log=None):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail("%s exited with %s:\n%s" % (what, proc.returncode, tail(log)))
        try:
            return probe()
        except Exception as exc:  # anything means "not yet"
            last = exc
        time.sleep(0.2)
    pytest.fail("%s did not answer within %ss (%s):\n%s" % (what, seconds, last, tail(log) if log else ""))


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def query(name, rdtype):
    """Ask BIND directly (UDP, 127.0.0.1:NAMED_PORT); return the response."""
    return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=NAMED_PORT, timeout=2)


def soa_serial():
    response = query(ZONE, dns.rdatatype.SOA)
    assert response.rcode() == dns.rcode.NOERROR, response
    return response.answer[0][0].serial


def challenge_txt():
    """The TXT values at _acme-challenge.example.test in BIND (an empty list when there is no such record)."""
    response = query(CHALLENGE, dns.rdatatype.TXT)
    assert response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), response
    return [b"".join(rdata.strings).decode() for rrset in response.answer for rdata in rrset]


# ------------------------------------------------------------------------------------------------ servers
@pytest.fixture(scope="module")
def bind(tmp_path_factory):
    """A real BIND primary for example.test that takes TSIG-signed updates. Yields its facts."""
    work = tmp_path_factory.mktemp("named")
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    (work / "example.test.zone").write_text(
        "$TTL 60\n"
        "@ IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60\n"
        "@ IN NS ns1.example.test.\n"
        "ns1 IN A 127.0.0.1\n"
        "@ IN A 127.0.0.1\n")
    conf = work / "named.conf"
    conf.write_text("""
key "%(key)s" { algorithm hmac-sha256; secret "%(secret)s"; };
options {
    directory "%(dir)s";
    pid-file "%(dir)s/named.pid";
    session-keyfile "%(dir)s/session.key";
    managed-keys-directory "%(dir)s";
    listen-on port %(port)d { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    allow-transfer { none; };
    dnssec-validation no;
    notify no;
};
controls { };
zone "%(zone)s" {
    type primary;
    file "%(zone)s.zone";
    allow-update { key "%(key)s"; };
};
""" % dict(key=KEY_NAME, secret=secret, dir=work, port=NAMED_PORT, zone=ZONE))
    log = work / "named.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([NAMED, "-g", "-4", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT, cwd=work)
    try:
        wait_until("named", soa_serial, proc=proc, log=log)
        yield dict(secret=secret, log=log)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def pebble(lab, bind, tmp_path_factory):
    """A second Pebble whose VA resolves through the BIND above. Yields its directory URL and root."""
    work = tmp_path_factory.mktemp("pebble")
    listener_ca = lab["LAB_PEBBLE_LISTENER_CA"]
    listener_key = os.path.join(os.path.dirname(listener_ca), "listener.key")
    config = work / "pebble-config.json"
    config.write_text(
        '{"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d", "certificate": "%s",'
        ' "privateKey": "%s", "httpPort": 19463, "tlsPort": 19464, "ocspResponderURL": "", "externalAccountBindingRequired": false}}'
        % (PEBBLE_PORT, PEBBLE_MANAGEMENT_PORT, listener_ca, listener_key))
    # No sleeping in the VA; never reuse a valid authorization, so every order needs the DNS records again.
    env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_AUTHZREUSE="0")
    log = work / "pebble.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(["pebble", "-config", str(config), "-dnsserver", "127.0.0.1:%d" % NAMED_PORT, "-strict"],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work)
    context = ssl.create_default_context(cafile=listener_ca)

    def fetch(url):
        with urllib.request.urlopen(url, context=context, timeout=5) as response:
            return response.read().decode()

    try:
        wait_until("pebble", lambda: fetch("https://127.0.0.1:%d/dir" % PEBBLE_PORT), proc=proc, log=log)
        root = work / "root.pem"
        root.write_text(fetch("https://127.0.0.1:%d/roots/0" % PEBBLE_MANAGEMENT_PORT))
        host("mkdir", "-p", HOST_DIR, check=True)
        subprocess.run(["docker", "cp", listener_ca, "%s:%s/pebble-listener.pem" % (PANEL, HOST_DIR)], check=True)
        subprocess.run(["docker", "cp", str(root), "%s:%s/pebble-root.pem" % (PANEL, HOST_DIR)], check=True)
        yield dict(directory="https://127.0.0.1:%d/dir" % PEBBLE_PORT, root=str(root), log=log)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def role_vars(bind, pebble):
    """The role's variables for this CA and this BIND; the certificate is removed again at the end."""
    values = dict(
        acme_certificate_domains=DOMAINS,
        acme_certificate_challenge="dns-01",
        acme_certificate_dns_provider="rfc2136",
        acme_certificate_dns_delegate_to="localhost",
        acme_certificate_rfc2136_server="127.0.0.1",
        acme_certificate_rfc2136_port=NAMED_PORT,
        acme_certificate_rfc2136_key_name=KEY_NAME,
        acme_certificate_rfc2136_key_secret=bind["secret"],
        acme_certificate_directory_url=pebble["directory"],
        acme_certificate_directory_ca_file=HOST_DIR + "/pebble-listener.pem",
        acme_certificate_trusted_root_file=HOST_DIR + "/pebble-root.pem",
        acme_certificate_terms_agreed=True,
        acme_certificate_use_ari=False,
        acme_certificate_account_key_path=HOST_DIR + "/account.key",
        acme_certificate_cert_dir=HOST_DIR + "/certs",
        acme_certificate_metadata_dir=HOST_DIR + "/metadata",
        acme_certificate_reload_nginx=False,
    )
    host("rm", "-rf", HOST_DIR + "/certs", HOST_DIR + "/metadata", HOST_DIR + "/account.key", check=True)
    yield values
    run_playbook(PLAY, extra_vars=dict(values, acme_certificate_state="absent"))
    host("rm", "-rf", HOST_DIR)


def cert_facts(pebble):
    """The installed certificate: (serial, sorted SANs), after checking that its chain verifies against this Pebble's root."""
    pem = host("cat", CERT, check=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as handle:
        handle.write(pem)
    try:
        verify = subprocess.run(["openssl", "verify", "-CAfile", pebble["root"], "-untrusted", handle.name, handle.name],
                                capture_output=True, text=True, check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-ext", "subjectAltName", "-in", handle.name],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    finally:
        os.unlink(handle.name)
    return out[0].split("=", 1)[1], sorted(name.strip() for name in out[2].split(","))


def explain(run, bind, pebble):
    return "%s\n--- named ---\n%s\n--- pebble ---\n%s" % (run.explain(), tail(bind["log"]), tail(pebble["log"]))


# ------------------------------------------------------------------------------------------------ tests
def test_wildcard_certificate_through_bind(bind, pebble, role_vars):
    serial = soa_serial()
    assert challenge_txt() == []

    run = run_playbook(PLAY, extra_vars=role_vars)
    assert run.rc == 0 and run.failed() == 0, explain(run, bind, pebble)
    assert run.changed("panel_host") > 0

    # The certificate on the host: both names, a chain that verifies against this Pebble's root, a private key.
    cert_serial, names = cert_facts(pebble)
    assert names == ["DNS:*.example.test", "DNS:example.test"]
    assert host("stat", "-c", "%a", KEY).stdout.strip() == "600"

    # BIND took the signed updates (the zone serial moved: records added, then deleted) and the records are gone again.
    assert soa_serial() > serial
    assert challenge_txt() == []
    log = bind["log"].read_text()
    assert log.count("adding an RR at '%s' TXT" % CHALLENGE) == 2, tail(bind["log"])  # one value per name
    assert "deleting rrset at '%s' TXT" % CHALLENGE in log, tail(bind["log"])
    assert bind["secret"] not in run.stdout + run.stderr

    # Nothing is due: the second run orders nothing and changes nothing.
    serial = soa_serial()
    run = run_playbook(PLAY, extra_vars=role_vars)
    assert run.rc == 0 and run.failed() == 0, explain(run, bind, pebble)
    assert run.changed("panel_host") == 0, explain(run, bind, pebble)
    assert soa_serial() == serial
    assert cert_facts(pebble)[0] == cert_serial


def test_renew_certificates_playbook_renews_through_bind(bind, pebble, role_vars):
    """renew_certificates.yml finds the rfc2136 settings in the metadata; only the TSIG secret is passed."""
    old_serial, _names = cert_facts(pebble)
    serial = soa_serial()
    extra = dict(panel_hosts="panel_host", panel_renew_metadata_dir=role_vars["acme_certificate_metadata_dir"],
                 acme_certificate_rfc2136_key_secret=bind["secret"], acme_certificate_reload_nginx=False)
    run = run_playbook(os.path.join(ROOT, "playbooks", "renew_certificates.yml"), extra_vars=dict(extra, panel_renew_now="+1900d"))
    assert run.rc == 0 and run.failed() == 0, explain(run, bind, pebble)
    assert run.changed("panel_host") > 0
    new_serial, names = cert_facts(pebble)
    assert new_serial != old_serial and names == ["DNS:*.example.test", "DNS:example.test"]
    assert soa_serial() > serial and challenge_txt() == []

    assert host("test", "-e", "/var/lib/opsforge/acme/certificates/%s.json" % ZONE).returncode != 0, "metadata left the metadata dir"

    run = run_playbook(os.path.join(ROOT, "playbooks", "renew_certificates.yml"), extra_vars=extra)
    assert run.rc == 0 and run.failed() == 0 and run.changed("panel_host") == 0, explain(run, bind, pebble)


def test_wrong_tsig_secret_fails_clearly_and_keeps_the_certificate(bind, pebble, role_vars):
    before = host_sha(CERT), host_sha(KEY)
    assert all(before), "the earlier tests left no certificate"
    serial = soa_serial()
    wrong = base64.b64encode(secrets.token_bytes(32)).decode()
    # Pretend the certificate is due, so that the role orders and has to publish the records.
    run = run_playbook(PLAY, extra_vars=dict(role_vars, acme_certificate_rfc2136_key_secret=wrong, acme_certificate_renewal_now="+1900d"))
    assert run.rc != 0 and run.failed("panel_host") > 0, explain(run, bind, pebble)
    msg = run.failed_messages()
    assert ("acme_certificate: the RFC 2136 update that publishes the DNS-01 TXT records of %s failed on 127.0.0.1:%d"
            % (CHALLENGE, NAMED_PORT)) in msg and "PeerBadSignature" in msg, msg
    assert wrong not in run.stdout + run.stderr and bind["secret"] not in run.stdout + run.stderr
    # BIND refused the update: nothing was added; the installed certificate is untouched.
    assert "request has invalid signature: TSIG opsforge-acme: tsig verify failure (BADSIG)" in bind["log"].read_text(), tail(bind["log"])
    assert soa_serial() == serial
    assert challenge_txt() == []
    assert (host_sha(CERT), host_sha(KEY)) == before


def test_rfc2136_without_a_server_fails_before_touching_the_host(pebble, role_vars):
    before = host_sha(CERT)
    run = run_playbook(PLAY, extra_vars=dict(role_vars, acme_certificate_rfc2136_server="", acme_certificate_renewal_now="+1900d"))
    assert run.rc != 0 and run.changed("panel_host") == 0
    assert "rfc2136 needs acme_certificate_rfc2136_server" in run.failed_messages(), run.explain()
    assert host_sha(CERT) == before
