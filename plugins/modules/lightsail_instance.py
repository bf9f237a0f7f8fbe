#!/usr/bin/python
# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lightsail_instance
short_description: Manage AWS Lightsail instances, their firewall, add-ons and power state
version_added: 0.1.0
description:
  - Create, update, start, stop, reboot and delete Lightsail instances.
  - Manages the public ports (firewall rules), metadata options (IMDSv2), add-ons (automatic snapshots,
    stop on idle), the IP address type and tags of an existing instance in place.
  - Fields that Lightsail cannot change in place (O(zone), O(blueprint_id), O(bundle_id), O(key_pair_name))
    make the module fail with a clear message when they differ from the existing instance; to change them,
    create a new instance from a snapshot and move the static IP.
author:
  - opsforge.infra contributors (@opsforge)
extends_documentation_fragment:
  - opsforge.infra.lightsail
  - opsforge.infra.lightsail.attributes
  - opsforge.infra.lightsail.wait
  - opsforge.infra.lightsail.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
options:
  name:
    description: Name of the instance.
    type: str
    required: true
  state:
    description:
      - V(present) creates the instance if needed and leaves its power state alone.
      - V(running) and V(stopped) also start or stop it; V(restarted) reboots a running instance
        (always a change) or starts a stopped one.
      - V(absent) deletes it; an instance that is still V(pending) or V(stopping) is first waited for (up to
        O(wait_timeout)), whatever O(wait) says, since Lightsail cannot delete it mid-transition.
    type: str
    default: present
    choices: [present, absent, running, stopped, restarted]
  zone:
    description: Availability zone, for example V(us-east-1a). Required to create.
    type: str
    aliases: [availability_zone]
  blueprint_id:
    description: Image (OS or app) to create from, for example V(debian_12). Required to create unless created from a snapshot.
    type: str
  bundle_id:
    description: Size (bundle), for example V(nano_3_0). Required to create.
    type: str
  key_pair_name:
    description: Lightsail key pair for SSH. The region's default key pair is used when omitted.
    type: str
  user_data:
    description: Launch script run on first boot. Only used at creation (Lightsail does not return it).
    type: str
  ip_address_type:
    description: IP address type. Changed in place on an existing instance. Lightsail's default is V(dualstack).
    type: str
    choices: [dualstack, ipv4, ipv6]
  instance_snapshot_name:
    description: Create the instance from this manual instance snapshot.
    type: str
  source_instance_name:
    description: Create the instance from an automatic snapshot of this instance (with O(restore_date) or O(use_latest_restorable_auto_snapshot)).
    type: str
  restore_date:
    description: Date (V(YYYY-MM-DD)) of the automatic snapshot of O(source_instance_name) to restore.
    type: str
  use_latest_restorable_auto_snapshot:
    description: Restore the latest automatic snapshot of O(source_instance_name).
    type: bool
  add_ons:
    description:
      - Add-ons that should be enabled. Add-ons not listed are disabled. Omit to leave add-ons alone.
    type: list
    elements: dict
    suboptions:
      type:
        description: Add-on type.
        type: str
        required: true
        choices: [auto_snapshot, stop_instance_on_idle]
      snapshot_time_of_day:
        description: For V(auto_snapshot), the hour (UTC, V(HH:00)) of the daily snapshot.
        type: str
      threshold:
        description: For V(stop_instance_on_idle), the CPU threshold in percent.
        type: str
      duration:
        description: For V(stop_instance_on_idle), the idle time in minutes.
        type: str
  public_ports:
    description:
      - Inbound firewall rules. Omit to leave the firewall alone.
      - A rule without O(public_ports[].cidrs), O(public_ports[].ipv6_cidrs) and O(public_ports[].cidr_list_aliases)
        is open to everybody (V(0.0.0.0/0) unless the instance is IPv6-only, plus V(::/0) unless it is IPv4-only).
    type: list
    elements: dict
    suboptions:
      from_port:
        description: First port, or for V(icmp)/V(icmpv6) the ICMP type (V(-1) for all).
        type: int
        required: true
      to_port:
        description:
          - Last port (default O(public_ports[].from_port), or V(65535) for protocol V(all)), or for V(icmp)/V(icmpv6) the ICMP code.
          - For V(icmp)/V(icmpv6) the default is V(-1), every code, as in Lightsail's own ping rule (type V(8), code V(-1)).
        type: int
      protocol:
        description: Protocol.
        type: str
        default: tcp
        choices: [tcp, udp, all, icmp, icmpv6]
      cidrs:
        description: IPv4 ranges allowed.
        type: list
        elements: str
      ipv6_cidrs:
        description: IPv6 ranges allowed.
        type: list
        elements: str
      cidr_list_aliases:
        description: Lightsail CIDR list aliases allowed (V(lightsail-connect) lets the browser SSH client in).
        type: list
        elements: str
      state:
        description:
          - V(absent) closes this exact rule when O(purge_public_ports=false) (C(CloseInstancePublicPorts));
            with O(purge_public_ports=true) an V(absent) rule is simply not part of the firewall.
        type: str
        default: present
        choices: [present, absent]
  purge_public_ports:
    description:
      - With V(true), the firewall is made exactly O(public_ports) (one C(PutInstancePublicPorts) call).
      - With V(false), missing rules are opened, rules with O(public_ports[].state=absent) are closed, others are kept.
    type: bool
    default: true
  metadata_options:
    description: Instance metadata service options. Only the given fields are changed.
    type: dict
    suboptions:
      http_tokens:
        description: V(required) enforces IMDSv2.
        type: str
        choices: [optional, required]
      http_endpoint:
        description: Whether the metadata endpoint answers.
        type: str
        choices: [enabled, disabled]
      http_put_response_hop_limit:
        description: Hop limit of metadata PUT responses (1-64).
        type: int
      http_protocol_ipv6:
        description: Whether the metadata endpoint answers on IPv6.
        type: str
        choices: [enabled, disabled]
  https_setup:
    description:
      - Have Lightsail obtain a Let's Encrypt certificate and install it on the instance (C(SetupInstanceHttps);
        supported on some blueprints, such as WordPress). The names must already resolve to the instance.
      - Idempotent through C(GetSetupHistory), one more read when this option is set. Nothing is done when the
        newest setup for the same names succeeded or is still running; a failed one is retried.
    type: dict
    suboptions:
      domain_names:
        description: Names the certificate is for.
        type: list
        elements: str
        required: true
      email_address:
        description: Contact for the certificate authority.
        type: str
        required: true
      certificate_provider:
        description: Certificate authority.
        type: str
        default: LetsEncrypt
        choices: [LetsEncrypt]
  access_details:
    description:
      - Also return temporary access details (user name, address, private key or password) in RV(access_details).
      - This is one more API call. The result contains secrets; use C(no_log) on the task.
    type: bool
    default: false
  access_protocol:
    description: Protocol of the access details.
    type: str
    default: ssh
    choices: [ssh, rdp]
seealso:
  - module: opsforge.infra.lightsail_instance_info
  - module: opsforge.infra.lightsail_static_ip
  - module: opsforge.infra.lightsail_key_pair
"""

EXAMPLES = r"""
- name: A Debian web server with HTTPS open, SSH only from the office, IMDSv2 and daily snapshots
  opsforge.infra.lightsail_instance:
    name: web-1
    region: eu-west-1
    zone: eu-west-1a
    blueprint_id: debian_12
    bundle_id: small_3_0
    key_pair_name: deploy
    user_data: |
      #!/bin/sh
      apt-get update && apt-get install -y nginx
    public_ports:
      - from_port: 443
      - from_port: 80
      - from_port: 22
        cidrs: [198.51.100.0/24]
        cidr_list_aliases: [lightsail-connect]
      - from_port: 8
        to_port: -1
        protocol: icmp
    metadata_options:
      http_tokens: required
    add_ons:
      - type: auto_snapshot
        snapshot_time_of_day: "03:00"
    tags:
      env: prod
  register: web

- name: Open 8080 and close the old admin port, leaving other rules alone
  opsforge.infra.lightsail_instance:
    name: web-1
    region: eu-west-1
    purge_public_ports: false
    public_ports:
      - from_port: 8080
      - from_port: 9000
        state: absent

- name: Stop it
  opsforge.infra.lightsail_instance:
    name: web-1
    region: eu-west-1
    state: stopped

- name: Restore yesterday's automatic snapshot into a new instance
  opsforge.infra.lightsail_instance:
    name: web-1-restored
    region: eu-west-1
    zone: eu-west-1a
    bundle_id: small_3_0
    source_instance_name: web-1
    use_latest_restorable_auto_snapshot: true

- name: SSH access details (secrets, so no_log)
  opsforge.infra.lightsail_instance:
    name: web-1
    region: eu-west-1
    access_details: true
  no_log: true
  register: access

- name: Delete it
  opsforge.infra.lightsail_instance:
    name: web-1
    region: eu-west-1
    state: absent
"""

RETURN = r"""
instance:
  description:
    - The instance after the run (in check mode, the predicted instance), in snake_case; V({}) when absent.
    - Fields are those of Lightsail's C(Instance) (C(GetInstance)) with C(tags) as a dict.
  returned: always
  type: dict
  sample:
    name: web-1
    arn: arn:aws:lightsail:eu-west-1:123456789012:Instance/0f0c
    blueprint_id: debian_12
    bundle_id: small_3_0
    location: {availability_zone: eu-west-1a, region_name: eu-west-1}
    public_ip_address: 203.0.113.10
    private_ip_address: 172.26.1.10
    ipv6_addresses: ["2001:db8::10"]
    ip_address_type: dualstack
    state: {code: 16, name: running}
    ssh_key_name: deploy
    networking:
      ports:
        - {from_port: 443, to_port: 443, protocol: tcp, cidrs: [0.0.0.0/0], ipv6_cidrs: ["::/0"]}
    metadata_options: {http_tokens: required, http_endpoint: enabled}
    add_ons: [{name: AutoSnapshot, status: Enabled, snapshot_time_of_day: "03:00"}]
    tags: {env: prod}
actions:
  description: What was done (or would be done in check mode), one line per API change.
  returned: always
  type: list
  elements: str
  sample: ["create instance web-1", "set public ports of web-1"]
diff:
  description: The instance before and after (the same keys as RV(instance)).
  returned: always
  type: dict
  contains:
    before:
      description: The instance before the run (V({}) when it did not exist).
      type: dict
    after:
      description: The instance after the run (V({}) when deleted).
      type: dict
access_details:
  description:
    - Temporary access details, when O(access_details=true) and the instance exists.
    - B(Contains secrets) (C(private_key), C(cert_key), C(password)); use C(no_log) on the task.
  returned: when requested
  type: dict
  contains:
    username:
      description: User to log in as.
      type: str
    ip_address:
      description: Public IPv4 address.
      type: str
    ipv6_addresses:
      description: IPv6 addresses.
      type: list
      elements: str
    protocol:
      description: V(ssh) or V(rdp).
      type: str
    private_key:
      description: Temporary SSH private key (secret).
      type: str
    cert_key:
      description: SSH certificate to use with the key.
      type: str
    password:
      description: Windows password (secret), for RDP.
      type: str
    expires_at:
      description: When the temporary key expires.
      type: str
    host_keys:
      description: SSH host keys of the instance (algorithm, public key, SHA-256 fingerprint).
      type: list
      elements: dict
"""

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.instance import Instance  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.instance import argument_spec  # noqa: E402
from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.module import LightsailModule  # noqa: E402


def main():
    module = LightsailModule(spec=argument_spec())
    module.run(lambda: Instance(module.lightsail(), module.params).run())


if __name__ == "__main__":
    main()
