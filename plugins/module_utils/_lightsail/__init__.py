# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""The shared base of every Lightsail module (AWS Lightsail, boto3 ``lightsail`` client).

Import the pieces from their submodules (``...module_utils._lightsail.<sub>``):

``errors``
    ``LightsailError(OpsforgeError)`` -- the ONE error type of the family. ``.code`` is the AWS
    error code (``NotFoundException``, ``InvalidInputException``...) or one of ours
    (``OperationFailed``, ``Timeout``, ``Invalid``, ``ResourceFailed``, ``CheckMode``);
    ``.operation`` the API operation; ``.is_not_found``.
    ``translate(exc, operation)`` turns botocore ClientError/BotoCoreError/WaiterError into it
    (the client does this for you).

``client``
    ``LightsailClient(boto3_client, check_mode=False, retry=None, sleep=None, clock=None,
    poll_delay=5.0)``:

    - ``call(op_name, not_found_ok=False, **params)`` -- ``op_name`` as ``GetInstance`` or
      ``get_instance``; retries throttling (``retry`` decorator, modules get amazon.aws
      ``AWSRetry.jittered_backoff`` via ``default_retry()``: the ONE retry layer, botocore's own retries are
      off through ``client_config()``; ``RETRY_ATTEMPTS`` requests, at most ``RETRY_MAX_TOTAL_WAIT`` s), translates errors, returns ``None``
      for NotFound when ``not_found_ok``. In check mode any non-read call (not ``get_``/``is_``/
      ``list_``) raises ``LightsailError(code="CheckMode")`` -- a guard against bugs.
    - ``paginate(op_name, result_key, **params)`` -- all pages via pageToken/nextPageToken.
    - ``wait_operations(operations, timeout)`` -- GetOperation until Succeeded/Completed; a
      Failed one raises ``code="OperationFailed"`` with its type, resource, errorCode, errorDetails.
    - ``wait_for(describe_fn, ready_fn, timeout, what, failed_fn=None)`` -- poll a describe
      function; predicates: ``instance_ready`` (running + public IP), ``instance_in_state(name)``,
      ``disk_available``/``disk_failed``, ``snapshot_available``/``snapshot_failed``,
      ``load_balancer_active``/``load_balancer_failed``.
      Both wait through ``_common.waiting.poll_until`` (every ``poll_delay`` seconds, a last check
      at the deadline, never sleeping past it) and turn its timeout into ``code="Timeout"``.
    - ``calls`` -- list of boto3 method names called (debug/tests); ``region``.

``module``
    ``LightsailModule(ModuleBase, AnsibleAWSModule)`` -- ``LightsailModule(spec=ArgumentSpec(...))`` or plain
    AnsibleModule kwargs; check mode on by default. ``module.lightsail(region=None)`` -> cached
    ``LightsailClient`` built from the task's credentials (profile, keys, session token, region,
    endpoint_url; ``module_defaults: group/opsforge.infra.lightsail``).
    The collection's module base (``_common/module.py``): ``module.run(call)`` (the one call; its
    result is exited with, its LightsailError fails the task), ``module.fail_error(error)``,
    ``module.exit_result(result)`` (``result["warnings"]`` become ``module.warn()``), ``module.require(LIB)``.
    ``module.run_info(key, call, *args)`` -- the one call of an ``_info`` module: exits ``changed=False`` with
    the answer under ``key`` (``key=None``: the answer is the dict of result keys).

``tags``
    ``tags_to_dict(list)``, ``dict_to_tags(dict)``, ``tag_changes(current, desired, purge)``,
    ``predict_tags(...)``, ``ensure_tags(client, resource_name, current, desired, purge=True,
    resource_arn=None)`` -> operations (TagResource/UntagResource; nothing in check mode).

``resource``
    ``LightsailResource(client, params)`` -- the Lightsail subclass of ``_common.resource.Resource``
    (the collection's one resource loop): subclass with ``result_key``, ``describe()``,
    ``validate()``, ``plan_create()``, ``plan_update(current)``, ``plan_delete(current)``,
    ``predict(current)``, ``extra_result()``, and, for a resource that settles after a write,
    the predicates ``ready(raw)`` / ``failed(raw)`` with ``what()`` (awaited through
    ``client.wait_for`` when ``wait``; ``refresh(current)`` stays overridable); ``run()`` returns
    ``{changed, actions, diff: {before, after}, <result_key>: ...}``: one read when unchanged,
    no writes in check mode; ``self.warnings`` (list) come back as ``result["warnings"]``.
    ``Action(description, apply, then=None)``.
    ``normalize_resource(raw, drop=())`` (snake_case, tags dict, ISO dates), ``jsonable()``,
    ``operations_of(response)``.

``ports``
    Instance firewall rules: ``desired_ports()`` (module input -> PortInfo with explicit defaults: ``to_port`` is
    ``from_port`` for tcp/udp, 65535 for ``all``, -1 -- every code -- for icmp/icmpv6), ``current_ports()``, ``port_key()``.

``account`` / ``export`` / ``subdomain``
    VPC peering, profile and active names, cost estimates, automatic snapshot deletion; snapshot export to EC2
    and CloudFormation stacks with their records; subdomains (``mysite.amazonlightsail.com``).

``logs``
    ``read_log_events(client, operation, params, events_key, token_key, limit, endless_tokens=False)`` -- the
    one reader of paged log calls (``GetContainerLog``, ``GetRelationalDatabaseLogEvents``) ->
    ``[{created_at, message}]``; ``log_window(start_time, end_time)`` -> ``startTime``/``endTime``.

``common``
    Shared argument specs (``WAIT_SPEC``, ``TAGS_SPEC`` re-exported) and small helpers.

A module looks like::

    def main():
        module = LightsailModule(spec=argument_spec())
        module.run(lambda: Instance(module.lightsail(), module.params).run())

and an ``_info`` module::

    def main():
        module = LightsailModule(argument_spec=dict(names=dict(type="list", elements="str")))
        module.run_info("static_ips", lambda: static_ip_info(module.lightsail(), module.params["names"]))

Unit tests: ``tests/unit/plugins/modules/lightsail_utils.py`` (``Stubbed``/``run_module``).
"""
