# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Function Compute 3.0 functions and their HTTP trigger (used by the ``fc_function`` module).

The code is uploaded only when the CRC-64 (ECMA-182, what FC reports as ``codeChecksum``)
of the local zip differs from the deployed one.
"""

from __future__ import annotations

import base64
import json

from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.common import FC_CLIENT, FC_MODELS, TEA_OPENAPI, openapi_config, run_flow
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.errors import AliyunError, call
from ansible_collections.opsforge.infra.plugins.module_utils._aliyun.resource import Action, AliyunResource

NOT_FOUND_FUNCTION = ("FunctionNotFound",)
NOT_FOUND_TRIGGER = ("TriggerNotFound",)
LIBRARIES = (FC_CLIENT, FC_MODELS, TEA_OPENAPI)
CONFIG_KEYS = ("runtime", "handler", "memory_size", "timeout", "role", "environment", "description", "internet_access")
_CRC64_TABLE = []


def fc_client(creds, account_id=None, endpoint=None):
    if not endpoint:
        if not account_id:
            raise AliyunError("account_id (or endpoint) is required: the FC 3.0 endpoint is <account_id>.<region>.fc.aliyuncs.com")
        endpoint = "%s.%s.fc.aliyuncs.com" % (account_id, creds.region)
    return FC_CLIENT.Client(openapi_config(creds, endpoint))


def _table():
    if not _CRC64_TABLE:
        poly = 0xC96C5795D7870F42  # ECMA-182, reflected
        for i in range(256):
            crc = i
            for _bit in range(8):
                crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
            _CRC64_TABLE.append(crc)
    return _CRC64_TABLE


def crc64(data):
    """CRC-64/XZ (ECMA-182) of bytes, as FC and OSS compute it. Uses crcmod when available."""
    try:
        import crcmod  # pylint: disable=import-outside-toplevel

        return crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)(data)
    except ImportError:
        table = _table()
        crc = 0xFFFFFFFFFFFFFFFF
        for byte in bytearray(data):
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        return crc ^ 0xFFFFFFFFFFFFFFFF


def read_code(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise AliyunError("cannot read code package %s: %s" % (path, exc))
    if data[:4] != b"PK\x03\x04":
        raise AliyunError("code package %s is not a zip file" % path)
    return data, str(crc64(data))


def normalize_function(model):
    data = model.to_map() if model is not None else {}
    return {
        "name": data.get("functionName"),
        "arn": data.get("functionArn"),
        "runtime": data.get("runtime"),
        "handler": data.get("handler"),
        "memory_size": data.get("memorySize"),
        "timeout": data.get("timeout"),
        "role": data.get("role") or None,
        "environment": dict(data.get("environmentVariables") or {}),
        "description": data.get("description") or "",
        "internet_access": data.get("internetAccess"),
        "code_checksum": data.get("codeChecksum"),
        "code_size": data.get("codeSize"),
        "state": data.get("state"),
        "last_modified_time": data.get("lastModifiedTime"),
    }


def normalize_trigger(model):
    if model is None:
        return None
    data = model.to_map()
    try:
        config = json.loads(data.get("triggerConfig") or "{}")
    except ValueError:
        config = {}
    http = data.get("httpTrigger") or {}
    return {
        "name": data.get("triggerName"),
        "type": data.get("triggerType"),
        "auth_type": config.get("authType"),
        "methods": sorted(config.get("methods") or []),
        "disable_url_internet": bool(config.get("disableURLInternet", False)),
        "url_internet": http.get("urlInternet"),
        "url_intranet": http.get("urlIntranet"),
    }


class FcFunction(AliyunResource):
    """One function and its HTTP trigger on the resource loop (see :func:`plan_function`)."""

    result_key = "function"

    def __init__(self, client, name, params=None, check_mode=False):
        super().__init__(client, params, check_mode)
        self.name = name
        self.trigger_spec = _wanted_trigger(self.params.get("http_trigger"))
        self.trigger_name = self.trigger_spec["name"] if self.trigger_spec else "http"
        self.plan_ = None

    def describe_function(self):
        m = FC_MODELS
        resp = call("get function %s" % self.name, self.client.get_function, self.name, m.GetFunctionRequest(), not_found=NOT_FOUND_FUNCTION)
        return normalize_function(resp.body) if resp is not None else None

    def describe(self):
        """The function with its ``http_trigger`` (the one named in the options, default ``http``)."""
        function = self.describe_function()
        if function is None:
            return None
        return dict(function, http_trigger=self.describe_trigger(self.trigger_name))

    def validate(self, current):
        if not self.absent:
            self.plan_ = plan_function(self.params, current, self.trigger_spec)

    def plan_create(self):
        return self.plan_update(None)

    def plan_update(self, current):
        plan = self.plan_
        actions = []
        if current is None:
            config = dict({k: None for k in CONFIG_KEYS}, **plan["wanted"])
            actions.append(Action("create", lambda: self.create(config, plan["code"])))
        elif plan["changes"] or plan["upload"]:
            actions.append(Action("update", lambda: self.update(plan["changes"], plan["code"] if plan["upload"] else None)))
        if plan["trigger_change"]:
            actions.append(Action("trigger", lambda: self.put_trigger((current or {}).get("http_trigger"), self.trigger_spec)))
        return actions

    def plan_delete(self, current):
        return [Action("delete", lambda: self.delete([self.trigger_name] if current.get("http_trigger") else []))]

    def predict(self, current):
        return {} if self.absent else self.plan_["predicted"]

    def extra_result(self, current, after):
        return {} if self.absent else {"code_updated": self.plan_["upload"]}

    def describe_trigger(self, trigger_name):
        resp = call("get trigger %s" % trigger_name, self.client.get_trigger, self.name, trigger_name, not_found=NOT_FOUND_TRIGGER + NOT_FOUND_FUNCTION)
        return normalize_trigger(resp.body) if resp is not None else None

    def create(self, config, code):
        m = FC_MODELS
        body = m.CreateFunctionInput(
            function_name=self.name, runtime=config["runtime"], handler=config["handler"], memory_size=config["memory_size"],
            timeout=config["timeout"], role=config["role"], environment_variables=config["environment"],
            description=config["description"], internet_access=config["internet_access"],
            code=m.InputCodeLocation(zip_file=base64.b64encode(code).decode("ascii")),
        )
        call("create function %s" % self.name, self.client.create_function, m.CreateFunctionRequest(body=body))

    def update(self, changes, code=None):
        m = FC_MODELS
        mapping = {"environment": "environment_variables"}
        kwargs = {mapping.get(k, k): v for k, v in changes.items()}
        if code is not None:
            kwargs["code"] = m.InputCodeLocation(zip_file=base64.b64encode(code).decode("ascii"))
        call("update function %s" % self.name, self.client.update_function, self.name, m.UpdateFunctionRequest(body=m.UpdateFunctionInput(**kwargs)))

    def put_trigger(self, current, wanted):
        m = FC_MODELS
        config = json.dumps({"authType": wanted["auth_type"], "methods": wanted["methods"], "disableURLInternet": wanted["disable_url_internet"]},
                            sort_keys=True)
        if current is None:
            body = m.CreateTriggerInput(trigger_name=wanted["name"], trigger_type="http", trigger_config=config, qualifier="LATEST")
            call("create trigger %s" % wanted["name"], self.client.create_trigger, self.name, m.CreateTriggerRequest(body=body))
        else:
            body = m.UpdateTriggerInput(trigger_config=config)
            call("update trigger %s" % wanted["name"], self.client.update_trigger, self.name, wanted["name"], m.UpdateTriggerRequest(body=body))

    def delete(self, trigger_names):
        for trigger in trigger_names:
            call("delete trigger %s" % trigger, self.client.delete_trigger, self.name, trigger, not_found=NOT_FOUND_TRIGGER)
        call("delete function %s" % self.name, self.client.delete_function, self.name, not_found=NOT_FOUND_FUNCTION)


def _wanted_trigger(spec):
    if spec is None:
        return None
    return {
        "name": spec["name"], "type": "http", "auth_type": spec["auth_type"], "methods": sorted(spec["methods"]),
        "disable_url_internet": spec["disable_url_internet"],
    }


def _same_trigger(current, wanted):
    keys = ("auth_type", "methods", "disable_url_internet")
    return current is not None and all(current[k] == wanted[k] for k in keys)


class FcFunctionManager(FcFunction):
    """What ``fc_function_info`` reads through: the function alone, then the trigger it names."""

    describe = FcFunction.describe_function


def plan_function(params, before, trigger_spec):
    """What reaching ``params`` takes from ``before``: the options to send (``wanted``, ``changes``),
    the code (``code``, ``upload``), ``trigger_change`` and the ``predicted`` function."""
    code, checksum = (None, None)
    if params["code"]:
        code, checksum = read_code(params["code"])
    elif before is None:
        raise AliyunError("code (a zip file) is required to create function %s" % params["name"])
    wanted = {k: params[k] for k in CONFIG_KEYS if params.get(k) is not None}
    if params.get("environment") is not None or params.get("secret_environment") is not None:
        env = dict(params.get("environment") or {})
        env.update(params.get("secret_environment") or {})
        wanted["environment"] = {str(k): str(v) for k, v in env.items()}
    predicted = dict(before or {"name": params["name"], "arn": None, "environment": {}, "description": "", "role": None, "http_trigger": None})
    if before is None:
        predicted.update(wanted)
        predicted["code_checksum"] = checksum
        changes, upload = wanted, True
    else:
        changes = {k: v for k, v in wanted.items() if before.get(k) != v}
        upload = checksum is not None and checksum != before.get("code_checksum")
        predicted.update(changes)
        if upload:
            predicted["code_checksum"] = checksum
    before_trigger = (before or {}).get("http_trigger")
    trigger_change = trigger_spec is not None and not _same_trigger(before_trigger, trigger_spec)
    if trigger_change:
        predicted["http_trigger"] = dict(before_trigger or {}, **trigger_spec)
    return {"wanted": wanted, "changes": changes, "code": code, "upload": upload, "trigger_change": trigger_change, "predicted": predicted}


def run(client, params, check_mode):
    """Converge one function; return the module result (changed, code_updated, diff, function)."""
    return FcFunction(client, params["name"], params, check_mode).run()


def describe_info(client, params, check_mode=False):
    """fc_function_info's result: the function and the trigger named ``trigger_name``; never a change."""
    manager = FcFunctionManager(client, params["name"])
    function = manager.describe()
    if function is not None:
        function["http_trigger"] = manager.describe_trigger(params["trigger_name"])
    return dict(changed=False, exists=function is not None, function=function or {})


def _connect(creds, params):
    return fc_client(creds, params["account_id"], params["endpoint"])


def run_fc_function(module):
    """fc_function's one call."""
    return run_flow(module, LIBRARIES, _connect, run)


def run_fc_function_info(module):
    """fc_function_info's one call."""
    return run_flow(module, LIBRARIES, _connect, describe_info)
