# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail container services: capacity, public domains, deployments (the image push is in
:mod:`.container_images`, reading services and logs for the info module in :mod:`.container_info`)."""

from __future__ import annotations

import copy

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.container_images import DockerImages
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.errors import LightsailError
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import Action
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import LightsailResource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import jsonable
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import dict_to_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import ensure_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import predict_tags
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.tags import tag_changes

SERVICE_READY = ("READY", "RUNNING")
SERVICE_FAILED_CODES = ("CERTIFICATE_LIMIT_EXCEEDED", "UNKNOWN_ERROR")
HEALTH_KEYS = {"healthy_threshold": "healthyThreshold", "unhealthy_threshold": "unhealthyThreshold",
               "timeout_seconds": "timeoutSeconds", "interval_seconds": "intervalSeconds", "path": "path",
               "success_codes": "successCodes"}
LOG_LINES_ON_FAILURE = 20


def describe_service(client, name):
    response = client.call("GetContainerServices", not_found_ok=True, serviceName=name)
    items = (response or {}).get("containerServices") or []
    return items[0] if items else None


def normalize_service(raw):
    if raw is None:
        return {}
    raw = copy.deepcopy(raw)
    # container names and environment variable names are user data: keep them as they are
    keep = {}
    for key in ("currentDeployment", "nextDeployment"):
        if raw.get(key):
            keep[key] = (raw[key].pop("containers", None) or {})
    public = raw.pop("publicDomainNames", None)
    result = normalize_resource(raw)
    for key, containers in keep.items():
        result["current_deployment" if key == "currentDeployment" else "next_deployment"]["containers"] = jsonable(containers)
    result["public_domain_names"] = public or {}
    return result


def container_specs(deployment):
    """``deployment.containers`` (a list of dicts with ``name``, or a name -> spec dict) as a name -> spec dict."""
    containers = (deployment or {}).get("containers") or {}
    if isinstance(containers, list):
        return {spec["name"]: spec for spec in containers}
    return dict(containers)


def api_containers(deployment):
    """Module ``deployment`` -> API ``containers`` map (empty values left out)."""
    out = {}
    for name, spec in container_specs(deployment).items():
        item = {"image": spec["image"]}
        if spec.get("command"):
            item["command"] = list(spec["command"])
        if spec.get("environment"):
            item["environment"] = {str(k): str(v) for k, v in spec["environment"].items()}
        if spec.get("ports"):
            item["ports"] = {str(k): str(v).upper() for k, v in spec["ports"].items()}
        out[name] = item
    return out


def api_endpoint(endpoint):
    if not endpoint:
        return None
    out = {"containerName": endpoint["container_name"], "containerPort": endpoint["container_port"]}
    health = {HEALTH_KEYS[k]: v for k, v in (endpoint.get("health_check") or {}).items() if v is not None}
    if health:
        out["healthCheck"] = health
    return out


def _canonical_containers(containers):
    return {name: {"image": c.get("image"), "command": list(c.get("command") or []), "environment": dict(c.get("environment") or {}),
                   "ports": dict(c.get("ports") or {})} for name, c in (containers or {}).items()}


def deployment_matches(deployment, containers, endpoint):
    """Whether an API deployment already runs ``containers`` (API map) behind ``endpoint`` (API dict or None)."""
    if not deployment:
        return False
    if _canonical_containers(deployment.get("containers")) != _canonical_containers(containers):
        return False
    have = deployment.get("publicEndpoint") or {}
    if endpoint is None:
        return not have.get("containerName")
    if have.get("containerName") != endpoint["containerName"] or have.get("containerPort") != endpoint["containerPort"]:
        return False
    have_health = have.get("healthCheck") or {}
    return all(have_health.get(k) == v for k, v in (endpoint.get("healthCheck") or {}).items())


class ContainerService(LightsailResource):
    result_key = "container_service"

    def __init__(self, client, params, docker=None):
        super().__init__(client, params)
        self.name = params["name"]
        self.docker = docker or DockerImages(params.get("docker_host"))
        self.registered = {}  # label -> image name registered by this run
        self.deployment = None  # final deployment dict (API) of this run
        self._images = None
        self._pushes = None

    def describe(self):
        return describe_service(self.client, self.name)

    def normalize(self, raw):
        return normalize_service(raw)

    # -- images -----------------------------------------------------------------------------
    def registered_images(self):
        if self._images is None:
            self._images = self.client.call("GetContainerImages", serviceName=self.name).get("containerImages") or []
        return self._images

    def _label_images(self, label):
        prefix = ":%s.%s." % (self.name, label)
        found = [i for i in self.registered_images() if (i.get("image") or "").startswith(prefix)]
        return sorted(found, key=lambda i: int(i["image"].rsplit(".", 1)[1]) if i["image"].rsplit(".", 1)[1].isdigit() else -1)

    def pushes(self, current):
        """Images (``{"image", "label"}``) whose newest registered version differs from the local image."""
        if self._pushes is None:
            todo = []
            for spec in self.params.get("images") or []:
                if current is None:
                    todo.append(spec)
                    continue
                versions = self._label_images(spec["label"])
                if not versions or versions[-1].get("digest") not in self.docker.repo_digests(spec["image"]):
                    todo.append(spec)
            self._pushes = todo
        return self._pushes

    def _push_action(self, spec):
        def push():
            login = self.client.call("CreateContainerServiceRegistryLogin")["registryLogin"]
            digest = self.docker.push(spec["image"], login["registry"], login["username"], login["password"])
            response = self.client.call("RegisterContainerImage", serviceName=self.name, label=spec["label"], digest=digest)
            self.registered[spec["label"]] = response["containerImage"]["image"]
            return []
        return Action("push %s to container service %s as label %s" % (spec["image"], self.name, spec["label"]), push)

    def _resolve(self, image):
        """``:service.label.latest`` -> the newest registered ``:service.label.N`` (pushed by this run or before)."""
        prefix = ":%s." % self.name
        if not (image.startswith(prefix) and image.endswith(".latest")):
            return image
        label = image[len(prefix):-len(".latest")]
        if label in self.registered:
            return self.registered[label]
        versions = self._label_images(label)
        if not versions:
            raise invalid("image %s: no image with label %s is registered in container service %s" % (image, label, self.name))
        return versions[-1]["image"]

    def desired_containers(self):
        containers = api_containers(self.params.get("deployment"))
        for container in containers.values():
            container["image"] = self._resolve(container["image"])
        return containers

    def _pending_labels(self, current):
        return {spec["label"] for spec in self.pushes(current)}

    def _uses_pending_push(self, current):
        pending = self._pending_labels(current)
        prefix = ":%s." % self.name
        for spec in container_specs(self.params.get("deployment")).values():
            image = spec["image"]
            if image.startswith(prefix) and image.endswith(".latest") and image[len(prefix):-len(".latest")] in pending:
                return True
        return False

    def deployment_needed(self, current):
        deployment = self.params.get("deployment")
        if not deployment:
            return False
        if current is None or self._uses_pending_push(current):
            return True
        target = current.get("nextDeployment") or current.get("currentDeployment")
        if target and target.get("state") == "FAILED":
            target = current.get("currentDeployment")
        return not deployment_matches(target, self.desired_containers(), api_endpoint(deployment.get("public_endpoint")))

    # -- validation and plan --------------------------------------------------------------------
    def validate(self, current):
        p = self.params
        if self.state == "absent":
            return
        if current is None and (not p.get("power") or not p.get("scale")):
            raise invalid("container service %s does not exist: power and scale are required to create it" % self.name)
        deployment = p.get("deployment") or {}
        containers = container_specs(deployment)
        if deployment and not containers:
            raise invalid("deployment.containers must name at least one container")
        endpoint = deployment.get("public_endpoint")
        if endpoint:
            target = containers.get(endpoint["container_name"])
            if target is None:
                raise invalid("deployment.public_endpoint.container_name %r is not one of the containers (%s)"
                              % (endpoint["container_name"], ", ".join(sorted(containers))))
            if str(endpoint["container_port"]) not in {str(k) for k in (target.get("ports") or {})}:
                raise invalid("deployment.public_endpoint.container_port %s is not a port of container %s"
                              % (endpoint["container_port"], endpoint["container_name"]))
        for spec in p.get("images") or []:
            self.docker.repo_digests(spec["image"])  # the local image must exist before anything is created
        labels = {spec["label"] for spec in p.get("images") or []}
        prefix = ":%s." % self.name
        for name, spec in containers.items():
            image = spec["image"]
            if image.startswith(prefix) and image.endswith(".latest") and current is None \
                    and image[len(prefix):-len(".latest")] not in labels:
                raise invalid("container %s uses %s but the service does not exist yet and no image with that label is pushed" % (name, image))

    def _wait_ready(self):
        return self.client.wait_for(self.describe, lambda s: s.get("state") in SERVICE_READY, timeout=self.wait_timeout,
                                    what="container service %s to be ready" % self.name, failed_fn=_service_failed)

    def plan_create(self):
        p = self.params
        params = dict(serviceName=self.name, power=p["power"], scale=p["scale"])
        if p.get("public_domain_names"):
            params["publicDomainNames"] = {k: list(v) for k, v in p["public_domain_names"].items()}
        if p.get("tags"):
            params["tags"] = dict_to_tags(p["tags"])
        actions = [Action("create container service %s (%s x%d)" % (self.name, p["power"], p["scale"]),
                          lambda: self.client.call("CreateContainerService", **params),
                          then=self._wait_ready if (p.get("images") or p.get("deployment") or self.wait) else None)]
        actions.extend(self._push_action(spec) for spec in p.get("images") or [])
        if p.get("deployment"):
            actions.append(self._deploy_action())
        if p.get("is_disabled"):
            actions.append(Action("disable container service %s" % self.name,
                                  lambda: self.client.call("UpdateContainerService", serviceName=self.name, isDisabled=True)))
        return actions

    def update_params(self, current):
        p = self.params
        update = {}
        for option, key in (("power", "power"), ("scale", "scale"), ("is_disabled", "isDisabled")):
            if p.get(option) is not None and p[option] != current.get(key):
                update[key] = p[option]
        if p.get("public_domain_names") is not None:
            want = {k: sorted(v) for k, v in p["public_domain_names"].items()}
            have = {k: sorted(v) for k, v in (current.get("publicDomainNames") or {}).items()}
            if want != have:
                update["publicDomainNames"] = want
        return update

    def plan_update(self, current):
        actions = []
        update = self.update_params(current)
        if update:
            actions.append(Action("update container service %s (%s)" % (self.name, ", ".join(sorted(update))),
                                  lambda: self.client.call("UpdateContainerService", serviceName=self.name, **update),
                                  then=self._wait_ready))
        current_tags = normalize_resource({"tags": current.get("tags") or []})["tags"]
        to_set, to_remove = tag_changes(current_tags, self.params.get("tags"), self.params.get("purge_tags", True))
        if to_set or to_remove:
            actions.append(Action("update tags of container service %s" % self.name,
                                  lambda: ensure_tags(self.client, self.name, current_tags, self.params.get("tags"),
                                                      self.params.get("purge_tags", True))))
        actions.extend(self._push_action(spec) for spec in self.pushes(current))
        if self.deployment_needed(current):
            actions.append(self._deploy_action())
        elif self.params.get("deployment") and self.wait and (current.get("nextDeployment") or {}).get("state") == "ACTIVATING":
            self._await_version = current["nextDeployment"]["version"]
        for image in self.params.get("delete_images") or []:
            if any(i.get("image") == image for i in self.registered_images()):
                actions.append(Action("delete image %s of container service %s" % (image, self.name), self._delete_image(image)))
        return actions

    def _delete_image(self, image):
        return lambda: self.client.call("DeleteContainerImage", serviceName=self.name, image=image)

    def _deploy_action(self):
        def deploy():
            deployment = self.params["deployment"]
            params = dict(serviceName=self.name, containers=self.desired_containers())
            endpoint = api_endpoint(deployment.get("public_endpoint"))
            if endpoint:
                params["publicEndpoint"] = endpoint
            response = self.client.call("CreateContainerServiceDeployment", **params)
            version = ((response.get("containerService") or {}).get("nextDeployment") or {}).get("version")
            if self.wait:
                self.wait_deployment(version)
            return []
        return Action("deploy %s to container service %s" % (", ".join(sorted(container_specs(self.params["deployment"]))), self.name),
                      deploy)

    def wait_deployment(self, version):
        """Wait until deployment ``version`` is ACTIVE; FAILED raises with the service state and recent container logs."""
        def describe():
            deployments = self.client.call("GetContainerServiceDeployments", serviceName=self.name).get("deployments") or []
            if version is None:
                return deployments[0] if deployments else None
            return next((d for d in deployments if d.get("version") == version), None)

        try:
            self.deployment = self.client.wait_for(
                describe, lambda d: d.get("state") == "ACTIVE", timeout=self.wait_timeout,
                what="deployment %s of container service %s" % (version, self.name),
                failed_fn=lambda d: "deployment is FAILED" if d.get("state") == "FAILED" else None)
        except LightsailError as error:
            if error.code != "ResourceFailed":
                raise
            raise self._deployment_failure(version, error)

    def _deployment_failure(self, version, error):
        service = self.describe() or {}
        detail = service.get("stateDetail") or {}
        reason = detail.get("message") or detail.get("code") or "no reason given by Lightsail"
        logs = {}
        for name in sorted(container_specs(self.params.get("deployment"))):
            try:
                events = self.client.call("GetContainerLog", serviceName=self.name, containerName=name).get("logEvents") or []
            except LightsailError:
                continue
            logs[name] = [e.get("message") for e in events[-LOG_LINES_ON_FAILURE:]]
        tail = "; ".join("%s: %s" % (name, lines[-1]) for name, lines in logs.items() if lines)
        msg = "deployment %s of container service %s FAILED: %s" % (version, self.name, reason)
        if tail:
            msg += " (last log lines: %s)" % tail
        return LightsailError(msg, code="DeploymentFailed", operation="CreateContainerServiceDeployment",
                              details={"deployment_version": version, "state_detail": normalize_resource(detail), "container_logs": logs},
                              cause=error.cause)

    def plan_delete(self, current):
        return [Action("delete container service %s" % self.name, lambda: self.client.call("DeleteContainerService", serviceName=self.name))]

    def refresh(self, current):
        if self.state == "absent":
            return None
        if getattr(self, "_await_version", None) is not None:
            self.wait_deployment(self._await_version)
        return self._wait_ready() if self.wait else self.describe()

    def run(self):
        result = super().run()
        if not result["changed"] and getattr(self, "_await_version", None) is not None and not self.check_mode:
            self.wait_deployment(self._await_version)
        return result

    def predict(self, current):
        if self.state == "absent":
            return {}
        p = self.params
        raw = copy.deepcopy(current) if current is not None else {"containerServiceName": self.name, "state": "PENDING", "tags": []}
        if current is None:
            raw.update(power=p["power"], scale=p["scale"], isDisabled=bool(p.get("is_disabled")),
                       publicDomainNames={k: list(v) for k, v in (p.get("public_domain_names") or {}).items()})
        else:
            raw.update(self.update_params(current))
        if p.get("deployment") and (current is None or self.deployment_needed(current)):
            containers = api_containers(p["deployment"])
            raw["nextDeployment"] = {"state": "ACTIVATING", "containers": containers}
            endpoint = api_endpoint(p["deployment"].get("public_endpoint"))
            if endpoint:
                raw["nextDeployment"]["publicEndpoint"] = endpoint
        after = self.normalize(raw)
        after["tags"] = predict_tags(after.get("tags") or {}, p.get("tags"), p.get("purge_tags", True)) if current else dict(p.get("tags") or {})
        return after

    def extra_result(self, current, after):
        result = {}
        if self.registered:
            result["pushed_images"] = dict(self.registered)
        if self.deployment:
            result["deployment"] = normalize_service({"currentDeployment": self.deployment})["current_deployment"]
        return result


def _service_failed(service):
    code = (service.get("stateDetail") or {}).get("code")
    if code in SERVICE_FAILED_CODES:
        return "%s: %s" % (code, (service.get("stateDetail") or {}).get("message") or "")
    return None
