# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Reading container services for ``lightsail_container_service_info``: services with their
deployments, images, powers and container logs."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.container import describe_service
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.container import normalize_service
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.logs import log_window
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.logs import read_log_events
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.resource import normalize_resource


def container_log(client, service, container, start_time=None, end_time=None, filter_pattern=None, max_events=1000, now=None):
    """At most ``max_events`` log events of one container of ``service`` (GetContainerLog, page after page)."""
    params = dict(serviceName=service, containerName=container, **log_window(start_time, end_time, now))
    if filter_pattern:
        params["filterPattern"] = filter_pattern
    return read_log_events(client, "GetContainerLog", params, "logEvents", "nextPageToken", max_events)


def container_service_info(client, name=None, deployments=False, images=False, logs=None, powers=False):
    if name:
        item = describe_service(client, name)
        raw = [item] if item else []
    else:
        raw = client.call("GetContainerServices").get("containerServices") or []
    services = []
    for item in raw:
        service = normalize_service(item)
        svc = item["containerServiceName"]
        if deployments:
            listing = client.call("GetContainerServiceDeployments", serviceName=svc).get("deployments") or []
            service["deployments"] = [normalize_service({"currentDeployment": d})["current_deployment"] for d in listing]
        if images:
            service["images"] = normalize_resource({"i": client.call("GetContainerImages", serviceName=svc).get("containerImages") or []})["i"]
        if logs:
            service["container_logs"] = container_log(client, svc, logs["container_name"], logs.get("start_time"), logs.get("end_time"),
                                                      logs.get("filter_pattern"), logs.get("max_events") or 1000)
        services.append(service)
    result = {"container_services": services}
    if powers:
        result["powers"] = normalize_resource({"p": client.call("GetContainerServicePowers").get("powers") or []})["p"]
        result["api_metadata"] = client.call("GetContainerAPIMetadata").get("metadata") or []
    return result
