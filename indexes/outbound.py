"""The one HTTP client for every request the server makes to another host
(mirror pages, mirror files, a mirror's project list, external push).

- **Egress guard.** A connection is opened only to an address that was
  checked: the host name is resolved once, every answer is checked, and the
  socket connects to the checked address (no second lookup, so no DNS
  rebinding gap). Loopback, private, link-local, unique-local, multicast,
  shared, reserved and unspecified addresses (IPv4 and IPv6, also when
  wrapped in an IPv4-mapped, 6to4 or NAT64 address) are refused unless
  ``DEVPI_ALLOW_PRIVATE_UPSTREAMS`` lists the host name, the address or a
  network holding it (``*``: everything). Redirects open new connections
  through the same check. Proxies from the environment and ``.netrc`` are
  not used (``trust_env`` off): a proxy would resolve the target itself.
- **Total deadline.** Every fetch has a deadline for the whole exchange, not
  per read: each socket wait is at most the time left, and the time is
  checked between reads, so a peer trickling a byte at a time is cut off.
- **Byte cap.** A body larger than the caller's cap is refused, by its
  ``Content-Length`` before anything is read, else when the cap is passed.

Errors are ``OutboundError`` subclasses carrying the HTTP status the server
answers with (502, or 504 on a timeout); their messages name the URL and
the reason, never the peer's body.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family

SETTING = "DEVPI_ALLOW_PRIVATE_UPSTREAMS"
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# ranges Python's ipaddress flags do not all cover, refused as well
_EXTRA_REFUSED = tuple(ipaddress.ip_network(n) for n in (
    "100.64.0.0/10",   # shared address space (carrier-grade NAT)
    "192.0.0.0/24",    # IETF protocol assignments
    "192.88.99.0/24",  # 6to4 relay anycast
    "198.18.0.0/15",   # benchmarking
    "2001::/23",       # IETF protocol assignments (Teredo, ORCHID, ...)
    "5f00::/16",       # segment routing
    "fec0::/10",       # deprecated site-local
))
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class OutboundError(Exception):
    """A fetch failed; ``status`` is what the server answers (502 or 504)."""

    status = 502

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EgressRefused(OutboundError):
    """The destination is an address the egress guard refuses."""


class FetchTimeout(OutboundError):
    status = 504


class FetchTooLarge(OutboundError):
    pass


# -- the guard ----------------------------------------------------------------

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
        if candidate.is_reserved or any(candidate.version == net.version and candidate in net
                                        for net in _EXTRA_REFUSED):
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
    raise EgressRefused(f"refused to connect to {where}: a {reason} address; "
                        f"list it in {SETTING} to allow it")


def resolve_checked(host: str, port: int, allowance: Allowance | None = None) -> list[tuple]:
    """getaddrinfo results for ``host``, every one checked. A name with any
    refused answer is refused whole (mixed answers are how rebinding starts)."""
    results = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    allowance = allowance or current_allowance()
    for _family, _type, _proto, _canon, sockaddr in results:
        check_address(host, ipaddress.ip_address(sockaddr[0].split("%", 1)[0]), allowance)
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
        parts.port
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


def _guarded_socket(conn: HTTPConnection) -> socket.socket:
    """Resolve once, check, connect to the checked address."""
    if getattr(conn, "_tunnel_host", None):
        raise EgressRefused("outbound proxies are not supported")
    try:
        results = resolve_checked(conn._dns_host, conn.port)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    error: OSError | None = None
    for family, socktype, proto, _canon, sockaddr in results:
        sock = None
        try:
            sock = socket.socket(family, socktype, proto)
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(conn.timeout)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.connect(sockaddr)
            return sock
        except TimeoutError as exc:
            if sock is not None:
                sock.close()
            raise ConnectTimeoutError(
                conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
            ) from exc
        except OSError as exc:
            if sock is not None:
                sock.close()
            error = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {error}")


class GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_socket(self)


class GuardedHTTPSConnection(HTTPSConnection):
    # TLS is set up after _new_conn with server_hostname = self.host: the
    # certificate is still checked against the name, not the address
    def _new_conn(self) -> socket.socket:
        return _guarded_socket(self)


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": GuardedHTTPConnectionPool, "https": GuardedHTTPSConnectionPool}


def new_session(user_agent: str = "devpi-django") -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no environment proxies, no .netrc credentials
    session.max_redirects = MAX_REDIRECTS
    session.mount("http://", GuardedAdapter())
    session.mount("https://", GuardedAdapter())
    session.headers["User-Agent"] = user_agent
    return session


_local = threading.local()


def session() -> requests.Session:
    """This thread's guarded session (connections are kept per thread)."""
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = new_session()
    return s


# -- fetching with a deadline and a cap ---------------------------------------

class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def check(self, url: str) -> float:
        left = self.left()
        if left <= 0:
            raise FetchTimeout(f"error timeout ({self.seconds:g} s) getting {url}")
        return left

    def timeout(self, url: str, connect: float = 10.0) -> tuple[float, float]:
        left = self.check(url)
        return (min(connect, left), left)


class Fetch:
    """A response being read under its deadline and byte cap."""

    def __init__(self, response: requests.Response, deadline: Deadline, max_bytes: int,
                 url: str):
        self.response = response
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.requested_url = url
        self.received = 0

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def headers(self):
        return self.response.headers

    @property
    def url(self) -> str:
        return self.response.url

    def close(self) -> None:
        self.response.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def check_length(self) -> None:
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            self.close()
            raise FetchTooLarge(f"error too large ({length} bytes, at most {self.max_bytes}) "
                                f"getting {self.requested_url}")

    def iter_chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The body as it arrives, raising ``FetchTimeout`` past the deadline
        and ``FetchTooLarge`` past the cap."""
        self.check_length()
        raw = self.response.raw
        url = self.requested_url
        try:
            while True:
                left = self.deadline.check(url)
                sock = getattr(getattr(raw, "connection", None), "sock", None)
                if sock is not None:
                    sock.settimeout(left)
                chunk = raw.read1(size, decode_content=True)
                if not chunk:
                    return
                self.received += len(chunk)
                if self.received > self.max_bytes:
                    raise FetchTooLarge(f"error too large (more than {self.max_bytes} bytes) "
                                        f"getting {url}")
                yield chunk
        except OutboundError:
            self.close()
            raise
        except (OSError, requests.RequestException, ValueError) as exc:
            self.close()
            if isinstance(exc, TimeoutError) or "timed out" in str(exc):
                raise FetchTimeout(f"error timeout getting {url}") from None
            raise OutboundError(f"error {exc.__class__.__name__} getting {url}") from None
        except Exception as exc:  # urllib3's protocol errors
            self.close()
            name = exc.__class__.__name__
            if "Timeout" in name:
                raise FetchTimeout(f"error timeout getting {url}") from None
            raise OutboundError(f"error {name} getting {url}") from None

    def read(self) -> bytes:
        try:
            return b"".join(self.iter_chunks())
        finally:
            self.close()


def fetch(method: str, url: str, *, seconds: float, max_bytes: int, headers: dict | None = None,
          data=None, files=None, auth=None, allow_redirects: bool = True) -> Fetch:
    """Start a request through the guarded session; the body is read with
    ``Fetch.iter_chunks`` or ``Fetch.read``. Raises ``OutboundError``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError(f"error not an http or https URL: {url}")
    deadline = Deadline(seconds)

    def past_deadline(response, *args, **kwargs):  # every hop, redirects too
        deadline.check(url)

    if data is not None and hasattr(data, "read"):
        data = _DeadlineBody(data, deadline, url)
    try:
        response = session().request(
            method, url, headers=headers, data=data, files=files, auth=auth, stream=True,
            timeout=deadline.timeout(url), allow_redirects=allow_redirects,
            hooks={"response": past_deadline})
    except OutboundError:
        raise
    except requests.Timeout:
        raise FetchTimeout(f"error timeout getting {url}") from None
    except requests.TooManyRedirects:
        raise OutboundError(f"error too many redirects getting {url}") from None
    except requests.RequestException as exc:
        raise OutboundError(f"error {exc.__class__.__name__} getting {url}") from None
    return Fetch(response, deadline, max_bytes, url)


class _DeadlineBody:
    """A request body read in blocks, cut off when the deadline passes."""

    def __init__(self, body, deadline: Deadline, url: str):
        self._body = body
        self._deadline = deadline
        self._url = url

    def __len__(self) -> int:
        return len(self._body)

    def tell(self) -> int:
        return self._body.tell()

    def read(self, size: int = -1) -> bytes:
        self._deadline.check(self._url)
        return self._body.read(size)
