# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fakes for the Aliyun module tests.

* :class:`OssServer`: an OSS bucket behind ``responses`` — the real oss2 client signs and
  sends real HTTP requests and parses the XML this answers (PUT bodies are stored and
  echoed back by GET, as OSS does for these sub-resources).
* :class:`FakeFc` / :class:`FakeRam`: the Tea SDK clients' methods, taking and returning
  the SDKs' own model classes, raising ``Tea.exceptions.TeaException`` like the services.
"""

import json
import os
import re
import sys
import urllib.parse

import responses
from Tea.exceptions import TeaException

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "fc_functions"))

from fake_ots import FakeOTSClient  # noqa: E402  (re-exported for the ots tests)

__all__ = ["FakeFc", "FakeOTSClient", "FakeRam", "OssServer", "tea_error"]

SUBRESOURCES = ("versioning", "encryption", "lifecycle", "tagging", "publicAccessBlock")
NOT_SET = {
    "encryption": ("NoSuchServerSideEncryptionRule", "The bucket has no encryption rule."),
    "lifecycle": ("NoSuchLifecycle", "No Row found in Lifecycle Table."),
}
DEFAULTS = {
    "versioning": "<VersioningConfiguration></VersioningConfiguration>",
    "tagging": "<Tagging><TagSet></TagSet></Tagging>",
    "publicAccessBlock": "<PublicAccessBlockConfiguration><BlockPublicAccess>false</BlockPublicAccess></PublicAccessBlockConfiguration>",
}


LIFECYCLE_ACTIONS = ("Expiration", "Transition", "AbortMultipartUpload", "NoncurrentVersionExpiration", "NoncurrentVersionTransition")


def lifecycle_overlap(body):
    """The action two rules share on overlapping prefixes (OSS refuses such a lifecycle), or None."""
    rules = []
    for rule in re.findall(r"<Rule>(.*?)</Rule>", body, re.S):
        prefix = re.search(r"<Prefix>(.*?)</Prefix>", rule, re.S)
        rules.append(((prefix.group(1) if prefix else ""), {a for a in LIFECYCLE_ACTIONS if "<%s>" % a in rule}))
    for i, (prefix_a, actions_a) in enumerate(rules):
        for prefix_b, actions_b in rules[i + 1:]:
            if prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a):
                shared = sorted(actions_a & actions_b)
                if shared:
                    return shared[0]
    return None


def _error(status, code, message):
    body = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message>'
            "<RequestId>FAKE0001</RequestId><HostId>fake</HostId></Error>" % (code, message))
    return status, {"x-oss-request-id": "FAKE0001", "Content-Type": "application/xml"}, body


class OssServer:
    """One bucket's worth of OSS, at https://<bucket>.oss-<region>.aliyuncs.com/."""

    def __init__(self, mock, bucket="camera-test", region="cn-hangzhou"):
        self.bucket = bucket
        self.region = region
        self.exists = False
        self.acl = "private"
        self.storage_class = "Standard"
        self.config = {}
        self.requests = []
        self.fail_next = []  # (status, code) answered before serving, for retry tests
        mock.add_callback(responses.GET, re.compile(r"https://%s\.oss-.*" % re.escape(bucket)), callback=self._serve)
        mock.add_callback(responses.PUT, re.compile(r"https://%s\.oss-.*" % re.escape(bucket)), callback=self._serve)
        mock.add_callback(responses.DELETE, re.compile(r"https://%s\.oss-.*" % re.escape(bucket)), callback=self._serve)

    @property
    def writes(self):
        return [r for r in self.requests if r[0] != "GET"]

    def _serve(self, request):
        parts = urllib.parse.urlsplit(request.url)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        sub = next((k for k in query if k in SUBRESOURCES or k in ("bucketInfo", "acl")), None)
        self.requests.append((request.method, sub))
        assert request.headers.get("Authorization", "").startswith("OSS"), "request is not signed"
        if self.fail_next:
            status, code = self.fail_next.pop(0)
            return _error(status, code, "injected")
        if request.method == "PUT" and sub is None:
            self.exists = True
            self.acl = request.headers.get("x-oss-acl", "private")
            body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
            match = re.search(r"<StorageClass>(\w+)</StorageClass>", body)
            self.storage_class = match.group(1) if match else "Standard"
            return 200, {"x-oss-request-id": "FAKE0001"}, ""
        if not self.exists:
            return _error(404, "NoSuchBucket", "The specified bucket does not exist.")
        if request.method == "DELETE" and sub is None:
            if self.config.get("objects"):
                return _error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
            self.exists = False
            self.config = {}
            self.acl = "private"
            return 204, {"x-oss-request-id": "FAKE0001"}, ""
        if sub == "bucketInfo":
            body = ("<BucketInfo><Bucket><Name>%s</Name><CreationDate>2026-11-22T10:00:00.000Z</CreationDate>"
                    "<ExtranetEndpoint>oss-%s.aliyuncs.com</ExtranetEndpoint><IntranetEndpoint>oss-%s-internal.aliyuncs.com</IntranetEndpoint>"
                    "<Location>oss-%s</Location><StorageClass>%s</StorageClass><Owner><ID>1234567890123456</ID>"
                    "<DisplayName>1234567890123456</DisplayName></Owner><AccessControlList><Grant>%s</Grant></AccessControlList>"
                    "</Bucket></BucketInfo>") % (self.bucket, self.region, self.region, self.region, self.storage_class, self.acl)
            return 200, {"x-oss-request-id": "FAKE0001"}, body
        if sub == "acl" and request.method == "PUT":
            self.acl = request.headers["x-oss-acl"]
            return 200, {"x-oss-request-id": "FAKE0001"}, ""
        if sub in SUBRESOURCES:
            if request.method == "PUT":
                body = request.body.decode() if isinstance(request.body, bytes) else request.body
                # oss2 sends Python's True/False; OSS answers with canonical XML booleans
                body = re.sub(r">(True|False)<", lambda m: ">%s<" % m.group(1).lower(), body)
                if sub == "lifecycle" and request.headers.get("x-oss-allow-same-action-overlap") != "true":
                    overlap = lifecycle_overlap(body)
                    if overlap:
                        return _error(400, "InvalidArgument", "Overlap for same action type %s" % overlap)
                self.config[sub] = body
                return 200, {"x-oss-request-id": "FAKE0001"}, ""
            if request.method == "DELETE":
                self.config.pop(sub, None)
                return 204, {"x-oss-request-id": "FAKE0001"}, ""
            if sub in self.config:
                return 200, {"x-oss-request-id": "FAKE0001"}, self.config[sub]
            if sub in NOT_SET:
                return _error(404, *NOT_SET[sub])
            return 200, {"x-oss-request-id": "FAKE0001"}, DEFAULTS[sub]
        return _error(400, "InvalidArgument", "unsupported by the fake: %s %s" % (request.method, request.url))


def tea_error(code, message, status=400):
    return TeaException({"code": code, "message": message, "data": {"RequestId": "FAKE-REQ", "statusCode": status}})


class Response:
    def __init__(self, body):
        self.body = body
        self.status_code = 200
        self.headers = {}


class FakeFc:
    """FC 3.0 functions and triggers of one account (alibabacloud_fc20230330 client methods)."""

    def __init__(self):
        from alibabacloud_fc20230330 import models

        self.m = models
        self.functions = {}
        self.triggers = {}
        self.calls = []
        self.fail_next = []

    def _maybe_fail(self, name):
        self.calls.append(name)
        if self.fail_next:
            raise self.fail_next.pop(0)

    def get_function(self, function_name, request):
        self._maybe_fail("get_function")
        if function_name not in self.functions:
            raise tea_error("FunctionNotFound", "function '%s' does not exist" % function_name, 404)
        return Response(self.m.Function().from_map(self.functions[function_name]))

    def create_function(self, request):
        self._maybe_fail("create_function")
        body = request.body.to_map()
        name = body["functionName"]
        if name in self.functions:
            raise tea_error("FunctionAlreadyExists", "exists", 409)
        code = body.pop("code")
        self.functions[name] = dict(body, functionArn="acs:fc:cn-hangzhou:1234567890123456:functions/%s" % name, state="Active",
                                    codeChecksum=self._checksum(code), codeSize=len(code.get("zipFile", "")), lastModifiedTime="t1")
        return Response(self.m.Function().from_map(self.functions[name]))

    def update_function(self, function_name, request):
        self._maybe_fail("update_function")
        if function_name not in self.functions:
            raise tea_error("FunctionNotFound", "missing", 404)
        body = request.body.to_map()
        code = body.pop("code", None)
        self.functions[function_name].update(body)
        if code:
            self.functions[function_name]["codeChecksum"] = self._checksum(code)
        return Response(self.m.Function().from_map(self.functions[function_name]))

    def delete_function(self, function_name):
        self._maybe_fail("delete_function")
        if function_name not in self.functions:
            raise tea_error("FunctionNotFound", "missing", 404)
        if any(f == function_name for f, dummy in self.triggers):
            raise tea_error("FunctionNotEmpty", "function has triggers", 409)
        del self.functions[function_name]

    @staticmethod
    def _checksum(code):
        import base64

        from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.fc import crc64

        return str(crc64(base64.b64decode(code["zipFile"])))

    def get_trigger(self, function_name, trigger_name):
        self._maybe_fail("get_trigger")
        if (function_name, trigger_name) not in self.triggers:
            raise tea_error("TriggerNotFound", "missing", 404)
        return Response(self.m.Trigger().from_map(self.triggers[(function_name, trigger_name)]))

    def create_trigger(self, function_name, request):
        self._maybe_fail("create_trigger")
        body = request.body.to_map()
        config = json.loads(body["triggerConfig"])
        body["httpTrigger"] = {"urlIntranet": "https://%s.cn-hangzhou-vpc.fcapp.run" % function_name,
                               "urlInternet": None if config.get("disableURLInternet") else "https://%s.cn-hangzhou.fcapp.run" % function_name}
        self.triggers[(function_name, body["triggerName"])] = body
        return Response(self.m.Trigger().from_map(body))

    def update_trigger(self, function_name, trigger_name, request):
        self._maybe_fail("update_trigger")
        self.triggers[(function_name, trigger_name)].update(request.body.to_map())
        return Response(self.m.Trigger().from_map(self.triggers[(function_name, trigger_name)]))

    def delete_trigger(self, function_name, trigger_name):
        self._maybe_fail("delete_trigger")
        if self.triggers.pop((function_name, trigger_name), None) is None:
            raise tea_error("TriggerNotFound", "missing", 404)


class FakeRam:
    """RAM roles, custom policies, attachments (alibabacloud_ram20150501 client methods)."""

    def __init__(self):
        from alibabacloud_ram20150501 import models

        self.m = models
        self.roles = {}
        self.policies = {}
        self.attachments = set()  # (role, policy_type, policy_name)
        self.calls = []

    def _log(self, name):
        self.calls.append(name)

    @property
    def writes(self):
        return [c for c in self.calls if not c.startswith(("get_", "list_"))]

    def get_role(self, request):
        self._log("get_role")
        role = self.roles.get(request.role_name)
        if role is None:
            raise tea_error("EntityNotExist.Role", "The role does not exist: %s." % request.role_name, 404)
        return Response(self.m.GetRoleResponseBody().from_map({"Role": role, "RequestId": "r"}))

    def create_role(self, request):
        self._log("create_role")
        if request.role_name in self.roles:
            raise tea_error("EntityAlreadyExists.Role", "exists", 409)
        json.loads(request.assume_role_policy_document)
        self.roles[request.role_name] = {
            "RoleName": request.role_name, "RoleId": "3%015d" % len(self.roles), "Arn": "acs:ram::1234567890123456:role/%s" % request.role_name.lower(),
            "AssumeRolePolicyDocument": request.assume_role_policy_document, "Description": request.description or "",
            "MaxSessionDuration": request.max_session_duration or 3600,
        }

    def update_role(self, request):
        self._log("update_role")
        role = self.roles[request.role_name]
        if request.new_assume_role_policy_document:
            role["AssumeRolePolicyDocument"] = request.new_assume_role_policy_document
        if request.new_description is not None:
            role["Description"] = request.new_description
        if request.new_max_session_duration:
            role["MaxSessionDuration"] = request.new_max_session_duration

    def delete_role(self, request):
        self._log("delete_role")
        if any(a[0] == request.role_name for a in self.attachments):
            raise tea_error("DeleteConflict.Role.Policy", "The role still has policies attached.", 409)
        if self.roles.pop(request.role_name, None) is None:
            raise tea_error("EntityNotExist.Role", "missing", 404)

    def list_policies_for_role(self, request):
        self._log("list_policies_for_role")
        policies = [{"PolicyName": n, "PolicyType": t} for r, t, n in sorted(self.attachments) if r == request.role_name]
        return Response(self.m.ListPoliciesForRoleResponseBody().from_map({"Policies": {"Policy": policies}}))

    def attach_policy_to_role(self, request):
        self._log("attach_policy_to_role")
        if request.role_name not in self.roles:
            raise tea_error("EntityNotExist.Role", "missing", 404)
        if request.policy_type == "Custom" and request.policy_name not in self.policies:
            raise tea_error("EntityNotExist.Policy", "missing", 404)
        self.attachments.add((request.role_name, request.policy_type, request.policy_name))

    def detach_policy_from_role(self, request):
        self._log("detach_policy_from_role")
        self.attachments.discard((request.role_name, request.policy_type, request.policy_name))

    def get_policy(self, request):
        self._log("get_policy")
        pol = self.policies.get(request.policy_name)
        if pol is None:
            raise tea_error("EntityNotExist.Policy", "The policy does not exist.", 404)
        version = pol["versions"][-1]
        return Response(self.m.GetPolicyResponseBody().from_map({
            "Policy": {"PolicyName": request.policy_name, "PolicyType": "Custom", "Description": pol["description"], "DefaultVersion": version[0]},
            "DefaultPolicyVersion": {"VersionId": version[0], "PolicyDocument": version[1], "IsDefaultVersion": True},
        }))

    def create_policy(self, request):
        self._log("create_policy")
        json.loads(request.policy_document)
        self.policies[request.policy_name] = {"description": request.description or "", "versions": [("v1", request.policy_document)]}

    def create_policy_version(self, request):
        self._log("create_policy_version")
        pol = self.policies[request.policy_name]
        if len(pol["versions"]) >= 5:
            assert request.rotate_strategy == "DeleteOldestNonDefaultVersionWhenLimitExceeded"
            pol["versions"].pop(0)
        number = int(pol["versions"][-1][0][1:]) + 1
        pol["versions"].append(("v%d" % number, request.policy_document))

    def delete_policy(self, request):
        self._log("delete_policy")
        if request.policy_name not in self.policies:
            raise tea_error("EntityNotExist.Policy", "missing", 404)
        if not request.cascading_delete and any(a[2] == request.policy_name for a in self.attachments):
            raise tea_error("DeleteConflict.Policy.User", "attached", 409)
        self.attachments = {a for a in self.attachments if not (a[1] == "Custom" and a[2] == request.policy_name)}
        del self.policies[request.policy_name]

    def list_entities_for_policy(self, request):
        self._log("list_entities_for_policy")
        roles = [{"RoleName": r} for r, t, n in sorted(self.attachments) if t == "Custom" and n == request.policy_name]
        return Response(self.m.ListEntitiesForPolicyResponseBody().from_map({"Roles": {"Role": roles}}))
