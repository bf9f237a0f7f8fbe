# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""``gpu_environment`` and ``gpu_environment_info``: GPU development environments.

An environment ``<env>`` in workspace ``<ws>`` is, in namespace ``ws-<ws>``:

- StatefulSet ``<env>`` (one replica; 0 when stopped) whose volumeClaimTemplate ``home``
  gives PVC ``home-<env>-0``, kept across stop/start and, unless asked, deletion;
- Service ``<env>`` exposing SSH / Jupyter / RDP;
- Secret ``<env>-ssh`` (``authorized_keys``) and Secret ``<env>-jupyter`` (``token``).

See :mod:`.constants` for labels and the lifecycle annotation.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time

from ansible_collections.opsforge.infra.plugins.module_utils._k8s import constants as C
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.errors import K8sError
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.nodes import blocking_taints, inventory, node_ready
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.nodes import pod_requests
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.resources import (
    clean,
    ensure,
    format_quantity,
    is_subset,
    parse_quantity,
)
from ansible_collections.opsforge.infra.plugins.module_utils._k8s.workspace import validate_name

CONTAINER = "env"
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
SSH_KEY = re.compile(r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/=]+(\s.*)?$")
FAIL_FAST_REASONS = ("InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "ImagePullBackOff",
                     "CrashLoopBackOff", "CreateContainerError")
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
        self.home_mount = params.get("home_mount_path") or "/home/user"
        self.service_type = params.get("service_type") or "ClusterIP"
        self.max_lifetime = params.get("max_lifetime")
        if self.max_lifetime:
            try:
                C.parse_duration(self.max_lifetime)
            except ValueError as exc:
                raise K8sError("max_lifetime: %s" % exc) from None
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
        self.datasets = []
        mounts = {self.home_mount}
        for dataset in params.get("datasets") or []:
            claim = dataset["claim"]
            validate_name(claim, "datasets claim", max_len=253)
            path = dataset.get("mount_path") or "/data/%s" % claim
            if not path.startswith("/") or path in mounts:
                raise K8sError("datasets: mount path %r of claim %s must be absolute and unique" % (path, claim))
            mounts.add(path)
            self.datasets.append({"claim": claim, "mount_path": path, "sub_path": dataset.get("sub_path")})
        self.ports = self._ports()

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
        if self.gpus:
            spec["tolerations"] = [{"key": C.GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}]
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
        if self.params.get("idle_policy") is not None:
            out[C.IDLE_POLICY_ANNOTATION] = json.dumps(self.params["idle_policy"], sort_keys=True, separators=(",", ":"))
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


# -- reading ---------------------------------------------------------------------------------
def _container(sts):
    containers = (((sts.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or [{}]
    for container in containers:
        if container.get("name") == CONTAINER:
            return container
    return containers[0]


def gpu_request(container):
    resources = container.get("resources") or {}
    asked = dict(resources.get("limits") or {})
    asked.update(resources.get("requests") or {})
    for key, value in asked.items():
        if C.is_gpu_resource(key):
            return key, int(parse_quantity(value))
    return None, 0


def pod_problem(pod, events=()):
    """Why a pod is not ready, in words (``None`` when it is ready)."""
    if pod is None:
        messages = [e.get("message") for e in events if e.get("type") == "Warning" and e.get("message")]
        return "pod not created yet%s" % (": " + messages[-1] if messages else "")
    status = pod.get("status") or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            return None
    phase = status.get("phase") or "Pending"
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            return "Pending, not scheduled: %s: %s" % (cond.get("reason") or "Unschedulable", cond.get("message") or "")
    for cstatus in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = cstatus.get("state") or {}
        waiting = state.get("waiting")
        last = (cstatus.get("lastState") or {}).get("terminated") or {}
        if waiting and waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"):
            return "image pull error for %s: %s: %s" % (cstatus.get("image") or "the image", waiting.get("reason"),
                                                        waiting.get("message") or "")
        if waiting and waiting.get("reason") == "CrashLoopBackOff" or last:
            return "container %s crashed: %s, last exit code %s (%s), restarts %s" % (
                cstatus.get("name"), (waiting or {}).get("reason") or "terminated", last.get("exitCode"),
                last.get("reason") or "", cstatus.get("restartCount", 0))
        if waiting:
            return "container %s waiting: %s: %s" % (cstatus.get("name"), waiting.get("reason"), waiting.get("message") or "")
        if state.get("terminated"):
            term = state["terminated"]
            return "container %s terminated: exit code %s (%s)" % (cstatus.get("name"), term.get("exitCode"), term.get("reason"))
    if phase == "Running":
        return "running but not ready (readiness probe failing?)"
    return "%s%s" % (phase, (": " + status["message"]) if status.get("message") else "")


def fail_fast_reason(pod):
    for cstatus in ((pod or {}).get("status") or {}).get("containerStatuses") or []:
        waiting = (cstatus.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FAIL_FAST_REASONS:
            return waiting["reason"]
    return None


def pod_state(sts, pod):
    if sts is None:
        return "absent"
    replicas = (sts.get("spec") or {}).get("replicas", 1)
    if not replicas:
        return "stopped" if pod is None else "stopping"
    if pod is None:
        return "starting"
    if pod_problem(pod) is None:
        return "running"
    if fail_fast_reason(pod):
        return "failed"
    return "pending" if (pod.get("status") or {}).get("phase") == "Pending" else "starting"


def runtime_seconds(events, now=None):
    """Seconds the environment has been running, summed over its lifecycle."""
    now = now or C.parse_rfc3339(C.rfc3339())
    total, since = 0.0, None
    for event in events:
        try:
            at = C.parse_rfc3339(event["at"])
        except (KeyError, ValueError):
            continue
        if event["event"] in C.RUNNING_EVENTS:
            if since is None:
                since = at
        elif since is not None:
            total += (at - since).total_seconds()
            since = None
    if since is not None:
        total += max(0.0, (now - since).total_seconds())
    return int(total)


def access_info(sts, service, pod=None, node=None):
    """How to reach the environment: host and per-protocol ports/URLs (no secrets)."""
    if service is None:
        return {}
    meta, spec = service["metadata"], service.get("spec") or {}
    svc_type = spec.get("type", "ClusterIP")
    host = "%s.%s.svc" % (meta["name"], meta.get("namespace"))
    ports = {}
    for port in spec.get("ports") or []:
        number = port.get("port")
        if svc_type == "NodePort":
            number = port.get("nodePort") or number
        ports[port.get("name")] = number
    if svc_type == "NodePort":
        host = _node_address(node) or host
    elif svc_type == "LoadBalancer":
        ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        host = (ingress[0].get("ip") or ingress[0].get("hostname")) if ingress else None
    out = {"service_type": svc_type, "host": host, "cluster_ip": spec.get("clusterIP")}
    if "ssh" in ports:
        out["ssh"] = {"host": host, "port": ports["ssh"],
                      "command": "ssh -p %s user@%s" % (ports["ssh"], host) if host else None}
    if "jupyter" in ports:
        out["jupyter"] = {"url": "http://%s:%s/lab" % (host, ports["jupyter"]) if host else None,
                          "token_secret": "%s%s" % (((sts or {}).get("metadata") or {}).get("name", meta["name"]),
                                                    C.JUPYTER_SECRET_SUFFIX)}
    if "rdp" in ports:
        out["rdp"] = {"host": host, "port": ports["rdp"]}
    return out


def _node_address(node):
    if not node:
        return None
    addresses = (node.get("status") or {}).get("addresses") or []
    for kind in ("ExternalIP", "InternalIP", "Hostname"):
        for address in addresses:
            if address.get("type") == kind:
                return address.get("address")
    return None


def normalize_environment(sts, pod=None, service=None, node=None):
    """The ``environment`` return value (``None`` when absent)."""
    if sts is None:
        return None
    meta = sts["metadata"]
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    container = _container(sts)
    key, gpus = gpu_request(container)
    requests = (container.get("resources") or {}).get("requests") or {}
    affinity = json.dumps(((sts["spec"].get("template") or {}).get("spec") or {}).get("affinity") or {})
    model = None
    found = re.search(r'"values": \["([^"]+)"\]', affinity) if C.GPU_PRODUCT_LABEL in affinity else None
    if found:
        model = found.group(1)
    events = C.read_lifecycle(annotations)
    claims = sts["spec"].get("volumeClaimTemplates") or []
    home_size = ((claims[0].get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage") if claims else None
    out = {
        "name": meta["name"],
        "namespace": meta.get("namespace"),
        "workspace": labels.get(C.WORKSPACE_LABEL),
        "owner": labels.get(C.OWNER_LABEL),
        "state": pod_state(sts, pod),
        "replicas": sts["spec"].get("replicas", 1),
        "image": container.get("image"),
        "gpus": gpus,
        "resource_key": key,
        "gpu_model": model,
        "cpu": requests.get("cpu"),
        "memory": requests.get("memory"),
        "home_size": home_size,
        "home_claim": "%s-%s-0" % (C.HOME_VOLUME, meta["name"]),
        "max_lifetime": annotations.get(C.MAX_LIFETIME_ANNOTATION),
        "stopped_by": annotations.get(C.STOPPED_BY_ANNOTATION),
        "notice": annotations.get(C.NOTICE_ANNOTATION),
        "created": meta.get("creationTimestamp"),
        "lifecycle": events,
        "runtime_seconds": runtime_seconds(events),
        "pod": None,
        "access": access_info(sts, service, pod, node),
    }
    if pod is not None:
        out["pod"] = {"name": pod["metadata"]["name"], "phase": (pod.get("status") or {}).get("phase"),
                      "node": (pod.get("spec") or {}).get("nodeName"), "ready": pod_problem(pod) is None,
                      "reason": pod_problem(pod)}
    return out


# -- capacity -----------------------------------------------------------------------------------
def quota_shortfalls(api, namespace, needs):
    """Messages for each quota in ``namespace`` that cannot fit ``needs`` ({quota key: Decimal})."""
    short = []
    pods = None
    for quota in api.list("ResourceQuota", namespace):
        hard = (quota.get("spec") or {}).get("hard") or {}
        used = (quota.get("status") or {}).get("used")
        if used is None:  # no quota controller status yet: count the pods ourselves
            if pods is None:
                pods = [p for p in api.list("Pod", namespace) if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
            used = _usage(pods)
        for key, amount in needs.items():
            if key not in hard or not amount:
                continue
            left = parse_quantity(hard[key]) - parse_quantity(used.get(key, 0))
            if amount > left:
                binary = "memory" in key or "storage" in key
                short.append("workspace quota %s/%s: %s needed, %s left of %s" % (
                    quota["metadata"]["name"], key, format_quantity(amount, binary),
                    format_quantity(max(left, 0), binary), hard[key]))
    return short


def _usage(pods):
    used = {"pods": 0}
    for pod in pods:
        used["pods"] += 1
        for key, value in pod_requests(pod).items():
            name = key if key in ("cpu", "memory") or C.is_gpu_resource(key) else None
            if name:
                qkey = "requests.%s" % name
                used[qkey] = used.get(qkey, 0) + value
    return used


def node_shortfall(api, spec, credit=None):
    """A message when no schedulable node has ``spec.gpus`` free of its resource key / model.

    ``credit`` ({node: GPUs}) adds GPUs that will be freed on a node (the environment's own
    pod, replaced when a running environment grows)."""
    if not spec.gpus:
        return None
    selector = C.selector({C.GPU_PRODUCT_LABEL: spec.gpu_model}) if spec.gpu_model else None
    views, dummy = inventory(api, label_selector=selector)
    key = spec.resource_key
    for view in views:
        if (credit or {}).get(view["name"]) and key in view["free"]:
            view["free"][key] += credit[view["name"]]
    candidates = [v for v in views if key in v["resource_keys"]]
    what = "%d free %s%s" % (spec.gpus, key, " of model %s" % spec.gpu_model if spec.gpu_model else "")
    if not candidates:
        if spec.gpu_model:
            models = sorted({v["gpu_model"] for v in inventory(api)[0] if v["gpu_model"]})
            return "no node offers %s with label %s=%s (models in the cluster: %s)" % (
                key, C.GPU_PRODUCT_LABEL, spec.gpu_model, ", ".join(models) or "none")
        return "no node offers the resource %s" % key
    fitting = [v for v in candidates if v["schedulable"] and v["free"].get(key, 0) >= spec.gpus]
    if fitting:
        return None
    schedulable = [v for v in candidates if v["schedulable"]]
    best = max(schedulable, key=lambda v: v["free"].get(key, 0)) if schedulable else None
    blocked = len(candidates) - len(schedulable)
    return "no schedulable node has %s (%d node(s) offer %s%s%s)" % (
        what, len(candidates), key,
        "; most free: %s with %d" % (best["name"], best["free"].get(key, 0)) if best else "",
        "; %d cordoned, not ready or tainted" % blocked if blocked else "")


def capacity_problems(api, spec, new_home):
    needs = {}
    if spec.gpus:  # GPUs first: the shortage users care most about
        needs["requests.%s" % spec.resource_key] = parse_quantity(spec.gpus)
    needs.update({"pods": parse_quantity(1), "requests.cpu": parse_quantity(spec.cpu),
                  "requests.memory": parse_quantity(spec.memory), "limits.cpu": parse_quantity(spec.cpu),
                  "limits.memory": parse_quantity(spec.memory)})
    if new_home:
        needs["requests.storage"] = parse_quantity(spec.home_size)
        needs["persistentvolumeclaims"] = parse_quantity(1)
    problems = quota_shortfalls(api, spec.namespace, needs)
    node = node_shortfall(api, spec)
    if node:
        problems.append(node)
    return problems


# -- the service -------------------------------------------------------------------------------
class EnvironmentService:
    def __init__(self, api, sleep=time.sleep, clock=time.monotonic):
        self.api = api
        self._answers = {}  # the server's answers to our writes (dry-run answers in check mode)
        self.sleep = sleep
        self.clock = clock

    def _read(self, namespace, name):
        sts = self.api.get("StatefulSet", name, namespace)
        if sts is None:
            return None, None, None
        pod = self.api.get("Pod", "%s-0" % name, namespace)
        service = self.api.get("Service", name, namespace)
        return sts, pod, service

    def _node(self, pod, service):
        if service is None or (service.get("spec") or {}).get("type") != "NodePort":
            return None
        node_name = ((pod or {}).get("spec") or {}).get("nodeName")
        if node_name:
            return self.api.get("Node", node_name)
        nodes = [n for n in self.api.list("Node") if node_ready(n) and not blocking_taints(n)]
        return nodes[0] if nodes else None

    def view(self, sts, pod, service):
        return normalize_environment(sts, pod, service, self._node(pod, service))

    @staticmethod
    def _check_owned(sts, spec):
        labels = (sts.get("metadata") or {}).get("labels") or {}
        if labels.get(C.MANAGED_BY_LABEL) != C.MANAGED_BY_VALUE or labels.get(C.WORKSPACE_LABEL) != spec.workspace:
            raise K8sError("StatefulSet %s/%s exists but is not environment %s of workspace %s; refusing to change it"
                           % (spec.namespace, spec.name, spec.name, spec.workspace))

    def run(self, params):
        spec = EnvSpec(params)
        state = params.get("state") or "present"
        if self.api.get("Namespace", spec.namespace) is None:
            if state == "absent":
                return {"changed": False, "environment": None, "diff": {"before": None, "after": None}}
            raise K8sError("Workspace namespace %s does not exist: create it with opsforge.infra.gpu_workspace first"
                           % spec.namespace)
        sts, pod, service = self._read(spec.namespace, spec.name)
        if sts is not None:
            self._check_owned(sts, spec)
        before = self.view(sts, pod, service)
        if state == "absent":
            changed = self._absent(spec, sts)
        elif state == "stopped":
            changed = self._stop(spec, sts)
        else:
            changed = self._start(spec, sts, restart=(state == "restarted"))
        result = {"changed": changed}
        if self.api.dry_run and changed and state != "absent" and self._answers.get("StatefulSet"):
            # What the API server answered to the dry run: validated and defaulted, not stored.
            after = normalize_environment(self._answers["StatefulSet"], None,
                                          self._answers.get("Service") or service)
        elif self.api.dry_run:
            after = self._predict(spec, state, before, changed)
        else:
            if params.get("wait") and state != "absent":
                self._wait(spec, state, params.get("wait_timeout") or 300, params.get("wait_sleep") or 2)
            after = self.view(*self._read(spec.namespace, spec.name)) if state != "absent" else None
        result["environment"] = after
        result["diff"] = {"before": _diffable(before), "after": _diffable(after)}
        return result

    def _predict(self, spec, state, before, changed):
        if state == "absent":
            return None
        if not changed:
            return before
        owner = spec.owner or (before or {}).get("owner") or ""
        if before is not None and (state == "stopped" or not spec.image):
            after = dict(before)
            after.update(replicas=0 if state == "stopped" else 1, state="stopped" if state == "stopped" else "starting")
            return after
        replicas = 0 if state == "stopped" else 1
        return normalize_environment(spec.statefulset(owner, replicas), None, spec.service(owner))

    # -- states -------------------------------------------------------------------------
    def _start(self, spec, sts, restart=False):
        creating = sts is None
        owner = spec.owner if spec.owner else ((sts or {}).get("metadata", {}).get("labels", {}).get(C.OWNER_LABEL))
        if creating:
            missing = [o for o in ("owner", "image") if not spec.params.get(o)]
            if missing:
                raise K8sError("Creating environment %s needs %s" % (spec.name, " and ".join(missing)))
        elif not spec.image:
            return self._scale_up(spec_from_live(spec, sts), sts, restart)
        running = not creating and (sts["spec"].get("replicas") or 0) > 0
        old_key, old_gpus = gpu_request(_container(sts)) if not creating else (None, 0)
        if not running and spec.params.get("capacity_check", True):
            new_home = self.api.get("PersistentVolumeClaim", "%s-%s-0" % (C.HOME_VOLUME, spec.name), spec.namespace) is None
            problems = capacity_problems(self.api, spec, new_home)
            if problems:
                raise K8sError("Not enough capacity to %s environment %s: %s" % (
                    "create" if creating else "start", spec.name, "; ".join(problems)), details={"shortages": problems})
        elif running and spec.params.get("capacity_check", True) and spec.gpus and \
                (spec.resource_key != old_key or spec.gpus > old_gpus):
            self._check_growth(spec)
        missing = [d["claim"] for d in spec.datasets
                   if self.api.get("PersistentVolumeClaim", d["claim"], spec.namespace) is None]
        if missing:
            raise K8sError("Dataset PVC(s) %s do not exist in namespace %s" % (", ".join(missing), spec.namespace))
        changed = False
        # Secrets and Service first: the pod mounts / references them.
        for obj in (spec.ssh_secret(owner), self._jupyter_secret(spec, owner)):
            if obj is not None:
                changed |= ensure(self.api, "Secret", obj, spec.namespace, replace_paths=(("data",),))[0]
        for suffix, enabled in ((C.SSH_SECRET_SUFFIX, spec.ssh.get("enabled")), (C.JUPYTER_SECRET_SUFFIX, spec.jupyter.get("enabled"))):
            if not enabled and self.api.get("Secret", spec.name + suffix, spec.namespace) is not None:
                self.api.delete("Secret", spec.name + suffix, spec.namespace)
                changed = True
        service = spec.service(owner)
        if service is not None:
            svc_changed, dummy, self._answers["Service"] = ensure(self.api, "Service", service, spec.namespace)
            changed |= svc_changed
        elif self.api.get("Service", spec.name, spec.namespace) is not None:
            self.api.delete("Service", spec.name, spec.namespace)
            changed = True
        restarted_at = C.rfc3339() if restart else _restarted_at(sts)
        if restart:
            self._answers["restarted_at"] = restarted_at
        desired = spec.statefulset(owner, 1, restarted_at)
        if creating:
            desired["metadata"]["annotations"][C.LIFECYCLE_ANNOTATION] = C.append_lifecycle({}, spec.lifecycle_entry("created"))
            self._answers["StatefulSet"] = self.api.create("StatefulSet", desired, spec.namespace)
            return True
        self._check_immutable(sts, desired)
        event = None
        if not running:
            event = "started"
        elif restart:
            event = "restarted"
        elif (old_key, old_gpus) != (spec.resource_key if spec.gpus else None, spec.gpus) \
                or not is_subset(desired["spec"]["template"], sts["spec"].get("template")):
            event = "restarted"  # the pod is replaced with the new spec
        patch_body = {"metadata": {"labels": desired["metadata"]["labels"],
                                   "annotations": dict(desired["metadata"]["annotations"])},
                      "spec": {"replicas": 1, "template": desired["spec"]["template"]}}
        current_ann = sts["metadata"].get("annotations") or {}
        for key in (C.MAX_LIFETIME_ANNOTATION, C.IDLE_POLICY_ANNOTATION):
            if key in current_ann and key not in patch_body["metadata"]["annotations"]:
                patch_body["metadata"]["annotations"][key] = None
        if not running:
            for key in (C.STOPPED_BY_ANNOTATION, C.NOTICE_ANNOTATION):
                if key in current_ann:
                    patch_body["metadata"]["annotations"][key] = None
        if event is None and is_subset(_non_null(patch_body), sts) and not any(
                v is None for v in patch_body["metadata"]["annotations"].values()):
            return changed
        if event:
            patch_body["metadata"]["annotations"][C.LIFECYCLE_ANNOTATION] = C.append_lifecycle(
                current_ann, spec.lifecycle_entry(event))
        self._answers["StatefulSet"] = self.api.patch("StatefulSet", spec.name, patch_body, spec.namespace)
        return True

    def _check_growth(self, spec):
        """A running environment asks for more GPUs (or another kind): its pod is replaced, so
        only the difference must fit in the quota, and its node gets its old GPUs back."""
        pod = self.api.get("Pod", "%s-0" % spec.name, spec.namespace)
        held = int(pod_requests(pod).get(spec.resource_key, 0)) if pod is not None else 0  # what its pod holds now
        problems = quota_shortfalls(self.api, spec.namespace,
                                    {"requests.%s" % spec.resource_key: parse_quantity(spec.gpus - held)})
        node_name = ((pod or {}).get("spec") or {}).get("nodeName")
        node = node_shortfall(self.api, spec, credit={node_name: held} if node_name and held else None)
        if node:
            problems.append(node)
        if problems:
            raise K8sError("Not enough capacity to give environment %s %d %s: %s" % (
                spec.name, spec.gpus, spec.resource_key, "; ".join(problems)), details={"shortages": problems})

    def _scale_up(self, spec, sts, restart):
        """Start / restart an existing environment as it is (no image given: its spec is kept)."""
        running = (sts["spec"].get("replicas") or 0) > 0
        if running and not restart:
            return False
        if not running and spec.params.get("capacity_check", True):
            problems = capacity_problems(self.api, spec, new_home=False)
            if problems:
                raise K8sError("Not enough capacity to start environment %s: %s" % (spec.name, "; ".join(problems)),
                               details={"shortages": problems})
        current_ann = sts["metadata"].get("annotations") or {}
        annotations = {C.LIFECYCLE_ANNOTATION: C.append_lifecycle(
            current_ann, spec.lifecycle_entry("restarted" if running else "started"))}
        if not running:
            annotations.update({k: None for k in (C.STOPPED_BY_ANNOTATION, C.NOTICE_ANNOTATION) if k in current_ann})
        patch_body = {"metadata": {"annotations": annotations}, "spec": {"replicas": 1}}
        if restart:
            self._answers["restarted_at"] = C.rfc3339()
            patch_body["spec"]["template"] = {"metadata": {"annotations": {
                C.RESTARTED_AT_ANNOTATION: self._answers["restarted_at"]}}}
        self._answers["StatefulSet"] = self.api.patch("StatefulSet", spec.name, patch_body, spec.namespace)
        return True

    def _jupyter_secret(self, spec, owner):
        if not spec.jupyter.get("enabled"):
            return None
        existing = None
        if not spec.jupyter.get("token"):
            current = self.api.get("Secret", spec.name + C.JUPYTER_SECRET_SUFFIX, spec.namespace)
            if current is not None and (current.get("data") or {}).get("token"):
                existing = _unb64(current["data"]["token"])
        return spec.jupyter_secret(owner, existing)

    @staticmethod
    def _check_immutable(sts, desired):
        current_claims = sts["spec"].get("volumeClaimTemplates") or []
        want = desired["spec"]["volumeClaimTemplates"][0]
        if current_claims and not is_subset(want["spec"]["resources"], (current_claims[0].get("spec") or {}).get("resources")):
            raise K8sError("home_size of environment %s cannot change from %s to %s: volumeClaimTemplates are immutable;"
                           " resize PVC %s-%s-0 instead" % (
                               sts["metadata"]["name"],
                               ((current_claims[0].get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage"),
                               want["spec"]["resources"]["requests"]["storage"], C.HOME_VOLUME, sts["metadata"]["name"]))

    def _stop(self, spec, sts):
        if sts is None:
            raise K8sError("Environment %s does not exist in workspace %s: nothing to stop" % (spec.name, spec.workspace))
        if not sts["spec"].get("replicas"):
            return False
        self._answers["StatefulSet"] = stop(self.api, sts, spec.params.get("stopped_by") or "user", spec.params.get("notice"))
        return True

    def _absent(self, spec, sts):
        changed = False
        if sts is not None:
            annotations = sts["metadata"].get("annotations") or {}
            events = C.read_lifecycle(annotations)
            last = events[-1] if events else {}
            entry = C.lifecycle_event("deleted", gpus=last.get("gpus", 0), gpu_model=last.get("gpu_model", ""),
                                      resource_key=last.get("resource_key", C.GPU_RESOURCE), cpu=last.get("cpu", ""),
                                      memory=last.get("memory", ""), storage=last.get("storage", ""))
            if (sts["spec"].get("replicas") or 0) == 0:
                # already stopped: the running interval ended at "stopped"; still mark the deletion
                pass
            archive_lifecycle(self.api, spec.namespace, spec.name, events + [entry])
            self.api.delete("StatefulSet", spec.name, spec.namespace)
            changed = True
        selector = C.environment_selector(spec.name, spec.workspace)
        for kind in ("Service", "Secret"):
            for obj in self.api.list(kind, spec.namespace, label_selector=selector):
                self.api.delete(kind, obj["metadata"]["name"], spec.namespace)
                changed = True
        if spec.params.get("delete_home"):
            if self.api.delete("PersistentVolumeClaim", "%s-%s-0" % (C.HOME_VOLUME, spec.name), spec.namespace) is not None:
                changed = True
        return changed

    # -- waiting ------------------------------------------------------------------------------
    def _wait(self, spec, state, timeout, sleep):
        deadline = self.clock() + timeout
        pod_name = "%s-0" % spec.name
        while True:
            pod = self.api.get("Pod", pod_name, spec.namespace)
            if state == "stopped":
                if pod is None:
                    return
                problem = "pod %s still exists" % pod_name
            else:
                problem = pod_problem(pod, self._events(spec) if pod is None else ())
                restarted_at = self._answers.get("restarted_at")
                replacing = pod is not None and restarted_at and \
                    ((pod.get("metadata") or {}).get("annotations") or {}).get(C.RESTARTED_AT_ANNOTATION) != restarted_at
                if replacing:
                    problem = "the old pod %s is still being replaced" % pod_name
                elif problem is None:
                    return
                reason = None if replacing else fail_fast_reason(pod)
                if reason:
                    raise K8sError("Environment %s will not become ready: %s" % (spec.name, problem),
                                   details={"reason": reason})
            if self.clock() >= deadline:
                if pod is not None and state != "stopped" and not problem.startswith("the old pod"):
                    problem = pod_problem(pod, self._events(spec, pod_name)) or problem
                raise K8sError("Timed out after %ss waiting for environment %s to be %s: %s" % (
                    timeout, spec.name, "stopped" if state == "stopped" else "ready", problem),
                    details={"reason": "Timeout"})
            self.sleep(sleep)

    def _events(self, spec, name=None):
        try:
            events = self.api.list("Event", spec.namespace, field_selector="involvedObject.name=%s" % (name or spec.name))
        except K8sError:
            return []
        return sorted(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")


def spec_from_live(spec, sts):
    """An :class:`EnvSpec` describing the live StatefulSet (for starting it as it is)."""
    view = normalize_environment(sts)
    params = dict(spec.params)
    key = view["resource_key"] or C.GPU_RESOURCE
    sharing, profile = "whole", None
    if key.startswith(C.MIG_RESOURCE_PREFIX):
        sharing, profile = "mig", key[len(C.MIG_RESOURCE_PREFIX):]
    elif key == C.GPU_SHARED_RESOURCE:
        sharing = "time-sliced"
    params.update(image=view["image"], gpus=view["gpus"], gpu_model=view["gpu_model"], sharing=sharing, mig_profile=profile,
                  cpu=view["cpu"] or params.get("cpu"), memory=view["memory"] or params.get("memory"),
                  home_size=view["home_size"] or params.get("home_size"), ssh=None, jupyter=None, rdp=None, datasets=[])
    return EnvSpec(params)


def stop(api, sts, stopped_by, notice=None):
    """Scale an environment's StatefulSet to 0 and record who stopped it (shared with the reaper
    and gpu_node's drain)."""
    annotations = sts["metadata"].get("annotations") or {}
    events = C.read_lifecycle(annotations)
    last = events[-1] if events else {}
    container = _container(sts)
    key, gpus = gpu_request(container)
    requests = (container.get("resources") or {}).get("requests") or {}
    entry = C.lifecycle_event("stopped", gpus=gpus, gpu_model=last.get("gpu_model", ""),
                              resource_key=key or C.GPU_RESOURCE, cpu=requests.get("cpu", ""),
                              memory=requests.get("memory", ""), storage=last.get("storage", ""))
    new_annotations = {C.LIFECYCLE_ANNOTATION: C.append_lifecycle(annotations, entry), C.STOPPED_BY_ANNOTATION: stopped_by}
    if notice:
        new_annotations[C.NOTICE_ANNOTATION] = notice
    return api.patch("StatefulSet", sts["metadata"]["name"], {"metadata": {"annotations": new_annotations},
                                                              "spec": {"replicas": 0}}, sts["metadata"]["namespace"])


def archive_lifecycle(api, namespace, name, events):
    """Append ``events`` to the workspace's lifecycle archive ConfigMap (created if needed)."""
    current = api.get("ConfigMap", C.LIFECYCLE_ARCHIVE_CONFIGMAP, namespace)
    data = dict((current or {}).get("data") or {})
    try:
        archived = json.loads(data.get(name) or "[]")
    except ValueError:
        archived = []
    data[name] = json.dumps(archived + events, separators=(",", ":"), sort_keys=True)
    if current is None:
        api.create("ConfigMap", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": C.LIFECYCLE_ARCHIVE_CONFIGMAP, "namespace": namespace,
            "labels": {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE}}, "data": data}, namespace)
    else:
        api.patch("ConfigMap", C.LIFECYCLE_ARCHIVE_CONFIGMAP, {"data": {name: data[name]}}, namespace)


def _restarted_at(sts):
    if sts is None:
        return None
    return ((((sts.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {}).get(
        C.RESTARTED_AT_ANNOTATION)


def _non_null(obj):
    if isinstance(obj, dict):
        return {k: _non_null(v) for k, v in obj.items() if v is not None}
    return obj


def _diffable(view):
    if view is None:
        return None
    out = dict(view)
    for volatile in ("pod", "runtime_seconds", "lifecycle", "created"):
        out.pop(volatile, None)
    return out


def list_environments(api, namespace=None, workspace=None, name=None, owner=None):
    """Every managed environment matching the filters, normalized. Three or four list calls."""
    labels = {C.MANAGED_BY_LABEL: C.MANAGED_BY_VALUE}
    if workspace:
        labels[C.WORKSPACE_LABEL] = workspace
    if name:
        labels[C.ENVIRONMENT_LABEL] = name
    if owner:
        labels[C.OWNER_LABEL] = owner
    selector = C.selector(labels)
    sets = api.list("StatefulSet", namespace, label_selector=selector)
    if not sets:
        return []
    pods = {(p["metadata"].get("namespace"), p["metadata"]["name"]): p
            for p in api.list("Pod", namespace, label_selector=selector)}
    services = {(s["metadata"].get("namespace"), s["metadata"]["name"]): s
                for s in api.list("Service", namespace, label_selector=selector)}
    nodes = None
    out = []
    for sts in sorted(sets, key=lambda s: (s["metadata"].get("namespace"), s["metadata"]["name"])):
        key = (sts["metadata"].get("namespace"), sts["metadata"]["name"])
        pod = pods.get((key[0], "%s-0" % key[1]))
        service = services.get(key)
        node = None
        if service is not None and (service.get("spec") or {}).get("type") == "NodePort":
            if nodes is None:
                nodes = {n["metadata"]["name"]: n for n in api.list("Node")}
            node = nodes.get(((pod or {}).get("spec") or {}).get("nodeName")) or next(iter(nodes.values()), None)
        out.append(normalize_environment(sts, pod, service, node))
    return out


def all_manifests(params, owner="alice"):
    return [clean(m) for m in EnvSpec(params).manifests(owner)]
