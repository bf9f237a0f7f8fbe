# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""terraform/camera checked against the alicloud provider's own resource schemas.

No terraform binary or provider plugin can run here; ``data/alicloud_schemas.json`` is derived
from the provider's Go schemas and docs (``data/derive_alicloud_schemas.py``, its header names the
version). Every resource, argument and nested block must exist, not be deprecated or removed,
not be computed-only; required arguments must be set, enum values allowed, ConflictsWith
respected; every reference (resource, data source, variable, local) must point at something
declared, and a resource attribute it reads must exist.
"""

import glob
import json
import os
import re

import hcl2
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TF = os.path.join(ROOT, "terraform", "camera")
META = {"for_each", "count", "depends_on", "lifecycle", "provider"}
REF = re.compile(r"(?<![\w.])(alicloud_[a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?(?:\.([a-z0-9_]+))?")
VAR = re.compile(r"(?<![\w.])var\.([A-Za-z0-9_]+)")
LOCAL = re.compile(r"(?<![\w.])local\.([A-Za-z0-9_]+)")
DATA = re.compile(r"(?<![\w.])data\.([a-z0-9_]+)\.([A-Za-z0-9_-]+)")
CHOICE = re.compile(r'\?\s*"([^"$]*)"\s*:\s*"([^"$]*)"')


def schemas():
    with open(os.path.join(HERE, "data", "alicloud_schemas.json")) as handle:
        return json.load(handle)


def unq(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def clean(value):
    if isinstance(value, dict):
        return {unq(k): clean(v) for k, v in value.items() if not (k.startswith("__") and k.endswith("__"))}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return unq(value)


def load(texts):
    """{"resource": [(type, name, body)], "data": set, "variable": set, "locals": set, "strings": [...]}."""
    out = {"resource": [], "data": set(), "variable": set(), "locals": set(), "expressions": []}
    for text in texts:
        parsed = clean(hcl2.loads(text))
        for block in parsed.get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    out["resource"].append((rtype, name, body))
        for block in parsed.get("data", []):
            for dtype, named in block.items():
                out["data"].update((dtype, name) for name in named)
        for block in parsed.get("variable", []):
            out["variable"].update(block)
        for block in parsed.get("locals", []):
            out["locals"].update(block)
        out["expressions"].append(json.dumps(parsed))
    return out


def literals(value):
    """The string values an argument can take, when they are written in the file; None when computed elsewhere."""
    if not isinstance(value, str):
        return None
    if "${" not in value:
        return [value]
    choices = CHOICE.findall(value)
    return [v for pair in choices for v in pair if v != "null"] if choices else None


def present(body):
    names = set(body)
    for dyn in body.get("dynamic", []) if isinstance(body.get("dynamic"), list) else [body.get("dynamic") or {}]:
        names.update(dyn)
    return names


def check_block(body, args, path, errors):
    names = present(body)
    for key, value in body.items():
        if key in META:
            continue
        if key == "dynamic":
            for dyn in value if isinstance(value, list) else [value]:
                for name, spec in dyn.items():
                    content = spec.get("content") or [{}]
                    check_value(name, content, args, path, errors)
            continue
        check_value(key, value, args, path, errors)
    for name, spec in args.items():
        if spec.get("required") and name not in names:
            errors.append("%s: required argument %s is missing" % (path, name))
        if name in names:
            for other in spec.get("conflicts_with", []):
                if "." not in other and other in names:
                    errors.append("%s: %s conflicts with %s" % (path, name, other))


def check_value(key, value, args, path, errors):
    where = "%s.%s" % (path, key)
    spec = args.get(key)
    if spec is None:
        errors.append("%s: no such argument" % where)
        return
    for flag in ("removed", "deprecated"):
        if spec.get(flag):
            errors.append("%s: %s (%s)" % (where, flag, spec[flag]))
    if spec.get("computed") and not (spec.get("optional") or spec.get("required")):
        errors.append("%s: computed only, cannot be set" % where)
    if "block" in spec:
        blocks = value if isinstance(value, list) else [value]
        if not all(isinstance(b, dict) for b in blocks):
            if not (isinstance(value, str) and "${" in value):
                errors.append("%s: must be a block" % where)
            return
        if spec.get("maxitems") and len(blocks) > spec["maxitems"]:
            errors.append("%s: at most %d blocks" % (where, spec["maxitems"]))
        for block in blocks:
            check_block(block, spec["block"], where, errors)
        return
    if "enum" in spec:
        if spec.get("enum_unresolved"):
            errors.append("%s: enum constants %s unresolved in the derived schema" % (where, spec["enum_unresolved"]))
        for literal in literals(value) or []:
            if literal not in spec["enum"]:
                errors.append("%s: %r is not one of %s" % (where, literal, spec["enum"]))


def check_references(tf, data, errors):
    declared = {(rtype, name) for rtype, name, _body in tf["resource"]}
    text = "\n".join(tf["expressions"])
    for rtype, name, attr in set(REF.findall(text)):
        if (rtype, name) not in declared:
            errors.append("reference to undeclared %s.%s" % (rtype, name))
        elif attr and attr != "id" and attr not in data["resources"].get(rtype, {}).get("arguments", {}):
            errors.append("reference to %s.%s.%s: the resource has no attribute %s" % (rtype, name, attr, attr))
    for name in set(VAR.findall(text)) - tf["variable"]:
        errors.append("reference to undeclared var.%s" % name)
    for name in set(LOCAL.findall(text)) - tf["locals"]:
        errors.append("reference to undeclared local.%s" % name)
    for ref in set(DATA.findall(text)) - tf["data"]:
        errors.append("reference to undeclared data.%s.%s" % ref)


def check(tf, data):
    errors = []
    for rtype, name, body in tf["resource"]:
        if rtype not in data["resources"]:
            errors.append("%s: resource type not in the derived schemas (run data/derive_alicloud_schemas.py)" % rtype)
            continue
        check_block(body, data["resources"][rtype]["arguments"], "%s.%s" % (rtype, name), errors)
    check_references(tf, data, errors)
    return errors


@pytest.fixture(scope="module")
def data():
    return schemas()


def test_schemas_name_their_source(data):
    source = data["_source"]
    assert source["provider"].startswith("aliyun/alicloud") and re.match(r"^1\.\d+\.\d+$", source["version"])
    for rtype, entry in data["resources"].items():
        assert entry["schema_file"] == "schema/resource_%s.go" % rtype, rtype
        assert entry["arguments"], rtype


def test_camera_module_matches_the_provider_schemas(data):
    texts = []
    for path in sorted(glob.glob(os.path.join(TF, "*.tf"))):
        with open(path) as handle:
            texts.append(handle.read())
    errors = check(load(texts), data)
    assert errors == [], "\n".join(errors)


BAD = {
    "unknown argument": ('resource "alicloud_oss_bucket_acl" "x" {\n bucket = "b"\n acl = "private"\n colour = "red"\n}\n', "no such argument"),
    "deprecated in docs": ('resource "alicloud_ots_instance" "x" {\n name = "a"\n accessed_by = "Vpc"\n}\n', "deprecated"),
    "deprecated in schema": ('resource "alicloud_ram_role" "x" {\n name = "a"\n assume_role_policy_document = "{}"\n}\n', "deprecated"),
    "required missing": ('resource "alicloud_oss_bucket_acl" "x" {\n acl = "private"\n}\n', "required argument bucket"),
    "enum": ('resource "alicloud_ram_role_policy_attachment" "x" {\n role_name = "r"\n policy_name = "p"\n policy_type = "Own"\n}\n', "is not one of"),
    "enum in a conditional": ('resource "alicloud_ots_instance" "x" {\n name = "a"\n instance_type = var.v ? "Capacity" : "Huge"\n}\n'
                              'variable "v" {}\n', "'Huge' is not one of"),
    "nested block argument": ('resource "alicloud_oss_bucket" "x" {\n bucket = "b"\n versioning {\n  state = "Enabled"\n }\n}\n', "versioning.state"),
    "nested enum": ('resource "alicloud_oss_bucket" "x" {\n bucket = "b"\n versioning {\n  status = "On"\n }\n}\n', "versioning.status"),
    "computed only": ('resource "alicloud_ram_role" "x" {\n role_name = "a"\n assume_role_policy_document = "{}"\n arn = "x"\n}\n', "computed only"),
    "dangling reference": ('resource "alicloud_oss_bucket_acl" "x" {\n bucket = alicloud_oss_bucket.nope.bucket\n acl = "private"\n}\n', "undeclared"),
    "missing attribute": ('resource "alicloud_oss_bucket" "b" {\n bucket = "b"\n}\nresource "alicloud_oss_bucket_acl" "x" {\n'
                          ' bucket = alicloud_oss_bucket.b.name\n acl = "private"\n}\n', "no attribute name"),
    "dynamic block argument": ('resource "alicloud_fcv3_custom_domain" "x" {\n route_config {\n  dynamic "routes" {\n   for_each = []\n'
                               '   content {\n    function = "f"\n   }\n  }\n }\n}\n', "routes.function: no such argument"),
    "undeclared variable": ('resource "alicloud_oss_bucket_acl" "x" {\n bucket = var.nope\n acl = "private"\n}\n', "var.nope"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_checker_catches(data, case):
    text, expected = BAD[case]
    errors = check(load([text]), data)
    assert any(expected in e for e in errors), errors


def test_conflicts_are_caught(data):
    conflicting = [(rtype, name, spec["conflicts_with"]) for rtype, entry in data["resources"].items()
                   for name, spec in entry["arguments"].items() if [c for c in spec.get("conflicts_with", []) if "." not in c]]
    assert conflicting, "no ConflictsWith in the derived schemas: the parser lost them"
    rtype, name, others = conflicting[0]
    args = data["resources"][rtype]["arguments"]
    body = {name: "x", others[0]: "y"}
    body.update({n: "r" for n, s in args.items() if s.get("required")})
    errors = []
    check_block(body, args, rtype, errors)
    assert any("conflicts with" in e for e in errors), errors
