"""Connections that open only to checked addresses: the socket connects to
the address the guard checked (no second lookup, so no DNS rebinding gap),
and the requests sessions that use them (no environment proxies or
``.netrc``: a proxy would resolve the target itself)."""

from __future__ import annotations

import socket
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from .errors import EgressRefused
from .guard import resolve_checked

MAX_REDIRECTS = 5


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
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": GuardedHTTPConnectionPool,
            "https": GuardedHTTPSConnectionPool,
        }


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
