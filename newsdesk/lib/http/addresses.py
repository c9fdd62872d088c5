"""Which addresses a fetch may connect to: the classifier and the FetchPolicy."""

from __future__ import annotations

import ipaddress
import typing
from dataclasses import dataclass
from typing import Any

from newsdesk.lib.http.constants import DEFAULT_BLOCKED_PORTS, IPAddress, IPNetwork


def _nets(*specs: tuple[str, str]) -> tuple[tuple[Any, str], ...]:
    return tuple((ipaddress.ip_network(net), what) for net, what in specs)


_METADATA = "a cloud metadata address"
_PRIVATE = "a private network address"
_DOCS = "a documentation address"

_IPV4_RULES = _nets(
    # Metadata endpoints first: their specific wording helps operators.
    ("169.254.169.254/32", _METADATA),
    ("100.100.100.200/32", _METADATA),
    ("0.0.0.0/8", "a 'this network' address (0.0.0.0/8)"),
    ("10.0.0.0/8", _PRIVATE),
    ("100.64.0.0/10", "a carrier-grade NAT (shared) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", _PRIVATE),
    ("192.0.0.0/24", "an IETF protocol assignment address"),
    ("192.0.2.0/24", _DOCS),
    ("192.88.99.0/24", "a 6to4 relay anycast address"),
    ("192.168.0.0/16", _PRIVATE),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", _DOCS),
    ("203.0.113.0/24", _DOCS),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "the broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
)

_IPV6_RULES = _nets(
    ("fd00:ec2::254/128", _METADATA),
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("100::/64", "a discard-only address"),
    # Teredo hides the client's IPv4 address XOR-ed; no honest feed lives there.
    ("2001::/32", "a Teredo tunnel address"),
    ("2001:db8::/32", _DOCS),
    ("3fff::/20", _DOCS),
    ("fc00::/7", "a unique-local address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def _low32(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _embedded_reason(ip: ipaddress.IPv6Address) -> str | None:
    """IPv6 forms that carry an IPv4 address: judge the IPv4 address inside."""
    if ip in _MAPPED or ip in _TRANSLATED:
        v4 = _low32(ip)
        inner = classify_address(v4)
        return f"an IPv4-mapped form of {v4}, which is {inner}" if inner else None
    if ip in _NAT64:
        v4 = _low32(ip)
        inner = classify_address(v4)
        return f"a NAT64 form of {v4}, which is {inner}" if inner else None
    if ip in _NAT64_LOCAL:
        # RFC 8215 local-use prefix: by definition inside someone's network.
        v4 = _low32(ip)
        inner = classify_address(v4)
        if inner:
            return f"a local-use NAT64 form of {v4}, which is {inner}"
        return "a local-use NAT64 address"
    if ip in _SIX_TO_FOUR:
        v4 = ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
        inner = classify_address(v4)
        return f"a 6to4 form of {v4}, which is {inner}" if inner else None
    if ip in _COMPATIBLE and int(ip) > 1:
        return f"an IPv4-compatible form of {_low32(ip)} (deprecated, never routed)"
    return None


def classify_address(address: str | IPAddress) -> str | None:
    """Say why ``address`` is not a public internet address, or None if it is.

    The answer is a noun phrase ("a loopback address") meant for sentences like
    "refused: 127.0.0.1 is a loopback address". Python's ``ipaddress`` flags miss
    several of these (CGNAT, NAT64, 6to4, metadata...), hence the explicit tables;
    ``is_global`` is only the final safety net.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        embedded = _embedded_reason(ip)
        if embedded:
            return embedded
        if ip in _MAPPED or ip in _TRANSLATED or ip in _NAT64 or ip in _SIX_TO_FOUR:
            return None  # the embedded IPv4 address is public
        rules = _IPV6_RULES
    else:
        rules = _IPV4_RULES
    for network, what in rules:
        if ip in network:
            return str(what)
    if ip.is_multicast or ip.is_reserved or ip.is_private or not ip.is_global:
        return "not a public internet address"
    return None


@dataclass(frozen=True)
class FetchPolicy:
    """What the client may fetch and how long / how much. Hashable: clients are cached
    per policy by the module-level :func:`fetch`."""

    # CIDR strings or network objects; normalised to network objects on creation.
    allow_networks: tuple[IPNetwork | str, ...] = ()
    max_redirects: int = 5
    deadline: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    blocked_ports: frozenset[int] = DEFAULT_BLOCKED_PORTS

    def __post_init__(self) -> None:
        # Accept CIDR strings (settings files) as well as network objects.
        networks = tuple(
            ipaddress.ip_network(net, strict=False) if isinstance(net, str) else net
            for net in self.allow_networks
        )
        object.__setattr__(self, "allow_networks", networks)
        object.__setattr__(self, "blocked_ports", frozenset(self.blocked_ports))

    @property
    def networks(self) -> tuple[IPNetwork, ...]:
        """The allow-list as network objects."""
        return typing.cast(tuple[IPNetwork, ...], self.allow_networks)  # see __post_init__

    def refusal(self, address: str | IPAddress) -> str | None:
        """The refusal message for connecting to ``address``, or None if allowed."""
        text = str(address).split("%", 1)[0]
        ip = ipaddress.ip_address(text)
        # The allow-list matches the address exactly as connected: allowing
        # 127.0.0.1/32 does not silently allow ::ffff:127.0.0.1 as well.
        if any(ip in net for net in self.networks):
            return None
        what = classify_address(ip)
        return f"refused: {ip} is {what}" if what else None
