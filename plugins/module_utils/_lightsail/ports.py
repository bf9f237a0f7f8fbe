# Copyright (c) opsforge.infra contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# NOTE: THIS IS PRIVATE TO THIS COLLECTION. It is not part of the public API and may change
# without notice. Do not import it from other collections.

"""Lightsail instance firewall rules (public ports): module input to PortInfo, identity for comparison."""

from __future__ import annotations

from ansible_collections.opsforge.infra.plugins.module_utils._lightsail.common import invalid

# to_port when the user leaves it out: one port for tcp/udp (from_port), every port for "all",
# every ICMP code (-1) for icmp/icmpv6 -- from_port is then the ICMP type.
DEFAULT_TO_PORT = {"all": 65535, "icmp": -1, "icmpv6": -1}


def port_options():
    """Suboptions of the ``public_ports`` list."""
    return dict(
        from_port=dict(type="int", required=True),
        to_port=dict(type="int"),
        protocol=dict(type="str", default="tcp", choices=["tcp", "udp", "all", "icmp", "icmpv6"]),
        cidrs=dict(type="list", elements="str"),
        ipv6_cidrs=dict(type="list", elements="str"),
        cidr_list_aliases=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


# -- public ports ---------------------------------------------------------------------------------
def _tuple(values):
    return tuple(sorted(values or ()))


def port_key(port):
    """A hashable identity of a firewall rule (camelCase dict as the API uses)."""
    return (port.get("protocol"), port.get("fromPort"), port.get("toPort"), _tuple(port.get("cidrs")),
            _tuple(port.get("ipv6Cidrs")), _tuple(port.get("cidrListAliases")))


def current_ports(instance):
    """The inbound firewall rules of an instance as PortInfo dicts."""
    ports = ((instance or {}).get("networking") or {}).get("ports") or []
    result = []
    for port in ports:
        if port.get("accessDirection", "inbound") != "inbound":
            continue
        result.append({
            "fromPort": port.get("fromPort"), "toPort": port.get("toPort"), "protocol": port.get("protocol"),
            "cidrs": list(port.get("cidrs") or []), "ipv6Cidrs": list(port.get("ipv6Cidrs") or []),
            "cidrListAliases": list(port.get("cidrListAliases") or []),
        })
    return result


def desired_ports(public_ports, ip_address_type):
    """Module ``public_ports`` -> ``(present, absent)`` lists of PortInfo dicts, with explicit defaults
    so comparison is exact.

    A rule without any of cidrs/ipv6_cidrs/cidr_list_aliases is open to everyone: 0.0.0.0/0 unless the
    instance is IPv6-only, plus ::/0 unless it is IPv4-only (icmp: IPv4 only; icmpv6: IPv6 only).
    ``to_port`` defaults to ``from_port`` for tcp/udp, 65535 for protocol ``all``, and -1 (every ICMP
    code) for icmp/icmpv6: ``{protocol: icmp, from_port: 8}`` is Lightsail's own ping rule, type 8 code -1.
    """
    present, absent = [], []
    for index, port in enumerate(public_ports):
        protocol = port["protocol"]
        from_port = port["from_port"]
        if port.get("to_port") is not None:
            to_port = port["to_port"]
        else:
            to_port = DEFAULT_TO_PORT.get(protocol, from_port)
        where = "public_ports[%d]" % index
        if protocol in ("tcp", "udp", "all"):
            if not (0 <= from_port <= 65535 and 0 <= to_port <= 65535) or from_port > to_port:
                raise invalid("%s: from_port/to_port must be 0-65535 with from_port <= to_port (got %s-%s)" % (where, from_port, to_port))
        elif not (-1 <= from_port <= 255 and -1 <= to_port <= 255):
            raise invalid("%s: for %s, from_port is the ICMP type and to_port the ICMP code (-1 to 255)" % (where, protocol))
        cidrs, ipv6_cidrs, aliases = port.get("cidrs"), port.get("ipv6_cidrs"), port.get("cidr_list_aliases")
        if protocol == "icmpv6" and cidrs:
            raise invalid("%s: icmpv6 rules apply to IPv6 only; use ipv6_cidrs" % where)
        if protocol == "icmp" and ipv6_cidrs:
            raise invalid("%s: icmp rules apply to IPv4 only; use protocol icmpv6 for IPv6" % where)
        if cidrs is None and ipv6_cidrs is None and aliases is None:
            cidrs = [] if protocol == "icmpv6" or ip_address_type == "ipv6" else ["0.0.0.0/0"]
            ipv6_cidrs = [] if protocol == "icmp" or ip_address_type == "ipv4" else ["::/0"]
        rule = {"fromPort": from_port, "toPort": to_port, "protocol": protocol, "cidrs": list(cidrs or []),
                "ipv6Cidrs": list(ipv6_cidrs or []), "cidrListAliases": list(aliases or [])}
        (absent if port.get("state") == "absent" else present).append(rule)
    return present, absent


def _api_port(port):
    """PortInfo for a request: empty lists left out."""
    return {k: v for k, v in port.items() if v != []}
