# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail key pairs: create (private key returned once), import, delete, default key pair download."""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import os
import re

from ansible_collections.opsforge.infra.plugins.module_utils._common.files import atomic_write
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import immutable_error
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import jsonable
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tags_to_dict


def argument_spec():
    spec = ArgumentSpec(
        dict(
            name=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            public_key=dict(type="str"),
            private_key_path=dict(type="path"),
            download_default=dict(type="bool", default=False),
        ),
        mutually_exclusive=[["public_key", "private_key_path"]],
        required_if=[("download_default", False, ["name"])],
    )
    return spec.merge(TAGS_SPEC)


def normalize_key_pair(raw):
    return normalize_resource(raw)


def write_private_key(path, content):
    """Write ``content`` to ``path`` with mode 0600 (atomically); return True when the file changed."""
    if os.path.exists(path):
        with open(path) as handle:
            if handle.read() == content:
                if (os.stat(path).st_mode & 0o777) != 0o600:
                    os.chmod(path, 0o600)
                    return True
                return False
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise invalid("cannot write the private key: directory %s does not exist" % directory)
    try:
        atomic_write(path, content, mode=0o600)  # the temp file is 0600 from the start
    except OSError as exc:
        raise LightsailError("cannot write the private key to %s: %s" % (path, exc), code="Invalid", cause=exc)
    return True


MD5_HEX = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){15}$")
SHA256_B64 = re.compile(r"^(SHA256:)?[A-Za-z0-9+/]{43}=?$")


def public_key_fingerprint(public_key, like):
    """The fingerprint of an OpenSSH ``public_key`` in the format of ``like`` (a fingerprint Lightsail
    reported): RFC 4716 MD5 in colon hex, or OpenSSH's base64 SHA256 (with or without ``SHA256:``).

    ``None`` when ``like`` has another format (a key pair Lightsail generated carries a digest of its
    private key: no public key can be checked against it). Raises ``Invalid`` for a malformed key.
    """
    parts = (public_key or "").split()
    try:
        blob = base64.b64decode(parts[1], validate=True) if len(parts) >= 2 else b""
    except (binascii.Error, ValueError):
        blob = b""
    if not blob:
        raise invalid("public_key is not an OpenSSH public key (expected 'TYPE BASE64 [COMMENT]')")
    like = (like or "").strip()
    if MD5_HEX.match(like.lower()):
        return ":".join("%02x" % b for b in hashlib.md5(blob).digest())
    if SHA256_B64.match(like):
        digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        return ("SHA256:" if like.startswith("SHA256:") else "") + digest + ("=" if like.endswith("=") else "")
    return None


class KeyPair(LightsailResource):
    result_key = "key_pair"

    def __init__(self, client, params):
        super().__init__(client, params)
        self._private_key = None
        self._public_key = None

    @property
    def name(self):
        return self.params["name"]

    def describe(self):
        response = self.client.call("GetKeyPair", not_found_ok=True, keyPairName=self.name)
        return response["keyPair"] if response else None

    def normalize(self, raw):
        return normalize_key_pair(raw)

    def _create(self):
        tags = self.params.get("tags")
        if self.params.get("public_key"):
            response = self.client.call("ImportKeyPair", keyPairName=self.name, publicKeyBase64=self.params["public_key"].strip())
            if tags:
                ensure_tags(self.client, self.name, {}, tags)
            return response
        request = {"keyPairName": self.name}
        if tags:
            request["tags"] = dict_to_tags(tags)
        response = self.client.call("CreateKeyPair", **request)
        self._private_key = response.get("privateKeyBase64")
        self._public_key = response.get("publicKeyBase64")
        if self.params.get("private_key_path") and self._private_key:
            write_private_key(self.params["private_key_path"], self._private_key)
        return response

    def validate(self, current):
        if current is None or self.state == "absent" or not self.params.get("public_key"):
            return
        have = current.get("fingerprint")
        wanted = public_key_fingerprint(self.params["public_key"], have)
        if wanted is None:
            self.warnings.append("key pair %s exists with fingerprint %s, which is not a public key fingerprint (Lightsail "
                                 "generated this key pair): cannot compare it with public_key" % (self.name, have))
        elif wanted.lower() != (have or "").lower():
            raise immutable_error("key pair", self.name, "fingerprint", have, wanted,
                                  hint="the existing key pair holds another public key; remove it with state=absent, then import this one")

    def plan_create(self):
        verb = "import" if self.params.get("public_key") else "create"
        return [Action("%s key pair %s" % (verb, self.name), self._create)]

    def plan_update(self, current):
        path = self.params.get("private_key_path")
        if path and not os.path.exists(path):
            self.warnings.append("key pair %s already exists, so its private key cannot be written to %s: Lightsail returns it "
                                 "only at creation (delete the key pair to get a new one)" % (self.name, path))
        have = tags_to_dict(current.get("tags"))
        to_set, to_remove = tag_changes(have, self.params.get("tags"), self.params["purge_tags"])
        if not (to_set or to_remove):
            return []
        return [Action("update tags of key pair %s" % self.name, lambda: ensure_tags(
            self.client, self.name, have, self.params.get("tags"), self.params["purge_tags"]))]

    def plan_delete(self, current):
        return [Action("delete key pair %s" % self.name, lambda: self.client.call("DeleteKeyPair", keyPairName=self.name))]

    def predict(self, current):
        if self.state == "absent":
            return {}
        raw = copy.deepcopy(current) if current is not None else {
            "name": self.name, "location": {"availabilityZone": "all", "regionName": self.client.region}}
        raw["tags"] = dict_to_tags(predict_tags(tags_to_dict((current or {}).get("tags")), self.params.get("tags"), self.params["purge_tags"]))
        return self.normalize(raw)

    def extra_result(self, current, after):
        result = {}
        if self._private_key and self.params.get("private_key_path"):
            result["private_key_path"] = self.params["private_key_path"]  # written there: never echoed (``-v`` would print it)
        elif self._private_key:
            result["private_key"] = self._private_key
        if self._public_key:
            result["public_key"] = self._public_key
        return result


def download_default(client, private_key_path=None):
    """DownloadDefaultKeyPair; in check mode nothing is called (``changed`` = the file would be written)."""
    if client.check_mode:
        changed = bool(private_key_path) and not os.path.exists(private_key_path)
        return {"changed": changed, "actions": ["download the default key pair"] if changed else []}
    response = client.call("DownloadDefaultKeyPair")
    changed = False
    if private_key_path:
        changed = write_private_key(private_key_path, response["privateKeyBase64"])
    result = {
        "changed": changed,
        "actions": ["write the default private key to %s" % private_key_path] if changed else [],
        "public_key": response.get("publicKeyBase64"),
        "created_at": jsonable(response.get("createdAt")),
    }
    if private_key_path:
        result["private_key_path"] = private_key_path  # the key is in that file: never echoed in the result
    else:
        result["private_key"] = response.get("privateKeyBase64")
    return result


def manage_key_pair(client, params):
    """``lightsail_key_pair``'s one call: with ``download_default`` the region's default key pair is
    downloaded (:func:`download_default`), otherwise the named key pair is managed (:class:`KeyPair`)."""
    if params["download_default"]:
        return download_default(client, params.get("private_key_path"))
    return KeyPair(client, params).run()


def key_pair_info(client, names=None, include_default=False):
    if names:
        found = []
        for name in names:
            response = client.call("GetKeyPair", not_found_ok=True, keyPairName=name)
            if response:
                found.append(response["keyPair"])
    else:
        found = client.paginate("GetKeyPairs", "keyPairs", includeDefaultKeyPair=include_default)
    return [normalize_key_pair(i) for i in found]
