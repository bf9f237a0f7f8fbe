#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: notify
short_description: Send a webhook notification to Feishu, DingTalk, Slack or a generic JSON endpoint
version_added: 0.1.0
description:
  - Posts one message to a chat webhook, signed the way the service documents it when O(secret) is set.
  - V(feishu) (Feishu/Lark custom bot) adds C(timestamp) and C(sign) to the body;
    V(dingtalk) (custom robot) adds C(timestamp) and C(sign) to the URL query; V(slack) posts
    to an incoming webhook; V(generic) posts a JSON object and, with a secret, an
    C(X-Opsforge-Signature) header, V(sha256=<hex HMAC-SHA256>) over the body.
  - Throttling (HTTP 429, the services' "too fast" codes), HTTP 5xx and connection errors are
    retried with capped, jittered exponential backoff.
  - Used by M(opsforge.infra.gpu_reaper) for its warnings, which shares this code.
author:
  - opsforge.infra contributors (@opsforge)
attributes:
  check_mode:
    support: full
    description: In check mode nothing is sent; RV(notification.payload) shows what would be.
  diff_mode:
    support: none
    description: A message has no before and after; RV(notification.payload) shows what is sent.
  idempotent:
    support: none
    description: Every run sends a message.
options:
  kind:
    description: The webhook flavour.
    type: str
    required: true
    choices: [feishu, dingtalk, slack, generic]
  url:
    description:
      - The webhook URL. It carries the bot's access token, so it is never logged or returned.
    type: str
    required: true
  secret:
    description:
      - Signing secret of a Feishu or DingTalk bot with signature verification on, or the HMAC key
        of a generic endpoint. Not used by Slack.
    type: str
  title:
    description: First line of the message. O(title) or O(text) is required.
    type: str
  text:
    description: Body of the message.
    type: str
  level:
    description: Severity shown in the message.
    type: str
    choices: [info, warning, critical]
    default: info
  fields:
    description: Extra lines of the form C(key - value) (for V(generic), a C(fields) object).
    type: dict
  mentions:
    description: Mobile numbers to @-mention (DingTalk only).
    type: list
    elements: str
  retries:
    description: How many times to retry a throttled or failed send.
    type: int
    default: 3
  retry_delay:
    description: Base delay in seconds of the jittered backoff.
    type: float
    default: 1.0
  timeout:
    description: Timeout of one HTTP request in seconds.
    type: int
    default: 10
  validate_certs:
    description: Verify the webhook's TLS certificate.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Tell the team on Feishu
  opsforge.infra.notify:
    kind: feishu
    url: "{{ vault_feishu_webhook }}"
    secret: "{{ vault_feishu_secret }}"
    title: GPU budget at 90 %
    text: Workspace ml-research used 9 000 of 10 000 GPU-hours this month.
    level: warning

- name: DingTalk, mentioning the on-call
  opsforge.infra.notify:
    kind: dingtalk
    url: "{{ vault_dingtalk_webhook }}"
    secret: "{{ vault_dingtalk_secret }}"
    text: Node gpu-07 drained for maintenance
    mentions: ["13800000000"]

- name: Generic JSON endpoint with an HMAC signature header
  opsforge.infra.notify:
    kind: generic
    url: https://alerts.example.com/hooks/gpu
    secret: "{{ vault_alert_hmac }}"
    title: Invoice ready
    fields:
      workspace: ml-research
      month: "2026-10"
"""

RETURN = r"""
notification:
  description: What was sent (or would be in check mode). Never holds the URL or the secret.
  returned: always
  type: dict
  contains:
    kind:
      description: The webhook flavour.
      type: str
      sample: feishu
    sent:
      description: Whether the message was delivered (false in check mode).
      type: bool
      sample: true
    attempts:
      description: Number of HTTP attempts made (0 in check mode).
      type: int
      sample: 1
    status:
      description: HTTP status of the last answer.
      type: int
      sample: 200
    response:
      description: The service's parsed answer.
      type: dict
      sample: {code: 0, msg: success}
    payload:
      description: The JSON body, without the signature fields.
      type: dict
      sample: {msg_type: text, content: {text: "[WARNING] GPU budget at 90 %"}}
"""

from ansible_collections.opsforge.infra.plugins.module_utils._common.argspec import ArgumentSpec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._common.module import OpsforgeModule  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._notify import webhooks as notify  # noqa: E402


def argument_spec():
    return ArgumentSpec(dict(
        kind=dict(type="str", required=True, choices=list(notify.KINDS)),
        url=dict(type="str", required=True, no_log=True),
        secret=dict(type="str", no_log=True),
        title=dict(type="str"),
        text=dict(type="str"),
        level=dict(type="str", default="info", choices=list(notify.LEVELS)),
        fields=dict(type="dict"),
        mentions=dict(type="list", elements="str"),
        retries=dict(type="int", default=3),
        retry_delay=dict(type="float", default=1.0),
        timeout=dict(type="int", default=10),
        validate_certs=dict(type="bool", default=True),
    ), required_one_of=[("title", "text")])


def main():
    module = OpsforgeModule(spec=argument_spec())
    module.run(notify.send_notification, module.params, check_mode=module.check_mode)


if __name__ == "__main__":
    main()
