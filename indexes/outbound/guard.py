"""The egress guard's rules: which addresses a server-side request may reach
(``DEVPI_ALLOW_PRIVATE_UPSTREAMS`` lets listed hosts, addresses and networks
through), host names resolved once with every answer checked, and the check
of a configured URL before any network use."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from urllib3.util.connection import allowed_gai_family

from .errors import EgressRefused

SETTING = "DEVPI_ALLOW_PRIVATE_UPSTREAMS"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# ranges Python's ipaddress flags do not all cover, refused as well
_EXTRA_REFUSED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "2001::/23",  # IETF protocol assignments (Teredo, ORCHID, ...)
        "5f00::/16",  # segment routing
        "fec0::/10",  # deprecated site-local
    )
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


@dataclass(frozen=True)
class Allowance:
    """What ``DEVPI_ALLOW_PRIVATE_UPSTREAMS`` lets through."""

    everything: bool = False
    hosts: frozenset[str] = frozenset()
    networks: tuple = ()

    def allows(self, host: str, address: IPAddress) -> bool:
        if self.everything or _host_key(host) in self.hosts:
            return True
        return any(address.version == net.version and address in net for net in self.networks)


def _host_key(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


@lru_cache(maxsize=16)
def parse_allowance(entries: tuple[str, ...]) -> Allowance:
    """``("*",)``, host names, addresses and CIDRs; unparsable entries are
    taken as host names (they can only ever match that exact name)."""
    hosts, networks = set(), []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        if entry == "*":
            return Allowance(everything=True)
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hosts.add(_host_key(entry))
    return Allowance(hosts=frozenset(hosts), networks=tuple(networks))


def current_allowance() -> Allowance:
    return parse_allowance(tuple(settings.DEVPI.get("ALLOW_PRIVATE_UPSTREAMS") or ()))


def _unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if any(address in net for net in _NAT64):
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal_reason(address: IPAddress) -> str | None:
    """Why the guard refuses ``address`` (``"loopback"``, ...), or None."""
    inner = _unwrap(address)
    for candidate in dict.fromkeys((inner, address)):
        if candidate.is_loopback:
            return "loopback"
        if candidate.is_link_local:
            return "link-local"
        if candidate.is_multicast:
            return "multicast"
        if candidate.is_unspecified:
            return "unspecified"
        if candidate.version == 6 and candidate in ipaddress.ip_network("fc00::/7"):
            return "unique-local"
        if candidate.is_reserved or any(
            candidate.version == net.version and candidate in net for net in _EXTRA_REFUSED
        ):
            return "reserved"
        if candidate.is_private:
            return "private"
        if not candidate.is_global:
            return "non-global"
    return None


def check_address(host: str, address: IPAddress, allowance: Allowance | None = None) -> None:
    """Raise ``EgressRefused`` unless ``host`` at ``address`` may be reached."""
    reason = refusal_reason(address)
    if reason is None:
        return
    if (allowance or current_allowance()).allows(host, address):
        return
    shown = _host_key(host)
    where = str(address) if shown == str(address) else f"{shown} ({address})"
    raise EgressRefused(
        f"refused to connect to {where}: a {reason} address; list it in {SETTING} to allow it"
    )


def resolve_checked(host: str, port: int, allowance: Allowance | None = None) -> list[tuple]:
    """getaddrinfo results for ``host``, every one checked. A name with any
    refused answer is refused whole (mixed answers are how rebinding starts)."""
    results = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    allowance = allowance or current_allowance()
    for _family, _type, _proto, _canon, sockaddr in results:
        check_address(host, ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]), allowance)
    return results


def check_url(url: str) -> None:
    """Check a configured URL (a mirror_url, a posturl) without touching the
    network: a literal address, or a ``localhost`` name, is checked now; any
    other name when a connection is made (a lookup here could hang the
    request, and its answer may change before the fetch anyway)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EgressRefused(f"{url!r} is not an http or https URL")
    host = parts.hostname
    try:
        _ = parts.port  # parsing the port refuses one out of range
    except ValueError:
        raise EgressRefused(f"{url!r} has an invalid port") from None
    key = _host_key(host)
    if key == "localhost" or key.endswith(".localhost"):
        check_address(host, ipaddress.ip_address("127.0.0.1"))
        return
    try:
        address = ipaddress.ip_address(key.split("%", 1)[0])
    except ValueError:
        return
    check_address(host, address)
