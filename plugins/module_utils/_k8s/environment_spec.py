# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_environment``: the validated desired environment and the manifests built from it."""

from __future__ import annotations

import base64
import json
import re
import secrets

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s import environment_input as I
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.environment_view import CONTAINER
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import clean, parse_quantity
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.workspace import validate_name

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
SSH_KEY = re.compile(r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/=]+(\s.*)?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _unb64(text):
    return base64.b64decode(text or "").decode("utf-8")


class EnvSpec:
    """The validated desired environment (raises :class:`K8sError` on bad input, before any write)."""

    def __init__(self, params):
        self.params = params
        self.name = params["name"]
        validate_name(self.name, "environment", max_len=52)
        self.workspace = params["workspace"]
        validate_name(self.workspace, "workspace", max_len=60)
        self.namespace = C.workspace_namespace(self.workspace, params.get("namespace"))
        self.owner = params.get("owner")
        if self.owner is not None and not re.match(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$", self.owner or "-") \
                or (self.owner and len(self.owner) > 63):
            raise K8sError("owner %r must be a valid label value (letters, digits, '-', '_', '.'; at most 63)" % self.owner)
        self.image = params.get("image")
        self.gpus = int(params.get("gpus") or 0)
        if self.gpus < 0:
            raise K8sError("gpus must be 0 or more")
        self.sharing = params.get("sharing") or "whole"
        if self.sharing == "mig" and not params.get("mig_profile"):
            raise K8sError("sharing=mig needs mig_profile (for example 1g.10gb)")
        if self.sharing != "mig" and params.get("mig_profile"):
            raise K8sError("mig_profile is only used with sharing=mig")
        if params.get("mig_profile") and not re.match(r"^\d+g\.\d+gb(\.\w+)?$", params["mig_profile"]):
            raise K8sError("mig_profile %r does not look like a MIG profile such as 1g.10gb or 3g.40gb" % params["mig_profile"])
        self.resource_key = C.resource_key(self.sharing, params.get("mig_profile"))
        self.gpu_model = params.get("gpu_model") or ""
        self.cpu = self._quantity("cpu")
        self.memory = self._quantity("memory")
        self.home_size = self._quantity("home_size")
        self.home_mount = I.mount_path(params.get("home_mount_path") or "/home/user", "home_mount_path")
        self.service_type = params.get("service_type") or "ClusterIP"
        self.max_lifetime = params.get("max_lifetime")
        I.duration(self.max_lifetime, "max_lifetime")
        self.idle_policy = I.idle_policy(params.get("idle_policy"))
        for key in (params.get("env") or {}):
            if not ENV_NAME.match(key):
                raise K8sError("env: %r is not a valid environment variable name" % key)
        self.ssh = params.get("ssh") or {}
        self.jupyter = params.get("jupyter") or {}
        self.rdp = params.get("rdp") or {}
        keys = self.ssh.get("authorized_keys") or []
        if self.ssh.get("enabled") and not keys:
            raise K8sError("ssh.enabled needs at least one ssh.authorized_keys entry")
        for number, key in enumerate(keys, 1):
            if not SSH_KEY.match(key.strip()):
                raise K8sError("ssh.authorized_keys entry %d is not an OpenSSH public key line" % number)
        self.datasets = self._datasets(params.get("datasets") or [])
        self._tolerations = I.tolerations(params.get("tolerations"))
        self.ports = self._ports()

    def tolerations(self):
        """The pod's tolerations: the GPU taint's (when it asks for GPUs), then the user's."""
        out = [{"key": C.GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}] if self.gpus else []
        return out + self._tolerations

    def _datasets(self, datasets):
        out, mounts = [], []
        for dataset in datasets:
            claim = dataset["claim"]
            validate_name(claim, "datasets claim", max_len=253)
            what = "datasets[%s]" % claim
            path = I.mount_path(dataset.get("mount_path") or "/data/%s" % claim, what + ".mount_path")
            mounts.append((what + ".mount_path", path))
            out.append({"claim": claim, "mount_path": path, "sub_path": I.sub_path(dataset.get("sub_path"), what + ".sub_path")})
        I.check_mounts(self.home_mount, mounts)
        return out

    def _quantity(self, option):
        value = self.params.get(option)
        try:
            if parse_quantity(value) <= 0:
                raise ValueError("must be more than 0")
        except ValueError as exc:
            raise K8sError("%s %r: %s" % (option, value, exc)) from None
        return str(value)

    def _ports(self):
        ports = []
        if self.ssh.get("enabled"):
            ports.append(("ssh", int(self.ssh.get("port") or C.SSH_PORT)))
        if self.jupyter.get("enabled"):
            ports.append(("jupyter", int(self.jupyter.get("port") or C.JUPYTER_PORT)))
        if self.rdp.get("enabled"):
            ports.append(("rdp", int(self.rdp.get("port") or C.RDP_PORT)))
        numbers = [p for dummy, p in ports]
        if len(set(numbers)) != len(numbers):
            raise K8sError("ssh, jupyter and rdp ports must differ (got %s)" % numbers)
        for _dummy, number in ports:
            if not 1 <= number <= 65535:
                raise K8sError("port %d is out of range" % number)
        return ports

    # -- manifests ------------------------------------------------------------------------
    def labels(self, owner):
        return C.environment_labels(self.workspace, self.name, owner)

    def selector_labels(self):
        return {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE, C.WORKSPACE_LABEL: self.workspace,
                C.ENVIRONMENT_LABEL: self.name}

    def ssh_secret(self, owner):
        if not self.ssh.get("enabled"):
            return None
        keys = "\n".join(k.strip() for k in self.ssh.get("authorized_keys") or []) + "\n"
        return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": self.name + C.SSH_SECRET_SUFFIX, "namespace": self.namespace, "labels": self.labels(owner)},
                "data": {"authorized_keys": _b64(keys)}}

    def jupyter_secret(self, owner, existing_token=None):
        if not self.jupyter.get("enabled"):
            return None
        token = self.jupyter.get("token") or existing_token or secrets.token_urlsafe(24)
        return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": self.name + C.JUPYTER_SECRET_SUFFIX, "namespace": self.namespace,
                             "labels": self.labels(owner)},
                "data": {"token": _b64(token)}}

    def service(self, owner):
        if not self.ports:
            return None
        return {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": self.name, "namespace": self.namespace, "labels": self.labels(owner)},
                "spec": {"type": self.service_type, "selector": self.selector_labels(),
                         "ports": [{"name": n, "port": p, "targetPort": n, "protocol": "TCP"} for n, p in self.ports]}}

    def container(self):
        resources = {"cpu": self.cpu, "memory": self.memory}
        limits = dict(resources)
        if self.gpus:
            resources[self.resource_key] = str(self.gpus)
            limits[self.resource_key] = str(self.gpus)
        container = {"name": CONTAINER, "image": self.image, "resources": {"requests": resources, "limits": limits},
                     "volumeMounts": [{"name": C.HOME_VOLUME, "mountPath": self.home_mount}]}
        if self.params.get("image_pull_policy"):
            container["imagePullPolicy"] = self.params["image_pull_policy"]
        if self.params.get("command"):
            container["command"] = list(self.params["command"])
        if self.params.get("args"):
            container["args"] = list(self.params["args"])
        env = [{"name": k, "value": str(v)} for k, v in sorted((self.params.get("env") or {}).items())]
        env.append({"name": "OPSFORGE_ENVIRONMENT", "value": self.name})
        env.append({"name": "OPSFORGE_WORKSPACE", "value": self.workspace})
        if self.ssh.get("enabled"):
            env.append({"name": "OPSFORGE_SSH_AUTHORIZED_KEYS", "value": "/etc/opsforge/ssh/authorized_keys"})
            container["volumeMounts"].append({"name": "ssh-keys", "mountPath": "/etc/opsforge/ssh", "readOnly": True})
        if self.jupyter.get("enabled"):
            env.append({"name": "JUPYTER_TOKEN", "valueFrom": {"secretKeyRef": {
                "name": self.name + C.JUPYTER_SECRET_SUFFIX, "key": "token"}}})
        container["env"] = env
        if self.ports:
            container["ports"] = [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in self.ports]
        for dataset in self.datasets:
            mount = {"name": "data-" + dataset["claim"], "mountPath": dataset["mount_path"], "readOnly": True}
            if dataset["sub_path"]:
                mount["subPath"] = dataset["sub_path"]
            container["volumeMounts"].append(mount)
        return container

    def pod_spec(self):
        spec = {"containers": [self.container()], "enableServiceLinks": False}
        volumes = []
        if self.ssh.get("enabled"):
            volumes.append({"name": "ssh-keys", "secret": {"secretName": self.name + C.SSH_SECRET_SUFFIX, "defaultMode": 0o444}})
        for dataset in self.datasets:
            volumes.append({"name": "data-" + dataset["claim"],
                            "persistentVolumeClaim": {"claimName": dataset["claim"], "readOnly": True}})
        if volumes:
            spec["volumes"] = volumes
        if self.tolerations():
            spec["tolerations"] = self.tolerations()
        if self.gpu_model:
            spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": C.GPU_PRODUCT_LABEL, "operator": "In", "values": [self.gpu_model]}]}]}}}
        if self.params.get("node_selector"):
            spec["nodeSelector"] = dict(self.params["node_selector"])
        return spec

    def annotations(self):
        out = {}
        if self.max_lifetime:
            out[C.MAX_LIFETIME_ANNOTATION] = str(self.max_lifetime)
        if self.idle_policy is not None:
            out[C.IDLE_POLICY_ANNOTATION] = json.dumps(self.idle_policy, sort_keys=True, separators=(",", ":"))
        return out

    def statefulset(self, owner, replicas, restarted_at=None):
        template_meta = {"labels": self.labels(owner)}
        if restarted_at:
            template_meta["annotations"] = {C.RESTARTED_AT_ANNOTATION: restarted_at}
        claim = {"metadata": {"name": C.HOME_VOLUME, "labels": self.labels(owner)},
                 "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": self.home_size}}}}
        if self.params.get("storage_class"):
            claim["spec"]["storageClassName"] = self.params["storage_class"]
        return {
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": self.name, "namespace": self.namespace, "labels": self.labels(owner),
                         "annotations": self.annotations()},
            "spec": {
                "replicas": replicas,
                "serviceName": self.name,
                "selector": {"matchLabels": self.selector_labels()},
                "template": {"metadata": template_meta, "spec": self.pod_spec()},
                "volumeClaimTemplates": [claim],
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            },
        }

    def lifecycle_entry(self, event):
        return C.lifecycle_event(event, gpus=self.gpus, gpu_model=self.gpu_model, resource_key=self.resource_key,
                                 cpu=self.cpu, memory=self.memory, storage=self.home_size)

    def manifests(self, owner="owner"):
        """Every object this spec would create (for schema validation)."""
        objs = [self.statefulset(owner, 1, C.rfc3339()), self.service(owner), self.ssh_secret(owner),
                self.jupyter_secret(owner, "token")]
        return [o for o in objs if o]


def all_manifests(params, owner="alice"):
    return [clean(m) for m in EnvSpec(params).manifests(owner)]
