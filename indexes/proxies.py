"""Who is really asking: the client's address, and which proxy headers count.

Headers a reverse proxy sets (``X-Outside-Url``, ``X-Forwarded-For``,
``X-Forwarded-Proto``, ``X-Forwarded-Host``) are believed only when the
connection comes from an address in ``DEVPI_TRUSTED_PROXIES`` (default
loopback). From anybody else they are removed before any view or Django's
own middleware reads them, so a client can neither change the URLs the
server writes into its pages nor pick the address its failed logins are
counted against.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

PROXY_HEADERS = (
    "HTTP_X_OUTSIDE_URL",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            raise ValueError(
                f"DEVPI_TRUSTED_PROXIES: {entry!r} is not an address or a network (CIDR)"
            ) from None
    return tuple(networks)


def _parse(address: str):
    try:
        return ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _trusted(address: str, entries: tuple[str, ...]) -> bool:
    ip = _parse(address)
    if ip is None:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(entries))


def is_trusted_proxy(address: str | None) -> bool:
    """Whether ``address`` is in ``DEVPI_TRUSTED_PROXIES``. Asked on every
    request with the peer's address: the answer is kept per (address,
    setting), so a request costs a dict lookup, not an address parse."""
    return _trusted(address or "", tuple(settings.DEVPI["TRUSTED_PROXIES"]))


def forwarded_client(peer: str, forwarded_for: str) -> str:
    """The client's address: walking ``X-Forwarded-For`` from the right
    (the hop our trusted proxy added), the first address that is not itself
    a trusted proxy. Addresses further left were written by the client and
    prove nothing."""
    client = peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if _parse(hop) is None:
            break  # garbage: stop at the last address we could believe
        client = hop.strip("[]")
        if not is_trusted_proxy(client):
            break
    return client


def client_address(request) -> str:
    """The address failed logins are counted against."""
    cached = getattr(request, "_devpi_client_address", None)
    if cached is None:
        peer = request.META.get("REMOTE_ADDR") or ""
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        cached = forwarded_client(peer, forwarded) if forwarded and is_trusted_proxy(peer) else peer
        request._devpi_client_address = cached
    return cached


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in PROXY_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
