# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derive alicloud_schemas.json from the aliyun/alicloud provider's Go resource schemas and docs.

Reads a copy of the provider's repository layout (``schema/resource_alicloud_<type>.go`` and
``docs/<type>.html.markdown``) for every resource type that ``terraform/camera/*.tf`` declares,
and writes, per resource type, every argument with what ``terraform validate`` would check:
type, required / optional / computed, deprecated (schema ``Deprecated`` or a "Deprecated since"
note in the docs page), removed, ``ConflictsWith``, ``ExactlyOneOf``, enum values of
``StringInSlice`` and nested blocks (``Elem: &schema.Resource``) recursively.

    python tests/unit/terraform/data/derive_alicloud_schemas.py --provider <copy of terraform-provider-alicloud>

Only this script reads the provider copy; the tests read the JSON it writes.
"""

import argparse
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
OUT = os.path.join(HERE, "alicloud_schemas.json")
SCHEMA_OPEN = "Schema: map[string]*schema.Schema{"
STRING = r'"((?:[^"\\]|\\.)*)"'


def matching(text, start):
    """Index just after the brace that closes the one at ``start``."""
    depth = 0
    i = start
    while i < len(text):
        c = text[i]
        if c == '"' or c == "`":
            end = text.index(c, i + 1) if c == "`" else re.compile(r'"(?:[^"\\]|\\.)*"').match(text, i).end() - 1
            i = end
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces at %d" % start)


def entries(text, start):
    """(name, body) of each ``"name": {...}`` at the top level of the map opened at ``start``."""
    end = matching(text, start) - 1
    i = start + 1
    out = []
    entry = re.compile(r'\s*"([a-z0-9_]+)":\s*(\{|[A-Za-z_][A-Za-z0-9_.]*\(\))', re.S)
    while i < end:
        m = entry.match(text, i)
        if not m:
            nxt = text.find('"', i)
            if nxt < 0 or nxt >= end:
                break
            i = nxt if nxt > i else i + 1
            if not entry.match(text, i):
                i += 1
            continue
        if m.group(2) == "{":
            body_end = matching(text, m.end() - 1)
            out.append((m.group(1), text[m.end():body_end - 1]))
            i = body_end
        else:  # "name": helperSchema()
            out.append((m.group(1), "@call:" + m.group(2)[:-2]))
            i = m.end()
    return out


def top_level(body):
    """The body with nested braces blanked, so field regexps see only this level."""
    out, depth = [], 0
    for c in body:
        if c == "{":
            depth += 1
            out.append(c if depth == 1 else " ")
        elif c == "}":
            out.append(c if depth == 1 else " ")
            depth -= 1
        else:
            out.append(c if depth == 0 else " ")
    return "".join(out)


def strings(text):
    return [bytes(s, "utf-8").decode("unicode_escape") for s in re.findall(STRING, text)]


# Go constants that StringInSlice uses but that are defined outside the resource files (the provider's
# common.go and the OSS Go SDK), with the values the provider's docs pages give for the same arguments
# (ots_instance, ots_table, oss_bucket). A constant missing here stays in "enum_unresolved" and the
# test refuses to set that argument until it is added.
GO_CONSTANTS = {
    "AnyNetwork": "Any", "VpcOnly": "Vpc", "VpcOrConsole": "ConsoleOrVpc",
    "OtsCapacity": "Capacity", "OtsHighPerformance": "HighPerformance",
    "SseKMSService": "SSE_KMS_SERVICE", "SseByOk": "SSE_BYOK",
    "IntegerType": "Integer", "StringType": "String", "BinaryType": "Binary",
    "DefinedColumnInteger": "Integer", "DefinedColumnString": "String", "DefinedColumnBinary": "Binary",
    "DefinedColumnDouble": "Double", "DefinedColumnBoolean": "Boolean",
    "ServerSideEncryptionAes256": "AES256", "ServerSideEncryptionKMS": "KMS", "ServerSideEncryptionSM4": "SM4",
    "oss.StorageStandard": "Standard", "oss.StorageIA": "IA", "oss.StorageArchive": "Archive",
    "oss.StorageColdArchive": "ColdArchive", "oss.StorageDeepColdArchive": "DeepColdArchive",
    "oss.RedundancyLRS": "LRS", "oss.RedundancyZRS": "ZRS",
}


def constants(source):
    """Go string constants of the file (``Name = "value"`` / ``Name Type = "value"``) over GO_CONSTANTS."""
    found = dict(GO_CONSTANTS)
    found.update(re.findall(r'^\s*([A-Z][A-Za-z0-9_]*)\s+(?:[A-Za-z_.]+\s+)?=\s+"([^"]*)"', source, re.M))
    return found


def enum(body, consts):
    m = re.search(r"StringInSlice\(\[\]string\{(.*?)\}", body, re.S)
    if not m:
        return None, []
    values, unresolved = [], []
    for item in re.findall(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.()]*', m.group(1)):
        lit = re.fullmatch(STRING, item)
        name = re.sub(r"^string\((.*)\)$", r"\1", item)
        if lit:
            values.append(lit.group(1))
        elif name in consts:
            values.append(consts[name])
        else:
            unresolved.append(name)
    return values, unresolved


def field(flat, name):
    m = re.search(r"\b%s:\s*(true|false|\d+|schema\.Type\w+)" % name, flat)
    return m.group(1) if m else None


def argument(name, body, source, consts):
    if body.startswith("@call:"):
        func = body[6:]
        m = re.search(r"func %s\(\)[^{]*\{" % re.escape(func), source)
        if not m:
            return {"type": "unknown", "optional": True, "note": "built by %s()" % func}
        fbody = source[m.end() - 1:matching(source, m.end() - 1)]
        inner = re.search(r"return\s*&schema\.Schema\{", fbody)
        body = fbody[inner.end():matching(fbody, inner.end() - 1) - 1] if inner else ""
    flat = top_level(body)
    spec = {"type": (field(flat, "Type") or "unknown").replace("schema.Type", "").lower()}
    for flag in ("Required", "Optional", "Computed", "ForceNew", "Sensitive"):
        if field(flat, flag) == "true":
            spec[flag.lower()] = True
    for limit in ("MaxItems", "MinItems"):
        if field(flat, limit):
            spec[limit.lower()] = int(field(flat, limit))
    for text_field in ("Deprecated", "Removed"):
        m = re.search(r"\b%s:\s*((?:%s\s*\+?\s*)+)" % (text_field, STRING), flat)
        if m:
            spec[text_field.lower()] = "".join(strings(m.group(1)))
    for list_field in ("ConflictsWith", "ExactlyOneOf", "AtLeastOneOf", "RequiredWith"):
        m = re.search(r"\b%s:\s*\[\]string\{(.*?)\}" % list_field, body, re.S)
        if m and list_field in flat:
            spec[re.sub(r"(?<!^)([A-Z])", r"_\1", list_field).lower()] = strings(m.group(1))
    if "ValidateFunc" in flat or "ValidateDiagFunc" in flat:
        values, unresolved = enum(body, consts)
        if values is not None:
            spec["enum"] = values
            if unresolved:
                spec["enum_unresolved"] = unresolved
    elem = re.search(r"\bElem:\s*&schema\.Resource\{", body)
    elem_call = re.search(r"\bElem:\s*([A-Za-z_][A-Za-z0-9_]*)\(\)", flat)
    if elem and "Elem:" in flat:
        block = body.index(SCHEMA_OPEN, elem.end()) + len(SCHEMA_OPEN) - 1
        spec["block"] = resource(body, block, source, consts)
    elif elem_call:
        m = re.search(r"func %s\(\)[^{]*\{" % re.escape(elem_call.group(1)), source)
        if m:
            block = source.index(SCHEMA_OPEN, m.end()) + len(SCHEMA_OPEN) - 1
            spec["block"] = resource(source, block, source, consts)
    return spec


def resource(text, start, source, consts):
    return {name: argument(name, body, source, consts) for name, body in entries(text, start)}


def doc_arguments(path):
    """Top-level arguments of the docs page: ``{name: deprecation note or None}``.

    An argument is deprecated when its line says so (``* `name` - (Optional, Deprecated since v1.221.0) ...``):
    some deprecations (``accessed_by``) are only in the docs, not in the schema.
    """
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        text = handle.read()
    args = text.split("## Argument Reference", 1)[-1].split("## Attributes Reference", 1)[0]
    found = {}
    for m in re.finditer(r"^\* `([a-z0-9_]+)` - \(([^)]*)\)(.*(?:\n[ \t]+\S.*)*)", args, re.M):
        if m.group(1) in found:
            continue
        note = None
        if "deprecated" in m.group(2).lower() or "removed" in m.group(2).lower():
            note = ("%s %s" % (m.group(2), m.group(3).splitlines()[0])).strip()
        found[m.group(1)] = note
    return found


def derive(provider, rtype):
    short = rtype[len("alicloud_"):]
    path = os.path.join(provider, "schema", "resource_alicloud_%s.go" % short)
    with open(path) as handle:
        source = handle.read()
    func = re.search(r"func resourceAli[Cc]loud%s\(\) \*schema\.Resource \{" % "".join(p.title() for p in short.split("_")).replace("Oss", "Oss"), source, re.I)
    begin = func.end() if func else 0
    start = source.index(SCHEMA_OPEN, begin) + len(SCHEMA_OPEN) - 1
    args = resource(source, start, source, constants(source))
    docs = os.path.join(provider, "docs", "%s.html.markdown" % short)
    for name, note in doc_arguments(docs).items():
        if name not in args:
            continue
        if note and "deprecated" not in args[name] and "removed" not in args[name]:
            args[name]["deprecated"] = "docs: " + note

    return {"schema_file": os.path.relpath(path, provider), "docs_file": os.path.relpath(docs, provider) if os.path.exists(docs) else None,
            "arguments": args}


def used_types(tf_dir):
    types = set()
    for path in glob.glob(os.path.join(tf_dir, "*.tf")):
        with open(path) as handle:
            types.update(re.findall(r'^resource\s+"(alicloud_[a-z0-9_]+)"', handle.read(), re.M))
    return sorted(types)


def provider_version(provider):
    for name in ("CHANGELOG.md", "README.md"):
        path = os.path.join(provider, name)
        if os.path.exists(path):
            with open(path) as handle:
                m = re.search(r"\b(1\.\d{3}\.\d+)\b", handle.read())
            if m:
                return m.group(1)
    return "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", required=True, help="copy of terraform-provider-alicloud (schema/ and docs/)")
    parser.add_argument("--terraform", default=os.path.join(ROOT, "terraform", "camera"))
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args(argv)
    data = {
        "_source": {
            "provider": "aliyun/alicloud (github.com/aliyun/terraform-provider-alicloud)",
            "version": provider_version(args.provider),
            "files": "schema/resource_alicloud_<type>.go (Schema maps), docs/<type>.html.markdown (deprecation notes)",
            "generator": "tests/unit/terraform/data/derive_alicloud_schemas.py",
        },
        "resources": {rtype: derive(args.provider, rtype) for rtype in used_types(args.terraform)},
    }
    with open(args.out, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write("\n")
    print("%d resource types -> %s" % (len(data["resources"]), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
