# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny stand-in for the Lightsail API (JSON protocol) on 127.0.0.1, for the local integration target.

It keeps instances and static IPs in memory, answers the operations the instance and static IP
modules, the key pair module and the inventory plugin use, and counts calls: ``GET /_calls`` returns
``{"GetInstance": 3, ...}``, ``POST /_reset_calls`` clears them, ``POST /_shutdown`` stops it.
Usage: ``python fake_lightsail.py PORT``.
"""

from __future__ import annotations

import collections
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"instances": {}, "static_ips": {}, "key_pairs": {}, "calls": collections.Counter(), "next_ip": 10}
LOCK = threading.Lock()


class NotFound(Exception):
    pass


def _op(op_type, name, resource_type="Instance"):
    return {"id": "op-%s-%s" % (op_type, name), "status": "Succeeded", "operationType": op_type, "resourceName": name,
            "resourceType": resource_type, "isTerminal": True, "createdAt": time.time()}


def _instance(name):
    if name not in STATE["instances"]:
        raise NotFound("The Instance does not exist: %s" % name)
    return STATE["instances"][name]


def _static_ip(name):
    if name not in STATE["static_ips"]:
        raise NotFound("The StaticIp does not exist: %s" % name)
    return STATE["static_ips"][name]


def create_instances(req):
    ops = []
    for name in req["instanceNames"]:
        STATE["next_ip"] += 1
        ip_type = req.get("ipAddressType", "dualstack")
        default_ports = [{"fromPort": p, "toPort": p, "protocol": "tcp", "cidrs": ["0.0.0.0/0"],
                          "ipv6Cidrs": [] if ip_type == "ipv4" else ["::/0"], "accessDirection": "inbound"} for p in (22, 80)]
        STATE["instances"][name] = {
            "name": name, "arn": "arn:aws:lightsail:us-east-1:123456789012:Instance/%s" % name, "createdAt": time.time(),
            "location": {"availabilityZone": req["availabilityZone"], "regionName": "us-east-1"}, "resourceType": "Instance",
            "blueprintId": req["blueprintId"], "bundleId": req["bundleId"], "ipAddressType": ip_type,
            "sshKeyName": req.get("keyPairName", "LightsailDefaultKeyPair"), "username": "admin",
            "publicIpAddress": "192.0.2.%d" % STATE["next_ip"], "privateIpAddress": "172.26.0.%d" % STATE["next_ip"],
            "isStaticIp": False, "state": {"code": 16, "name": "running"}, "tags": req.get("tags", []), "addOns": [],
            "metadataOptions": {"state": "applied", "httpTokens": "optional", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 1},
            "networking": {"ports": default_ports},
        }
        ops.append(_op("CreateInstance", name))
    return {"operations": ops}


def put_ports(req):
    _instance(req["instanceName"])["networking"]["ports"] = [dict(p, accessDirection="inbound") for p in req["portInfos"]]
    return {"operation": _op("PutInstancePublicPorts", req["instanceName"])}


def metadata(req):
    options = _instance(req["instanceName"])["metadataOptions"]
    options.update({k: v for k, v in req.items() if k != "instanceName"})
    return {"operation": _op("UpdateInstanceMetadataOptions", req["instanceName"])}


def tag(req):
    inst = _instance(req["resourceName"])
    tags = {t["key"]: t.get("value", "") for t in inst["tags"]}
    tags.update({t["key"]: t.get("value", "") for t in req["tags"]})
    inst["tags"] = [{"key": k, "value": v} for k, v in sorted(tags.items())]
    return {"operations": [_op("TagResource", req["resourceName"])]}


def untag(req):
    inst = _instance(req["resourceName"])
    inst["tags"] = [t for t in inst["tags"] if t["key"] not in req["tagKeys"]]
    return {"operations": [_op("UntagResource", req["resourceName"])]}


def power(state_name, op_type):
    def handler(req):
        _instance(req["instanceName"])["state"] = {"code": 16 if state_name == "running" else 80, "name": state_name}
        return {"operations": [_op(op_type, req["instanceName"])]}
    return handler


def delete_instance(req):
    _instance(req["instanceName"])
    del STATE["instances"][req["instanceName"]]
    for ip in STATE["static_ips"].values():
        if ip.get("attachedTo") == req["instanceName"]:
            ip.update(isAttached=False)
            ip.pop("attachedTo", None)
    return {"operations": [_op("DeleteInstance", req["instanceName"])]}


def allocate(req):
    STATE["static_ips"][req["staticIpName"]] = {
        "name": req["staticIpName"], "arn": "arn:aws:lightsail:us-east-1:123456789012:StaticIp/%s" % req["staticIpName"],
        "ipAddress": "198.51.100.%d" % (len(STATE["static_ips"]) + 1), "isAttached": False, "createdAt": time.time(),
        "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "resourceType": "StaticIp"}
    return {"operations": [_op("AllocateStaticIp", req["staticIpName"], "StaticIp")]}


def attach(req):
    ip = _static_ip(req["staticIpName"])
    inst = _instance(req["instanceName"])
    ip.update(isAttached=True, attachedTo=req["instanceName"])
    inst.update(publicIpAddress=ip["ipAddress"], isStaticIp=True)
    return {"operations": [_op("AttachStaticIp", req["staticIpName"], "StaticIp")]}


def detach(req):
    ip = _static_ip(req["staticIpName"])
    if ip.get("attachedTo") in STATE["instances"]:
        STATE["instances"][ip["attachedTo"]]["isStaticIp"] = False
    ip.update(isAttached=False)
    ip.pop("attachedTo", None)
    return {"operations": [_op("DetachStaticIp", req["staticIpName"], "StaticIp")]}


def release(req):
    _static_ip(req["staticIpName"])
    del STATE["static_ips"][req["staticIpName"]]
    return {"operations": [_op("ReleaseStaticIp", req["staticIpName"], "StaticIp")]}


def _key_pair(name):
    if name not in STATE["key_pairs"]:
        raise NotFound("The KeyPair does not exist: %s" % name)
    return STATE["key_pairs"][name]


def create_key_pair(req):
    name = req["keyPairName"]
    STATE["key_pairs"][name] = {"name": name, "arn": "arn:aws:lightsail:us-east-1:123456789012:KeyPair/%s" % name,
                                "createdAt": time.time(), "fingerprint": "00:11:22:33", "tags": req.get("tags", []),
                                "location": {"availabilityZone": "all", "regionName": "us-east-1"}, "resourceType": "KeyPair"}
    return {"keyPair": STATE["key_pairs"][name], "publicKeyBase64": "ssh-rsa AAAAfake %s" % name,
            "privateKeyBase64": "-----BEGIN RSA PRIVATE KEY-----\nfake-%s\n-----END RSA PRIVATE KEY-----\n" % name,
            "operation": _op("CreateKeyPair", name, "KeyPair")}


def delete_key_pair(req):
    _key_pair(req["keyPairName"])
    del STATE["key_pairs"][req["keyPairName"]]
    return {"operation": _op("DeleteKeyPair", req["keyPairName"], "KeyPair")}


HANDLERS = {
    "GetKeyPair": lambda req: {"keyPair": _key_pair(req["keyPairName"])},
    "CreateKeyPair": create_key_pair,
    "DeleteKeyPair": delete_key_pair,
    "GetInstance": lambda req: {"instance": _instance(req["instanceName"])},
    "GetInstances": lambda req: {"instances": [STATE["instances"][n] for n in sorted(STATE["instances"])]},
    "GetInstanceState": lambda req: {"state": _instance(req["instanceName"])["state"]},
    "CreateInstances": create_instances,
    "PutInstancePublicPorts": put_ports,
    "UpdateInstanceMetadataOptions": metadata,
    "TagResource": tag,
    "UntagResource": untag,
    "StartInstance": power("running", "StartInstance"),
    "StopInstance": power("stopped", "StopInstance"),
    "DeleteInstance": delete_instance,
    "GetStaticIp": lambda req: {"staticIp": _static_ip(req["staticIpName"])},
    "AllocateStaticIp": allocate,
    "AttachStaticIp": attach,
    "DetachStaticIp": detach,
    "ReleaseStaticIp": release,
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, body, content_type="application/x-amz-json-1.1"):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_calls":
            with LOCK:
                self._send(200, dict(STATE["calls"]), content_type="application/json")
        else:
            self._send(404, {})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        if self.path == "/_reset_calls":
            with LOCK:
                STATE["calls"].clear()
            return self._send(200, {})
        if self.path == "/_shutdown":
            self._send(200, {})
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return None
        operation = (self.headers.get("X-Amz-Target") or "").split(".")[-1]
        with LOCK:
            STATE["calls"][operation] += 1
            handler = HANDLERS.get(operation)
            if handler is None:
                return self._send(400, {"__type": "InvalidInputException", "message": "fake: %s not implemented" % operation})
            try:
                return self._send(200, handler(json.loads(raw or b"{}")))
            except NotFound as exc:
                return self._send(400, {"__type": "NotFoundException", "message": str(exc)})


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
