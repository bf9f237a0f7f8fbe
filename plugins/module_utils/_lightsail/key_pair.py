# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail key pairs: create (private key returned once), import, delete, default key pair download."""

from __future__ import annotations

import copy
import os
import tempfile

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import TAGS_SPEC
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import ArgumentSpec
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
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".lightsail-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise LightsailError("cannot write the private key to %s: %s" % (path, exc), code="Invalid", cause=exc)
    return True


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
        if self._private_key:
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
    return {
        "changed": changed,
        "actions": ["write the default private key to %s" % private_key_path] if changed else [],
        "private_key": response.get("privateKeyBase64"),
        "public_key": response.get("publicKeyBase64"),
        "created_at": jsonable(response.get("createdAt")),
    }


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
