# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""A read-only client of the OCI distribution API, for ``gpu_image``: does a tag exist, and
what is its manifest digest?

``HEAD /v2/<name>/manifests/<tag>`` with the manifest media types accepted (OCI index and
manifest, Docker manifest list and v2 manifest) gives the digest in ``Docker-Content-Digest``;
when a registry leaves that header out, the manifest is fetched and hashed. A 404 is told apart
as a missing repository or a missing tag with ``GET /v2/<name>/tags/list``. Token
(``Bearer`` challenge) and basic authentication are handled.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.parse

from ansible.module_utils.urls import open_url

from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError

MANIFEST_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.list.v2+json",
                  "application/vnd.docker.distribution.manifest.v2+json")
DOCKER_HUB = "registry-1.docker.io"
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")


def split_repository(repository):
    """``registry.example.com:5000/ml/pytorch`` -> (``registry.example.com:5000``, ``ml/pytorch``);
    Docker Hub names (``pytorch/pytorch``, ``ubuntu``) go to registry-1.docker.io."""
    parts = (repository or "").split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        host, path = parts[0], parts[1:]
    else:
        host, path = DOCKER_HUB, (["library"] + parts if len(parts) == 1 else parts)
    if not path or not all(PATH_COMPONENT.match(p) for p in path):
        raise K8sError("repository %r is not an image repository such as registry.example.com/team/image "
                       "(lowercase, no tag or digest)" % (repository,))
    return host, "/".join(path)


def _challenge(header):
    scheme, dummy, rest = (header or "").partition(" ")
    return scheme.lower(), dict(re.findall(r'(\w+)="([^"]*)"', rest))


class RegistryClient:
    def __init__(self, username=None, password=None, insecure=False, validate_certs=True, timeout=30):
        self.username = username
        self.password = password
        self.scheme = "http" if insecure else "https"
        self.validate_certs = validate_certs
        self.timeout = timeout
        self._auth = {}  # host -> Authorization header value

    def _basic(self):
        if not self.username:
            return None
        return "Basic " + base64.b64encode(("%s:%s" % (self.username, self.password or "")).encode()).decode()

    def _open(self, method, host, path, accept=None):
        url = "%s://%s%s" % (self.scheme, host, path)
        for attempt in range(2):
            headers = {"Accept": accept} if accept else {}
            if self._auth.get(host):
                headers["Authorization"] = self._auth[host]
            try:
                response = open_url(url, method=method, headers=headers, validate_certs=self.validate_certs,
                                    timeout=self.timeout, follow_redirects="all")
                return response.getcode(), response.headers, response.read() if method != "HEAD" else b""
            except urllib.error.HTTPError as exc:
                if exc.code == 401 and attempt == 0 and self._authenticate(host, exc.headers.get("WWW-Authenticate")):
                    continue
                return exc.code, exc.headers, exc.read() if method != "HEAD" else b""
            except Exception as exc:  # pylint: disable=broad-except
                raise K8sError("Could not reach the registry at %s://%s: %s" % (self.scheme, host, exc), cause=exc) from exc
        raise K8sError("The registry %s refused the credentials for %s" % (host, path))  # pragma: no cover

    def _authenticate(self, host, header):
        scheme, params = _challenge(header)
        if scheme == "basic":
            self._auth[host] = self._basic()
            return bool(self._auth[host])
        if scheme != "bearer" or not params.get("realm"):
            return False
        query = {k: params[k] for k in ("service", "scope") if params.get(k)}
        url = params["realm"] + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Authorization": self._basic()} if self.username else {}
        try:
            answer = json.loads(open_url(url, headers=headers, validate_certs=self.validate_certs, timeout=self.timeout).read())
        except Exception as exc:  # pylint: disable=broad-except
            raise K8sError("Could not get a registry token from %s: %s" % (params["realm"], exc), cause=exc) from exc
        token = answer.get("token") or answer.get("access_token")
        self._auth[host] = "Bearer %s" % token if token else None
        return bool(token)

    def tags(self, repository):
        """The tags of ``repository`` (``None`` when the repository does not exist)."""
        host, path = split_repository(repository)
        status, dummy, body = self._open("GET", host, "/v2/%s/tags/list" % path)
        if status == 404:
            return None
        if status != 200:
            raise K8sError("The registry %s answered %s to listing the tags of %s" % (host, status, repository))
        return sorted(json.loads(body or b"{}").get("tags") or [])

    def digest(self, repository, tag):
        """The manifest digest of ``repository:tag``; :class:`K8sError` naming what is missing."""
        if not TAG.match(str(tag)):
            raise K8sError("version %r of %s is not a valid tag" % (tag, repository))
        host, path = split_repository(repository)
        accept = ", ".join(MANIFEST_TYPES)
        status, headers, dummy = self._open("HEAD", host, "/v2/%s/manifests/%s" % (path, tag), accept)
        if status == 200 and DIGEST.match(headers.get("Docker-Content-Digest") or ""):
            return headers["Docker-Content-Digest"]
        if status == 200:  # no digest header: hash the manifest ourselves
            status, headers, body = self._open("GET", host, "/v2/%s/manifests/%s" % (path, tag), accept)
            if status == 200:
                return "sha256:" + hashlib.sha256(body).hexdigest()
        if status == 404:
            tags = self.tags(repository)
            if tags is None:
                raise K8sError("repository %s does not exist in the registry" % repository)
            raise K8sError("tag %s of %s does not exist in the registry (tags: %s)" % (tag, repository, ", ".join(tags) or "none"))
        raise K8sError("The registry %s answered %s for %s:%s" % (host, status, repository, tag), status=status)
