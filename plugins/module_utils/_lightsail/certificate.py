# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail SSL/TLS certificates for distributions and container services, with DNS validation."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import immutable_error
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes

# Lightsail DNS zones and distribution certificates live in us-east-1.
GLOBAL_REGION = "us-east-1"
CERT_FAILED = ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE")


def certificate_region(usage, region):
    """``(region to call, warning or None)``: distribution certificates must be in us-east-1."""
    if usage == "distribution":
        if region and region != GLOBAL_REGION:
            return GLOBAL_REGION, ("certificates for distributions must be in %s: the certificate is managed there, "
                                   "not in %s" % (GLOBAL_REGION, region))
        return GLOBAL_REGION, None
    return region, None


def describe_certificate(client, name):
    response = client.call("GetCertificates", not_found_ok=True, certificateName=name, includeCertificateDetails=True)
    items = (response or {}).get("certificates") or []
    return items[0].get("certificateDetail") if items else None


def validation_records(certificate):
    """The DNS records that prove control of each name (CNAME name/value), one per distinct record."""
    records = []
    seen = set()
    for record in (certificate or {}).get("domainValidationRecords") or []:
        rr = record.get("resourceRecord") or {}
        if not rr.get("name") or (rr["name"], rr.get("value")) in seen:
            continue
        seen.add((rr["name"], rr.get("value")))
        records.append({"domain_name": record.get("domainName"), "name": rr["name"], "type": rr.get("type"),
                        "value": rr.get("value"), "validation_status": record.get("validationStatus")})
    return records


def _relative(fqdn, zone):
    """``_x.www.example.com.`` in zone ``example.com`` -> Lightsail entry name ``_x.www.example.com`` (no dot)."""
    name = fqdn.rstrip(".")
    return name if name == zone or name.endswith("." + zone) else None


class Certificate(LightsailResource):
    result_key = "certificate"

    def __init__(self, client, params, dns_client=None):
        super().__init__(client, params)
        self.name = params["name"]
        self.dns_client = dns_client or client
        self.zone = (params.get("validation_domain") or "").rstrip(".") or None
        self._dns_missing = None

    def describe(self):
        return describe_certificate(self.client, self.name)

    def validate(self, current):
        if self.state == "absent":
            if current is not None and current.get("inUseResourceCount"):
                raise invalid("certificate %s is in use by %d resource(s); detach it first" % (self.name, current["inUseResourceCount"]))
            return
        if current is None:
            if not self.params.get("domain_name"):
                raise invalid("certificate %s does not exist: domain_name is required to create it" % self.name)
            return
        if self.params.get("domain_name") and self.params["domain_name"] != current.get("domainName"):
            raise immutable_error("certificate", self.name, "domain_name", current.get("domainName"), self.params["domain_name"],
                                  hint="create a certificate with another name")
        sans = self.params.get("subject_alternative_names")
        if sans is not None:
            have = sorted(set(current.get("subjectAlternativeNames") or []) - {current.get("domainName")})
            want = sorted(set(sans) - {current.get("domainName")})
            if have != want:
                raise immutable_error("certificate", self.name, "subject_alternative_names", have, want,
                                      hint="create a certificate with another name")

    # -- DNS validation -------------------------------------------------------------------
    def _missing_dns_records(self, certificate):
        if self.zone is None or certificate is None or certificate.get("status") != "PENDING_VALIDATION":
            return []
        if self._dns_missing is None:
            domain = self.dns_client.call("GetDomain", domainName=self.zone)["domain"]
            have = {(e.get("name", "").rstrip("."), (e.get("target") or "").rstrip(".")) for e in domain.get("domainEntries") or []
                    if e.get("type") == "CNAME"}
            missing = []
            for record in validation_records(certificate):
                name = _relative(record["name"], self.zone)
                if name and (name, record["value"].rstrip(".")) not in have:
                    missing.append({"name": name, "target": record["value"].rstrip("."), "type": record["type"] or "CNAME"})
            self._dns_missing = missing
        return self._dns_missing

    def _create_dns_records(self):
        certificate = self.client.wait_for(
            self.describe, lambda c: all((r.get("resourceRecord") or {}).get("name") for r in c.get("domainValidationRecords") or [])
            and bool(c.get("domainValidationRecords")),
            timeout=self.wait_timeout, what="validation records of certificate %s" % self.name, failed_fn=_cert_failed)
        operations = []
        for entry in self._missing_dns_records(certificate):
            response = self.dns_client.call("CreateDomainEntry", domainName=self.zone, domainEntry=entry)
            operations.append(response.get("operation"))
        # the DNS zone may live in another region than the certificate: wait with its own client
        self.dns_client.wait_operations([o for o in operations if o], timeout=self.wait_timeout)
        return []

    def _dns_action(self):
        return Action("create DNS validation records in Lightsail domain %s" % self.zone, self._create_dns_records)

    # -- plan -----------------------------------------------------------------------------
    def plan_create(self):
        p = self.params
        params = dict(certificateName=self.name, domainName=p["domain_name"])
        if p.get("subject_alternative_names"):
            params["subjectAlternativeNames"] = list(p["subject_alternative_names"])
        if p.get("tags"):
            params["tags"] = dict_to_tags(p["tags"])
        actions = [Action("request certificate %s for %s" % (self.name, p["domain_name"]),
                          lambda: self.client.call("CreateCertificate", **params))]
        if self.zone:
            actions.append(self._dns_action())
        return actions

    def plan_update(self, current):
        actions = []
        if self._missing_dns_records(current):
            actions.append(self._dns_action())
        current_tags = normalize_resource({"tags": current.get("tags") or []})["tags"]
        to_set, to_remove = tag_changes(current_tags, self.params.get("tags"), self.params.get("purge_tags", True))
        if to_set or to_remove:
            actions.append(Action("update tags of certificate %s" % self.name,
                                  lambda: ensure_tags(self.client, self.name, current_tags, self.params.get("tags"),
                                                      self.params.get("purge_tags", True))))
        return actions

    def plan_delete(self, current):
        return [Action("delete certificate %s" % self.name, lambda: self.client.call("DeleteCertificate", certificateName=self.name))]

    def run(self):
        result = super().run()
        # waiting for ISSUED is not a change; do it also when nothing had to be done
        if self.state == "present" and self.wait and not self.check_mode and result[self.result_key].get("status") != "ISSUED":
            issued = self.client.wait_for(self.describe, lambda c: c.get("status") == "ISSUED", timeout=self.wait_timeout,
                                          what="certificate %s to be issued" % self.name, failed_fn=_cert_failed)
            result[self.result_key] = self.normalize(issued)
            result["diff"]["after"] = result[self.result_key]
            result["validation_records"] = validation_records(issued)
        return result

    def predict(self, current):
        if self.state == "absent":
            return {}
        p = self.params
        if current is None:
            return {"name": self.name, "domain_name": p["domain_name"], "status": "PENDING_VALIDATION",
                    "subject_alternative_names": list(p.get("subject_alternative_names") or []), "tags": dict(p.get("tags") or {})}
        after = self.normalize(current)
        after["tags"] = predict_tags(after.get("tags") or {}, p.get("tags"), p.get("purge_tags", True))
        return after

    def extra_result(self, current, after):
        source = after if after is not None else current
        return {"validation_records": validation_records(source) if self.state == "present" else []}


def _cert_failed(certificate):
    if certificate.get("status") not in CERT_FAILED:
        return None
    reason = certificate.get("requestFailureReason")
    return "certificate is %s%s" % (certificate["status"], ": %s" % reason if reason else "")


def manage_certificate(module):
    """``lightsail_certificate``'s one call, given the ``LightsailModule``: the certificate is managed in the
    region its ``usage`` needs (a warning first when that is not the task's region), DNS validation
    records go through us-east-1, where Lightsail serves DNS."""
    params = module.params
    region, warning = certificate_region(params["usage"], module.region)
    if warning:
        module.warn(warning)  # now, so that a failed run shows it too
    client = module.lightsail(region=region)
    dns_client = module.lightsail(region=GLOBAL_REGION) if params["validation_domain"] else None
    return Certificate(client, params, dns_client=dns_client).run()


def certificate_info(client, name=None, statuses=None):
    params = dict(includeCertificateDetails=True)
    if name:
        params["certificateName"] = name
    if statuses:
        params["certificateStatuses"] = list(statuses)
    items = client.paginate("GetCertificates", "certificates", **params)
    certificates = []
    for item in items:
        detail = item.get("certificateDetail") or {}
        certificate = normalize_resource(detail)
        certificate["validation_records"] = validation_records(detail)
        certificates.append(certificate)
    return {"certificates": certificates}
