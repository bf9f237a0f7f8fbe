# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail load balancers: create, attach/detach instances, attributes (health check path, session
stickiness, HTTPS redirection, TLS policy), IP address type, TLS certificates (create, attach,
delete) with their DNS validation records, tags, delete.

Used by ``lightsail_load_balancer`` and ``lightsail_load_balancer_info``.
"""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import load_balancer_active
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.client import load_balancer_failed
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import immutable_error
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tags_to_dict

STICKY = "SessionStickinessEnabled"
COOKIE = "SessionStickiness_LB_CookieDurationSeconds"
# Our own key in the raw load balancer dict: the full certificate objects when they were read.
CERTS = "tlsCertificates"
ISSUED = "ISSUED"
PENDING = "PENDING_VALIDATION"


def _bool_text(value):
    return "true" if value else "false"


def get_load_balancer(client, name):
    response = client.call("get_load_balancer", not_found_ok=True, loadBalancerName=name)
    return response["loadBalancer"] if response else None


def get_certificates(client, name):
    response = client.call("get_load_balancer_tls_certificates", loadBalancerName=name)
    return list(response.get("tlsCertificates") or [])


def attached_instances(raw):
    return sorted(h["instanceName"] for h in raw.get("instanceHealthSummary") or [] if h.get("instanceName"))


def normalize_load_balancer(raw):
    """A Lightsail ``LoadBalancer`` (plus our ``tlsCertificates``) -> the ``load_balancer`` value:
    snake_case, tags dict, ``instances`` (attached instance names) and, when read,
    ``tls_certificates`` (each with ``domain_validation_records``)."""
    if raw is None:
        return {}
    result = normalize_resource(raw)
    result["instances"] = attached_instances(raw)
    return result


def validation_records(raw):
    """Flat list of the DNS records that validate the certificates (to feed ``lightsail_domain``)."""
    records = []
    for cert in raw.get(CERTS) or [] if raw else []:
        for record in cert.get("domainValidationRecords") or []:
            records.append({"certificate_name": cert.get("name"), "domain_name": record.get("domainName"),
                            "name": record.get("name"), "type": record.get("type"), "value": record.get("value"),
                            "validation_status": record.get("validationStatus")})
    return records


def validation_entries(records):
    """The validation records as ``lightsail_domain`` ``entries`` (``name``, ``type``, ``target``), without duplicates."""
    entries = []
    for record in records:
        entry = {"name": record["name"], "type": record["type"], "target": record["value"]}
        if record.get("name") and record.get("value") and entry not in entries:
            entries.append(entry)
    return entries


class LoadBalancer(LightsailResource):
    """``lightsail_load_balancer``: state present / absent."""

    result_key = "load_balancer"
    deferred = ()  # options waiting for a certificate to be issued and attached (set by plan_changes)

    @property
    def name(self):
        return self.params["name"]

    @property
    def manage_certificates(self):
        return self.params.get("tls_certificates") is not None

    def describe(self):
        raw = get_load_balancer(self.client, self.name)
        if raw is not None and self.manage_certificates:
            raw = dict(raw)
            raw[CERTS] = get_certificates(self.client, self.name) if raw.get("tlsCertificateSummaries") else []
        return raw

    def normalize(self, raw):
        return normalize_load_balancer(raw)

    # -- validation -------------------------------------------------------------------------
    def validate(self, current):
        params = self.params
        if self.state == "absent":
            return
        duration = params.get("session_stickiness_cookie_duration")
        if duration is not None and duration < 1:
            raise invalid("session_stickiness_cookie_duration must be a positive number of seconds")
        if params.get("health_check_path") is not None and not params["health_check_path"].startswith("/"):
            raise invalid("health_check_path must start with /, got %r" % params["health_check_path"])
        names = [c["name"] for c in params.get("tls_certificates") or []]
        if len(set(names)) != len(names):
            raise invalid("tls_certificates: a certificate name is listed twice")
        if len([c for c in params.get("tls_certificates") or [] if c.get("attached") and c.get("state") != "absent"]) > 1:
            raise invalid("tls_certificates: only one certificate can be attached to a load balancer")
        policy = params.get("tls_policy_name")
        if policy and policy != (current or {}).get("tlsPolicyName"):
            check_tls_policy(self.client, policy)
        if current is None:
            if not params.get("instance_port"):
                raise invalid("load balancer %s does not exist; instance_port is required to create it" % self.name)
            existing = {}
        else:
            if params.get("instance_port") and params["instance_port"] != current.get("instancePort"):
                raise immutable_error("load balancer", self.name, "instance_port", current.get("instancePort"), params["instance_port"],
                                      "create a new load balancer and move the instances and DNS records to it")
            existing = {c["name"]: c for c in current.get(CERTS) or []}
        for cert in params.get("tls_certificates") or []:
            if cert.get("state") == "absent":
                continue
            old = existing.get(cert["name"])
            if old is None:
                if not cert.get("domain_name"):
                    raise invalid("tls_certificates: certificate %s does not exist; domain_name is required to create it" % cert["name"])
                continue
            if cert.get("domain_name") and cert["domain_name"] != old.get("domainName"):
                raise immutable_error("TLS certificate", cert["name"], "domain_name", old.get("domainName"), cert["domain_name"],
                                      "create a certificate with another name")
            if cert.get("alternative_names") is not None:
                have = sorted(set(old.get("subjectAlternativeNames") or []) - {old.get("domainName")})
                want = sorted(set(cert["alternative_names"]) - {old.get("domainName")})
                if have != want:
                    raise immutable_error("TLS certificate", cert["name"], "alternative_names", have, want,
                                          "create a certificate with another name")

    # -- planning ---------------------------------------------------------------------------
    def _call(self, description, op, **request):
        return Action(description, lambda: self.client.call(op, **request))

    def _attribute(self, attribute, value, description):
        return self._call(description, "update_load_balancer_attribute", loadBalancerName=self.name,
                          attributeName=attribute, attributeValue=value)

    def _wait_active(self):
        self.client.wait_for(lambda: get_load_balancer(self.client, self.name), load_balancer_active, timeout=self.wait_timeout,
                             what="load balancer %s" % self.name, failed_fn=load_balancer_failed)

    def pending_validation(self, raw):
        """Certificates asked to be attached that Lightsail has not issued yet."""
        certs = {c["name"]: c for c in (raw or {}).get(CERTS) or []}
        pending = []
        for cert in self.params.get("tls_certificates") or []:
            if cert.get("attached") and cert.get("state") != "absent":
                status = (certs.get(cert["name"]) or {}).get("status", PENDING)
                if status != ISSUED:
                    pending.append({"name": cert["name"], "status": status})
        return pending

    def plan_changes(self, current):
        """Actions from ``current`` (a raw load balancer, possibly a freshly created one) to the request."""
        params = self.params
        actions = []
        if params.get("ip_address_type") and params["ip_address_type"] != current.get("ipAddressType", "ipv4"):
            actions.append(self._call("set IP address type of %s to %s" % (self.name, params["ip_address_type"]), "set_ip_address_type",
                                      resourceType="LoadBalancer", resourceName=self.name, ipAddressType=params["ip_address_type"]))
        if params.get("instances") is not None:
            have = set(attached_instances(current))
            want = set(params["instances"])
            detach = sorted(have - want) if params.get("purge_instances", True) else []
            attach = sorted(want - have)
            if detach:
                actions.append(self._call("detach instances %s from %s" % (", ".join(detach), self.name), "detach_instances_from_load_balancer",
                                          loadBalancerName=self.name, instanceNames=detach))
            if attach:
                actions.append(self._call("attach instances %s to %s" % (", ".join(attach), self.name), "attach_instances_to_load_balancer",
                                          loadBalancerName=self.name, instanceNames=attach))
        options = current.get("configurationOptions") or {}
        if params.get("health_check_path") is not None and params["health_check_path"] != current.get("healthCheckPath"):
            actions.append(self._attribute("HealthCheckPath", params["health_check_path"],
                                           "set health check path of %s to %s" % (self.name, params["health_check_path"])))
        if params.get("session_stickiness") is not None and _bool_text(params["session_stickiness"]) != (options.get(STICKY) or "false").lower():
            actions.append(self._attribute(STICKY, _bool_text(params["session_stickiness"]),
                                           "%s session stickiness on %s" % ("enable" if params["session_stickiness"] else "disable", self.name)))
        duration = params.get("session_stickiness_cookie_duration")
        if duration is not None and str(duration) != options.get(COOKIE):
            actions.append(self._attribute(COOKIE, str(duration), "set session cookie duration of %s to %ss" % (self.name, duration)))
        cert_actions = self.plan_certificates(current)
        actions.extend(cert_actions)
        needs_https = []
        if params.get("tls_policy_name") and params["tls_policy_name"] != current.get("tlsPolicyName"):
            needs_https.append("tls_policy_name")
        if params.get("https_redirection") and not current.get("httpsRedirectionEnabled"):
            needs_https.append("https_redirection")
        self.deferred = []
        if needs_https and not self.has_attached_certificate(current, cert_actions):
            if any(c.get("attached") and c.get("state") != "absent" for c in params.get("tls_certificates") or []):
                # The certificate to attach is not issued yet: set these on a later run.
                self.deferred = needs_https
                needs_https = []
        if needs_https and not self.has_attached_certificate(current, cert_actions):
            raise invalid("%s need%s a TLS certificate attached to load balancer %s; attach an issued certificate first "
                          "(tls_certificates with attached=true)" % (" and ".join(needs_https), "" if len(needs_https) > 1 else "s", self.name))
        if params.get("tls_policy_name") and params["tls_policy_name"] != current.get("tlsPolicyName") and "tls_policy_name" not in self.deferred:
            actions.append(self._attribute("TlsPolicyName", params["tls_policy_name"],
                                           "set TLS policy of %s to %s" % (self.name, params["tls_policy_name"])))
        if params.get("https_redirection") is not None and bool(params["https_redirection"]) != bool(current.get("httpsRedirectionEnabled")) \
                and "https_redirection" not in self.deferred:
            actions.append(self._attribute("HttpsRedirectionEnabled", _bool_text(params["https_redirection"]),
                                           "%s HTTPS redirection on %s" % ("enable" if params["https_redirection"] else "disable", self.name)))
        current_tags = tags_to_dict(current.get("tags"))
        to_set, to_remove = tag_changes(current_tags, params.get("tags"), params.get("purge_tags", True))
        if to_set or to_remove:
            actions.append(Action("update tags of load balancer %s" % self.name,
                                  lambda: ensure_tags(self.client, self.name, current_tags, params.get("tags"), params.get("purge_tags", True))))
        return actions

    def has_attached_certificate(self, current, cert_actions):
        """Whether a certificate is attached after ``cert_actions`` (planned from ``current``)."""
        deleted = {c["name"] for c in self.params.get("tls_certificates") or [] if c.get("state") == "absent"}
        attached = {c["name"] for c in current.get("tlsCertificateSummaries") or [] if c.get("isAttached")} - deleted
        return bool(attached) or any(a.description.startswith("attach TLS certificate") for a in cert_actions)

    def plan_certificates(self, current):
        actions = []
        existing = {c["name"]: c for c in current.get(CERTS) or []}
        for cert in self.params.get("tls_certificates") or []:
            name = cert["name"]
            old = existing.get(name)
            if cert.get("state") == "absent":
                if old is not None:
                    request = {"loadBalancerName": self.name, "certificateName": name}
                    if old.get("isAttached"):
                        request["force"] = True
                    actions.append(self._call("delete TLS certificate %s of %s" % (name, self.name),
                                              "delete_load_balancer_tls_certificate", **request))
                continue
            if old is None:
                request = {"loadBalancerName": self.name, "certificateName": name, "certificateDomainName": cert["domain_name"]}
                if cert.get("alternative_names"):
                    request["certificateAlternativeNames"] = list(cert["alternative_names"])
                if cert.get("tags"):
                    request["tags"] = dict_to_tags(cert["tags"])
                actions.append(self._call("create TLS certificate %s for %s on %s" % (name, cert["domain_name"], self.name),
                                          "create_load_balancer_tls_certificate", **request))
            elif cert.get("attached") and not old.get("isAttached") and old.get("status") == ISSUED:
                actions.append(self._call("attach TLS certificate %s to %s" % (name, self.name), "attach_load_balancer_tls_certificate",
                                          loadBalancerName=self.name, certificateName=name))
        return actions

    def _fresh(self):
        """The load balancer as Lightsail creates it (the base the first run's changes are planned on)."""
        params = self.params
        raw = {"name": self.name, "resourceType": "LoadBalancer", "state": "active", "protocol": "HTTP",
               "publicPorts": [80], "instancePort": params["instance_port"],
               "healthCheckPath": params.get("health_check_path") or "/", "ipAddressType": params.get("ip_address_type") or "dualstack",
               "location": {"availabilityZone": "all", "regionName": self.client.region},
               "configurationOptions": {STICKY: "false", COOKIE: "86400"}, "httpsRedirectionEnabled": False,
               "instanceHealthSummary": [], "tlsCertificateSummaries": [], "tags": dict_to_tags(params.get("tags") or {})}
        if self.manage_certificates:
            raw[CERTS] = []
        return raw

    def plan_create(self):
        params = self.params
        request = {"loadBalancerName": self.name, "instancePort": params["instance_port"]}
        if params.get("health_check_path"):
            request["healthCheckPath"] = params["health_check_path"]
        if params.get("ip_address_type"):
            request["ipAddressType"] = params["ip_address_type"]
        if params.get("tags"):
            request["tags"] = dict_to_tags(params["tags"])
        create = self._call("create load balancer %s forwarding to port %s" % (self.name, params["instance_port"]),
                            "create_load_balancer", **request)
        rest = self.plan_changes(self._fresh())
        if rest:
            create.then = self._wait_active
        return [create] + rest

    def plan_update(self, current):
        return self.plan_changes(current)

    def plan_delete(self, current):
        return [self._call("delete load balancer %s" % self.name, "delete_load_balancer", loadBalancerName=self.name)]

    # -- results ----------------------------------------------------------------------------
    def predict(self, current):
        if self.state == "absent":
            return {}
        params = self.params
        raw = dict(current) if current is not None else self._fresh()
        if current is not None:
            raw["tags"] = dict_to_tags(predict_tags(tags_to_dict(current.get("tags")), params.get("tags"), params.get("purge_tags", True)))
        if params.get("ip_address_type"):
            raw["ipAddressType"] = params["ip_address_type"]
        if params.get("instances") is not None:
            have = attached_instances(raw)
            want = set(params["instances"]) | (set() if params.get("purge_instances", True) else set(have))
            raw["instanceHealthSummary"] = [h for h in raw.get("instanceHealthSummary") or [] if h.get("instanceName") in want]
            raw["instanceHealthSummary"] += [{"instanceName": n, "instanceHealth": "initial"} for n in sorted(want - set(have))]
        options = dict(raw.get("configurationOptions") or {})
        if params.get("health_check_path") is not None:
            raw["healthCheckPath"] = params["health_check_path"]
        if params.get("session_stickiness") is not None:
            options[STICKY] = _bool_text(params["session_stickiness"])
        if params.get("session_stickiness_cookie_duration") is not None:
            options[COOKIE] = str(params["session_stickiness_cookie_duration"])
        raw["configurationOptions"] = options
        if params.get("tls_policy_name") and "tls_policy_name" not in self.deferred:
            raw["tlsPolicyName"] = params["tls_policy_name"]
        if params.get("https_redirection") is not None and "https_redirection" not in self.deferred:
            raw["httpsRedirectionEnabled"] = bool(params["https_redirection"])
        if self.manage_certificates:
            certs = {c["name"]: dict(c) for c in raw.get(CERTS) or []}
            for cert in params["tls_certificates"]:
                if cert.get("state") == "absent":
                    certs.pop(cert["name"], None)
                elif cert["name"] not in certs:
                    certs[cert["name"]] = {"name": cert["name"], "loadBalancerName": self.name, "domainName": cert["domain_name"],
                                           "subjectAlternativeNames": [cert["domain_name"]] + list(cert.get("alternative_names") or []),
                                           "status": PENDING, "isAttached": False, "tags": dict_to_tags(cert.get("tags") or {})}
                elif cert.get("attached") and certs[cert["name"]].get("status") == ISSUED:
                    for other in certs.values():
                        other["isAttached"] = other["name"] == cert["name"]
            raw[CERTS] = [certs[k] for k in sorted(certs)]
            raw["tlsCertificateSummaries"] = [{"name": c["name"], "isAttached": bool(c.get("isAttached"))} for c in raw[CERTS]]
        return self.normalize(raw)

    @staticmethod
    def ready(raw):
        if not load_balancer_active(raw):
            return False
        # Lightsail fills in the DNS validation records of a new certificate a few seconds later.
        return all(c.get("domainValidationRecords") or c.get("status") != PENDING for c in raw.get(CERTS) or [])

    failed = staticmethod(load_balancer_failed)

    def what(self):
        return "load balancer %s" % self.name

    def extra_result(self, current, after):
        raw = after if after is not None else current
        pending = self.pending_validation(raw) if self.state != "absent" else []
        records = validation_records(raw) if self.state != "absent" else []
        return {"dns_validation_records": records, "dns_validation_entries": validation_entries(records),
                "pending_validation": pending, "deferred": list(self.deferred)}

    def run(self):
        """The resource loop; a certificate waiting for validation and the options waiting for it come first in ``warnings``."""
        result = super().run()
        warnings = ["TLS certificate %s is %s: create the records in dns_validation_records and run again to attach it"
                    % (cert["name"], cert["status"]) for cert in result["pending_validation"]]
        if result["deferred"]:
            warnings.append("%s left unchanged until the TLS certificate is issued and attached; run again then" % " and ".join(result["deferred"]))
        if warnings:
            result["warnings"] = warnings + result.get("warnings", [])
        return result


def tls_policies(client):
    """Every TLS security policy a Lightsail load balancer accepts (GetLoadBalancerTlsPolicies, all pages)."""
    return [normalize_resource(p) for p in client.paginate("GetLoadBalancerTlsPolicies", "tlsPolicies")]


def check_tls_policy(client, name):
    """Raise ``Invalid`` (before any write) when ``name`` is not one of Lightsail's TLS policies."""
    names = [p["name"] for p in tls_policies(client)]
    if name not in names:
        raise invalid("tls_policy_name %s is not a Lightsail TLS policy; use one of %s" % (name, ", ".join(names)))


def load_balancer_info(client, params):
    """``lightsail_load_balancer_info``: one load balancer by name (missing -> empty list) or all;
    with ``tls_certificates`` each one's certificates too (one more read per load balancer)."""
    if params.get("name"):
        raw = get_load_balancer(client, params["name"])
        balancers = [raw] if raw else []
    else:
        balancers = client.paginate("get_load_balancers", "loadBalancers")
    result = []
    for raw in sorted(balancers, key=lambda b: b.get("name") or ""):
        if params.get("tls_certificates"):
            raw = dict(raw)
            raw[CERTS] = get_certificates(client, raw["name"]) if raw.get("tlsCertificateSummaries") else []
        result.append(normalize_load_balancer(raw))
    if params.get("tls_policies"):
        return {"load_balancers": result, "tls_policies": tls_policies(client)}
    return {"load_balancers": result}
