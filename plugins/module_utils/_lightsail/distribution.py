# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail CDN distributions (global: the API lives in us-east-1)."""

from __future__ import annotations

import copy

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes

DISTRIBUTION_REGION = "us-east-1"

ORIGIN_KEYS = {"name": "name", "region_name": "regionName", "protocol_policy": "protocolPolicy",
               "response_timeout": "responseTimeout", "ip_address_type": "ipAddressType"}
SETTINGS_KEYS = {"default_ttl": "defaultTTL", "minimum_ttl": "minimumTTL", "maximum_ttl": "maximumTTL",
                 "allowed_http_methods": "allowedHTTPMethods", "cached_http_methods": "cachedHTTPMethods"}
FORWARD_KEYS = {
    "forwarded_cookies": ("forwardedCookies", "cookies_allow_list", "cookiesAllowList"),
    "forwarded_headers": ("forwardedHeaders", "headers_allow_list", "headersAllowList"),
    "forwarded_query_strings": ("forwardedQueryStrings", "query_strings_allow_list", "queryStringsAllowList"),
}


def forwarding_spec(list_key, option_type="str", choices=("none", "allow-list", "all")):
    """Argument spec of one forwarding setting (cookies, headers, query strings): ``option`` and its allow-list ``list_key``."""
    option = dict(type=option_type)
    if option_type == "str":
        option["choices"] = list(choices)
    return dict(type="dict", options={"option": option, list_key: dict(type="list", elements="str")})


def api_origin(origin):
    return {ORIGIN_KEYS[k]: v for k, v in (origin or {}).items() if v is not None and k in ORIGIN_KEYS}


def api_settings(settings):
    """Module ``cache_behavior_settings`` (snake_case) -> API ``cacheBehaviorSettings`` (only set values)."""
    out = {}
    for key, value in (settings or {}).items():
        if value is None:
            continue
        if key in SETTINGS_KEYS:
            out[SETTINGS_KEYS[key]] = value
        elif key in FORWARD_KEYS:
            api_key, list_key, api_list_key = FORWARD_KEYS[key]
            forward = {}
            if value.get("option") is not None:
                forward["option"] = value["option"]
            if value.get(list_key) is not None:
                forward[api_list_key] = list(value[list_key])
            if forward:
                out[api_key] = forward
    return out


def _merge(current, desired):
    """``current`` updated with ``desired`` recursively (dicts); the result is what the API should hold."""
    merged = copy.deepcopy(current or {})
    for key, value in desired.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _sorted_lists(value):
    if isinstance(value, dict):
        return {k: _sorted_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted(_sorted_lists(v) for v in value) if all(isinstance(v, str) for v in value) else [_sorted_lists(v) for v in value]
    return value


def _differs(current, desired):
    return _sorted_lists(_merge(current, desired)) != _sorted_lists(current or {})


def describe_distribution(client, name):
    response = client.call("GetDistributions", not_found_ok=True, distributionName=name)
    items = (response or {}).get("distributions") or []
    return items[0] if items else None


class Distribution(LightsailResource):
    result_key = "distribution"

    def __init__(self, client, params):
        super().__init__(client, params)
        self.name = params["name"]
        self.cache_reset = None

    def describe(self):
        return describe_distribution(self.client, self.name)

    def validate(self, current):
        if self.state == "absent":
            return
        if current is None:
            missing = [o for o in ("origin", "default_cache_behavior", "bundle_id") if not self.params.get(o)]
            if missing:
                raise invalid("distribution %s does not exist: %s required to create it" % (self.name, ", ".join(missing)))
            origin = self.params["origin"]
            if not origin.get("name") or not origin.get("region_name"):
                raise invalid("origin.name and origin.region_name are required to create distribution %s" % self.name)
        for behavior in self.params.get("cache_behaviors") or []:
            if not behavior["path"].startswith("/") and not behavior["path"].startswith("*"):
                raise invalid("cache_behaviors: path %r must start with / or *" % behavior["path"])
        if self.params.get("bundle_id") and current is not None and self.params["bundle_id"] != current.get("bundleId") \
                and current.get("ableToUpdateBundle") is False:
            raise invalid("distribution %s cannot change its bundle now (ableToUpdateBundle is false)" % self.name)

    def _behaviors(self):
        return [{"path": b["path"], "behavior": b["behavior"]} for b in self.params["cache_behaviors"]]

    def plan_create(self):
        p = self.params
        params = dict(distributionName=self.name, origin=api_origin(p["origin"]),
                      defaultCacheBehavior={"behavior": p["default_cache_behavior"]}, bundleId=p["bundle_id"])
        if p.get("cache_behavior_settings"):
            params["cacheBehaviorSettings"] = api_settings(p["cache_behavior_settings"])
        if p.get("cache_behaviors") is not None:
            params["cacheBehaviors"] = self._behaviors()
        if p.get("ip_address_type"):
            params["ipAddressType"] = p["ip_address_type"]
        if p.get("certificate_name"):
            params["certificateName"] = p["certificate_name"]
        if p.get("tags"):
            params["tags"] = dict_to_tags(p["tags"])
        actions = [Action("create distribution %s (origin %s)" % (self.name, p["origin"]["name"]),
                          lambda: self.client.call("CreateDistribution", **params))]
        if p.get("is_enabled") is False:
            actions.append(Action("disable distribution %s" % self.name,
                                  lambda: self.client.call("UpdateDistribution", distributionName=self.name, isEnabled=False)))
        return actions

    def update_params(self, current):
        p = self.params
        update = {}
        if p.get("origin"):
            have = {k: v for k, v in (current.get("origin") or {}).items() if k in ORIGIN_KEYS.values()}
            want = api_origin(p["origin"])
            if _differs(have, want):
                update["origin"] = _merge(have, want)
        if p.get("default_cache_behavior") and p["default_cache_behavior"] != (current.get("defaultCacheBehavior") or {}).get("behavior"):
            update["defaultCacheBehavior"] = {"behavior": p["default_cache_behavior"]}
        if p.get("cache_behavior_settings"):
            have = current.get("cacheBehaviorSettings") or {}
            want = api_settings(p["cache_behavior_settings"])
            if _differs(have, want):
                update["cacheBehaviorSettings"] = _merge(have, want)
        if p.get("cache_behaviors") is not None:
            want = sorted(self._behaviors(), key=lambda b: b["path"])
            have = sorted(current.get("cacheBehaviors") or [], key=lambda b: b["path"])
            if want != have:
                update["cacheBehaviors"] = want
        if p.get("is_enabled") is not None and p["is_enabled"] != current.get("isEnabled"):
            update["isEnabled"] = p["is_enabled"]
        return update

    def plan_update(self, current):
        p = self.params
        actions = []
        update = self.update_params(current)
        if update:
            actions.append(Action("update distribution %s (%s)" % (self.name, ", ".join(sorted(update))),
                                  lambda: self.client.call("UpdateDistribution", distributionName=self.name, **update)))
        if p.get("bundle_id") and p["bundle_id"] != current.get("bundleId"):
            actions.append(Action("change bundle of distribution %s to %s" % (self.name, p["bundle_id"]),
                                  lambda: self.client.call("UpdateDistributionBundle", distributionName=self.name, bundleId=p["bundle_id"])))
        if p.get("ip_address_type") and p["ip_address_type"] != current.get("ipAddressType"):
            actions.append(Action("set IP address type of distribution %s to %s" % (self.name, p["ip_address_type"]),
                                  lambda: self.client.call("SetIpAddressType", resourceType="Distribution", resourceName=self.name,
                                                           ipAddressType=p["ip_address_type"])))
        certificate = p.get("certificate_name")
        if certificate and certificate != current.get("certificateName"):
            actions.append(Action("attach certificate %s to distribution %s" % (certificate, self.name),
                                  lambda: self.client.call("AttachCertificateToDistribution", distributionName=self.name,
                                                           certificateName=certificate)))
        elif certificate == "" and current.get("certificateName"):
            actions.append(Action("detach certificate %s from distribution %s" % (current["certificateName"], self.name),
                                  lambda: self.client.call("DetachCertificateFromDistribution", distributionName=self.name)))
        current_tags = normalize_resource({"tags": current.get("tags") or []})["tags"]
        to_set, to_remove = tag_changes(current_tags, p.get("tags"), p.get("purge_tags", True))
        if to_set or to_remove:
            actions.append(Action("update tags of distribution %s" % self.name,
                                  lambda: ensure_tags(self.client, self.name, current_tags, p.get("tags"), p.get("purge_tags", True))))
        if p.get("reset_cache"):
            actions.append(Action("reset the cache of distribution %s" % self.name, self._reset_cache))
        return actions

    def _reset_cache(self):
        response = self.client.call("ResetDistributionCache", distributionName=self.name)
        self.cache_reset = {"status": response.get("status"), "create_time": response.get("createTime")}
        return response

    def plan_delete(self, current):
        return [Action("delete distribution %s" % self.name,
                       lambda: self.client.call("DeleteDistribution", distributionName=self.name))]

    @staticmethod
    def ready(raw):
        return raw.get("status") == "Deployed"

    @staticmethod
    def failed(raw):
        return "status is %s" % raw["status"] if raw.get("status") == "Failed" else None

    def what(self):
        return "distribution %s to be deployed" % self.name

    def predict(self, current):
        if self.state == "absent":
            return {}
        p = self.params
        raw = copy.deepcopy(current) if current is not None else {"name": self.name, "status": "InProgress", "isEnabled": True, "tags": []}
        if current is None:
            raw.update(origin=api_origin(p["origin"]), defaultCacheBehavior={"behavior": p["default_cache_behavior"]},
                       bundleId=p["bundle_id"], cacheBehaviorSettings=api_settings(p.get("cache_behavior_settings")),
                       cacheBehaviors=self._behaviors() if p.get("cache_behaviors") is not None else [],
                       ipAddressType=p.get("ip_address_type") or "dualstack", certificateName=p.get("certificate_name") or None)
            if p.get("is_enabled") is not None:
                raw["isEnabled"] = p["is_enabled"]
        else:
            raw.update(self.update_params(current))
            if p.get("bundle_id"):
                raw["bundleId"] = p["bundle_id"]
            if p.get("ip_address_type"):
                raw["ipAddressType"] = p["ip_address_type"]
            if p.get("certificate_name") is not None:
                raw["certificateName"] = p["certificate_name"] or None
        after = self.normalize(raw)
        after["tags"] = predict_tags(after.get("tags") or {}, p.get("tags"), p.get("purge_tags", True)) if current else dict(p.get("tags") or {})
        return after

    def extra_result(self, current, after):
        if self.cache_reset:
            return {"cache_reset": normalize_resource(self.cache_reset)}
        return {}


def distribution_info(client, name=None, include_cache_reset=False, include_bundles=False):
    if name:
        item = describe_distribution(client, name)
        raw = [item] if item else []
    else:
        raw = client.paginate("GetDistributions", "distributions")
    distributions = []
    for item in raw:
        distribution = normalize_resource(item)
        if include_cache_reset:
            reset = client.call("GetDistributionLatestCacheReset", distributionName=item["name"])
            distribution["latest_cache_reset"] = normalize_resource({"status": reset.get("status"), "createTime": reset.get("createTime")})
        distributions.append(distribution)
    result = {"distributions": distributions}
    if include_bundles:
        result["bundles"] = normalize_resource({"b": client.call("GetDistributionBundles").get("bundles") or []})["b"]
    return result
