# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""terraform/camera: parsed with python-hcl2 (no terraform binary here) and scanned with checkov.

checkov lives in its own venv (``make checkov-venv``); it runs with ``--skip-download`` and
with proxies pointing at 127.0.0.1 so that it cannot reach the internet.
"""

import glob
import json
import os
import re
import subprocess

import hcl2
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TF = os.path.join(ROOT, "terraform", "camera")
CHECKOV = os.path.join(ROOT, ".venv-checkov", "bin", "checkov")


def unq(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def clean(value):
    """Strip python-hcl2's quoting and block markers, recursively."""
    if isinstance(value, dict):
        return {unq(k): clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return unq(value)


@pytest.fixture(scope="module")
def tf():
    merged = {"resource": {}, "variable": {}, "locals": {}, "output": {}, "text": ""}
    for path in sorted(glob.glob(os.path.join(TF, "*.tf"))):
        with open(path) as handle:
            text = handle.read()
        merged["text"] += text
        data = clean(hcl2.loads(text))
        for block in data.get("resource", []):
            for rtype, named in block.items():
                merged["resource"].setdefault(rtype, {}).update(named)
        for block in data.get("variable", []):
            merged["variable"].update(block)
        for block in data.get("locals", []):
            merged["locals"].update(block)
        for block in data.get("output", []):
            merged["output"].update(block)
    return merged


def test_functions_match_the_packages(tf):
    with open(os.path.join(ROOT, "fc_functions", "functions.json")) as handle:
        spec = json.load(handle)
    functions = tf["locals"]["functions"]
    assert sorted(functions) == sorted(spec["functions"])
    for name, fn in functions.items():
        assert fn["handler"] == spec["functions"][name]["handler"]
        assert fn["memory_size"] == spec["functions"][name]["memory_size"]
        assert fn["timeout"] == spec["functions"][name]["timeout"]
        assert os.path.exists(os.path.join(ROOT, "fc_functions", name, "index.py"))
    assert tf["locals"]["runtime"] == spec["runtime"]
    function = tf["resource"]["alicloud_fcv3_function"]["camera"]
    assert function["handler"] == "${each.value.handler}"
    assert function["code"][0]["zip_file"] == '${filebase64("${var.package_dir}/${each.key}.zip")}'
    assert function["role"] == "${alicloud_ram_role.function[each.key].arn}"
    env = tf["locals"]["common_environment"]
    assert not any("ACCESS_KEY" in k for k in env), "functions must use their role, never an access key"


def overlaps(a, b):
    return a.startswith(b) or b.startswith(a)


def test_bucket_is_private_encrypted_and_lifecycle_rules_are_accepted_by_oss(tf):
    res = tf["resource"]
    bucket = res["alicloud_oss_bucket"]["images"]
    assert "versioning" not in bucket, "no versioning: expiration must free the space and nothing can be overwritten"
    assert bucket["server_side_encryption_rule"] == [{"sse_algorithm": "KMS"}], "the OSS-managed KMS key; no customer key offered"
    rules = {r["id"]: r for r in bucket["lifecycle_rule"]}
    assert rules["images"]["prefix"] == "devices/" and rules["images"]["expiration"][0]["days"] == "${var.image_retention_days}"
    assert rules["thumbnails"]["prefix"] == "thumbnails/" and rules["thumbnails"]["expiration"][0]["days"] == "${var.thumbnail_retention_days}"
    for rid in ("images", "thumbnails"):
        assert rules[rid]["abort_multipart_upload"][0]["days"] == 1
    # OSS refuses two rules with the same action on overlapping prefixes (unless told to allow it)
    assert not bucket.get("lifecycle_rule_allow_same_action_overlap")
    actions = ("expiration", "abort_multipart_upload", "noncurrent_version_expiration", "transitions")
    for a in rules.values():
        for b in rules.values():
            if a is not b and overlaps(a["prefix"], b["prefix"]):
                assert not [x for x in actions if x in a and x in b], (a["id"], b["id"])
    assert tf["variable"]["image_retention_days"]["default"] == 30
    assert tf["variable"]["thumbnail_retention_days"]["default"] == 7
    assert res["alicloud_oss_bucket_public_access_block"]["images"]["block_public_access"] is True
    assert res["alicloud_oss_bucket_acl"]["images"]["acl"] == "private"
    forbid = res["alicloud_oss_bucket_overwrite_config"]["images"]["rule"]
    assert sorted((r["prefix"], r["action"]) for r in forbid) == [("devices/", "forbid"), ("thumbnails/", "forbid")]


def test_kms_is_not_offered_where_no_role_could_use_it(tf):
    assert "kms_key_id" not in tf["variable"]
    assert "kms_master_key_id" not in tf["text"] and "SSE_BYOK" not in tf["text"] and "kms:" not in tf["text"]
    assert all(t["sse_key_type"] == "SSE_KMS_SERVICE" for t in tf["resource"]["alicloud_ots_table"].values())


def test_network_mode_gives_endpoints_the_functions_can_reach(tf):
    var = tf["variable"]["network_mode"]
    assert var["default"] == "vpc"
    assert 'contains(["vpc", "public"], var.network_mode)' in var["validation"][0]["condition"]
    loc = tf["locals"]
    assert loc["vpc"] == '${var.network_mode == "vpc"}'
    vpc_ots, public_ots = re.match(r'^\$\{local\.vpc \? "(.*)" : "(.*)"\}$', loc["ots_endpoint"]).groups()
    assert vpc_ots.endswith(".vpc.tablestore.aliyuncs.com") and public_ots.endswith(".ots.aliyuncs.com")
    vpc_sts, public_sts = re.match(r'^\$\{local\.vpc \? "(.*)" : "(.*)"\}$', loc["sts_endpoint"]).groups()
    assert vpc_sts.startswith("sts-vpc.") and public_sts.startswith("sts.")
    env = loc["common_environment"]
    assert env["CAMERA_OTS_ENDPOINT"] == "${local.ots_endpoint}" and env["CAMERA_STS_ENDPOINT"] == "${local.sts_endpoint}"
    res = tf["resource"]
    instance = res["alicloud_ots_instance"]["camera"]
    assert "accessed_by" not in instance
    assert instance["network_type_acl"] == '${local.vpc ? ["VPC"] : ["INTERNET", "VPC"]}'
    for rtype, name in (("alicloud_vpc", "camera"), ("alicloud_vswitch", "functions"), ("alicloud_security_group", "functions"),
                        ("alicloud_ots_instance_attachment", "camera")):
        assert res[rtype][name]["count"] == "${local.vpc ? 1 : 0}", rtype
    attachment = res["alicloud_ots_instance_attachment"]["camera"]
    assert attachment["instance_name"] == "${alicloud_ots_instance.camera.name}"
    assert attachment["vswitch_id"] == "${alicloud_vswitch.functions[0].id}"
    function = res["alicloud_fcv3_function"]["camera"]
    (vpc_config,) = function["dynamic"]
    assert vpc_config["vpc_config"]["for_each"] == "${local.vpc ? [1] : []}"
    content = vpc_config["vpc_config"]["content"][0]
    assert content["vswitch_ids"] == ["${alicloud_vswitch.functions[0].id}"]
    assert content["vpc_id"] == "${alicloud_vpc.camera[0].id}"
    # public mode: the internet is the only way to Tablestore and STS
    assert function["internet_access"] == '${!local.vpc || each.key == "upload_handler"}'


def test_urls_for_people_use_the_public_oss_endpoint(tf):
    loc = tf["locals"]
    assert loc["common_environment"]["CAMERA_OSS_PUBLIC_ENDPOINT"] == "${local.oss_public_endpoint}"
    assert loc["oss_public_endpoint"] == "https://oss-${var.region}.aliyuncs.com"
    assert loc["common_environment"]["CAMERA_READER_ROLE_ARN"] == "${alicloud_ram_role.device_read.arn}"


def test_tables(tf):
    tables = tf["resource"]["alicloud_ots_table"]
    images = tables["images"]
    assert images["time_to_live"] == "${var.image_retention_days * 86400}"
    assert images["max_version"] == 1
    assert [(c["name"], c["type"]) for c in images["primary_key"]] == [("partition_key", "String"), ("row_key", "String")]
    assert {c["name"] for c in images["defined_column"]} == {"device_id", "has_motion", "oss_path_original", "oss_path_thumbnail", "created_at", "image_size"}
    assert [c["name"] for c in tables["devices"]["primary_key"]] == ["device_id"]
    assert tables["device_nonces"]["time_to_live"] == 86400
    assert all(t["enable_sse"] is True for t in tables.values())


def test_least_privilege_roles(tf):
    roles = tf["resource"]["alicloud_ram_role"]
    device_trust = roles["device_upload"]["assume_role_policy_document"]
    assert re.search(r"Principal = \{RAM = \[alicloud_ram_role\.function\[\\?\"device_manager\\?\"\]\.arn\]\}", device_trust), device_trust
    assert "Service" not in device_trust, "the device role must not be trusted by a whole service"
    assert roles["function"]["for_each"] == "${local.functions}"
    text = tf["text"]
    assert not re.search(r'Action\s*=\s*\[?\s*"[a-z]*:?\*"', text), "no wildcard actions"
    assert not re.search(r'Resource\s*=\s*\[?\s*"\*"', text), "no wildcard resources"
    assert 'Action = ["sts:AssumeRole"], Resource = [alicloud_ram_role.device_upload.arn]' in text
    assert 'Action = ["sts:AssumeRole"], Resource = [alicloud_ram_role.device_read.arn]' in text
    read_trust = roles["device_read"]["assume_role_policy_document"]
    assert re.search(r"Principal = \{RAM = \[alicloud_ram_role\.function\[\\?\"image_query\\?\"\]\.arn\]\}", read_trust), read_trust
    assert "oss:GetObject" not in json.dumps(tf["locals"]["function_policies"]["image_query"]), "image_query signs only with per-device sessions"


def handler_routes():
    import importlib.util
    import sys

    sys.path.insert(0, os.path.join(ROOT, "fc_functions", "shared"))
    routes = set()
    for name in ("device_manager", "upload_handler", "image_query"):
        spec = importlib.util.spec_from_file_location("tf_check_%s" % name, os.path.join(ROOT, "fc_functions", name, "index.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        routes.update(("/" + route, method, name) for route, methods in module.ROUTES.items() for method in methods)
    return routes


def test_only_the_custom_domain_reaches_the_functions_and_identity_is_never_a_header(tf):
    http = tf["resource"]["alicloud_fcv3_trigger"]["http"]
    assert "disableURLInternet = true" in http["trigger_config"]
    assert not any(t.startswith("alicloud_api_gateway") for t in tf["resource"])
    assert "x-camera-owner\"" not in tf["text"].lower() and "CAMERA_OWNER_HEADER" not in tf["text"] and "CaAppId" not in tf["text"]
    domain = tf["resource"]["alicloud_fcv3_custom_domain"]["api"]
    assert domain["custom_domain_name"] == "${var.domain_name}"
    assert domain["protocol"] == "HTTPS"
    assert domain["cert_config"][0] == {"cert_name": "${var.certificate_name}", "certificate": "${var.certificate_pem}",
                                        "private_key": "${var.certificate_private_key}"}
    assert domain["tls_config"][0]["min_version"] == "TLSv1.2"
    assert tf["variable"]["certificate_private_key"]["sensitive"] is True
    routes = {(r["path"], m, r["function"]) for r in tf["locals"]["routes"] for m in r["methods"]}
    assert routes == handler_routes()
    oss = tf["resource"]["alicloud_fcv3_trigger"]["oss"]
    assert "prefix = \"devices/\"" in oss["trigger_config"].replace('\\"', '"')


def test_every_variable_and_output_is_described(tf):
    for name, var in list(tf["variable"].items()) + list(tf["output"].items()):
        assert var.get("description"), name
    assert tf["variable"]["signing_key"]["sensitive"] is True
    readme = open(os.path.join(TF, "README.md")).read()
    for name in tf["variable"]:
        assert "`%s`" % name in readme, "README does not document variable %s" % name


def test_checkov_finds_nothing_and_every_skip_has_a_reason():
    if not os.path.exists(CHECKOV):
        pytest.fail("checkov is missing: run `make checkov-venv`")
    skips = re.findall(r"checkov:skip=([A-Z0-9_]+)(:?)(.*)", "".join(open(p).read() for p in glob.glob(os.path.join(TF, "*.tf"))))
    for check, colon, reason in skips:
        assert colon and len(reason.strip()) > 20, "skip of %s needs a reason" % check
    env = dict(os.environ, HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="", BC_SKIP_MAPPING="TRUE",
               CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    proc = subprocess.run([CHECKOV, "-d", TF, "--framework", "terraform", "--skip-download", "-o", "json"], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    report = json.loads(proc.stdout)
    summary = report["summary"]
    failed = ["%s %s" % (c["check_id"], c["resource"]) for c in report["results"].get("failed_checks", [])]
    assert failed == [] and summary["failed"] == 0
    assert summary["parsing_errors"] == 0
    assert summary["passed"] >= 2  # CKV_ALI_1 (no public ACL), CKV_ALI_12 (access logs); the API Gateway checks went with the gateway
    assert {c["check_id"] for c in report["results"].get("skipped_checks", [])} == {s[0] for s in skips}
