"""The outbound client: the egress guard (addresses, allowances, redirects,
DNS answers), total deadlines and byte caps, against small threaded HTTP
servers on loopback."""

from __future__ import annotations

import ipaddress
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from indexes import outbound

from .conftest import serving

LOCAL = ["127.0.0.1", "localhost", "::1"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.hits.append(self.path)
        route = self.server.routes.get(self.path, (200, b"ok", {}))
        status, body, headers = route
        if callable(body):
            body(self)
            return
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # connections cut on purpose (deadlines, caps) are expected here


@pytest.fixture
def peer():
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.hits, server.routes = [], {}
    with serving(server):
        yield server


@pytest.fixture
def allow(settings):
    def set_allowance(entries):
        settings.DEVPI = {**settings.DEVPI, "ALLOW_PRIVATE_UPSTREAMS": entries}

    return set_allowance


@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00::1", "unique-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "reserved"),
        ("198.18.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
    ],
)
def test_refused_addresses(address, reason):
    assert outbound.refusal_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_pass(address):
    assert outbound.refusal_reason(ipaddress.ip_address(address)) is None


def test_allowance_by_name_address_and_network():
    allowance = outbound.parse_allowance(("localhost", "127.0.0.1", "10.0.0.0/8", "[::1]"))
    assert allowance.allows("localhost", ipaddress.ip_address("127.0.0.5"))
    assert allowance.allows("LOCALHOST.", ipaddress.ip_address("127.0.0.5"))
    assert allowance.allows("x", ipaddress.ip_address("127.0.0.1"))
    assert allowance.allows("x", ipaddress.ip_address("10.9.9.9"))
    assert allowance.allows("x", ipaddress.ip_address("::1"))
    assert not allowance.allows("x", ipaddress.ip_address("127.0.0.2"))
    assert not allowance.allows("x", ipaddress.ip_address("::ffff:10.0.0.1"))
    assert outbound.parse_allowance(("*",)).allows("x", ipaddress.ip_address("127.0.0.2"))
    assert outbound.parse_allowance(()).allows("localhost", ipaddress.ip_address("::1")) is False


def test_refusal_names_the_setting(allow):
    allow([])
    with pytest.raises(outbound.EgressRefused, match="DEVPI_ALLOW_PRIVATE_UPSTREAMS"):
        outbound.check_url("http://localhost:9/simple/")
    with pytest.raises(outbound.EgressRefused, match="DEVPI_ALLOW_PRIVATE_UPSTREAMS"):
        outbound.check_url("http://127.0.0.1:9/simple/")


def test_check_url(allow):
    allow(LOCAL)
    outbound.check_url("http://127.0.0.1:9/simple/")
    outbound.check_url("http://localhost:9/simple/")
    outbound.check_url("http://upstream.invalid/simple/")  # a name: checked at connect
    for url in (
        "http://127.0.0.2/",
        "http://[::ffff:127.0.0.2]/",
        "http://169.254.169.254/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "ftp://127.0.0.1/",
    ):
        with pytest.raises(outbound.EgressRefused):
            outbound.check_url(url)


def test_fetch_allowed_peer(peer, allow):
    allow(LOCAL)
    peer.routes["/page"] = (200, b"hello", {})
    with outbound.fetch("GET", f"{peer.url}/page", seconds=5, max_bytes=100) as response:
        assert response.status == 200
        assert response.read() == b"hello"


def test_fetch_refused_peer_gets_no_request(peer, allow):
    allow([])
    with pytest.raises(outbound.EgressRefused):
        outbound.fetch("GET", f"{peer.url}/page", seconds=5, max_bytes=100)
    allow(LOCAL)
    port = peer.server_address[1]
    with pytest.raises(outbound.EgressRefused):
        outbound.fetch("GET", f"http://127.0.0.2:{port}/page", seconds=5, max_bytes=100)
    assert peer.hits == []


def test_redirect_to_a_refused_address_is_refused(peer, allow):
    allow(LOCAL)
    port = peer.server_address[1]
    peer.routes["/away"] = (302, b"", {"Location": f"http://127.0.0.2:{port}/secret"})
    with pytest.raises(outbound.EgressRefused):
        outbound.fetch("GET", f"{peer.url}/away", seconds=5, max_bytes=100)
    assert peer.hits == ["/away"]


def test_name_resolving_to_a_refused_address_is_refused(peer, allow, monkeypatch):
    """The address checked is the one connected to: a name whose answer
    changes to a refused address (rebinding) is refused at connect time."""
    allow(["127.0.0.1"])
    port = peer.server_address[1]
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "127.0.0.2"])

    def fake(host, *args, **kwargs):
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    outbound.resolve_checked("rebind.test", port)  # first answer: allowed
    with pytest.raises(outbound.EgressRefused, match="127.0.0.2"):
        outbound.fetch("GET", f"http://rebind.test:{port}/x", seconds=5, max_bytes=100)
    assert peer.hits == []


def test_byte_cap_by_content_length_and_by_counting(peer, allow):
    allow(LOCAL)
    peer.routes["/big"] = (200, b"x" * 1000, {})
    response = outbound.fetch("GET", f"{peer.url}/big", seconds=5, max_bytes=100)
    with pytest.raises(outbound.FetchTooLarge):
        response.read()

    def chunked(handler):
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for _ in range(20):
            handler.wfile.write(b"64\r\n" + b"y" * 100 + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")

    peer.routes["/chunked"] = (200, chunked, {})
    response = outbound.fetch("GET", f"{peer.url}/chunked", seconds=5, max_bytes=1000)
    with pytest.raises(outbound.FetchTooLarge):
        response.read()


def test_total_deadline_cuts_a_trickling_peer(peer, allow):
    allow(LOCAL)

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    peer.routes["/slow"] = (200, trickle, {})
    started = time.monotonic()
    response = outbound.fetch("GET", f"{peer.url}/slow", seconds=1.5, max_bytes=10_000)
    with pytest.raises(outbound.FetchTimeout):
        response.read()
    assert time.monotonic() - started < 3


def test_slow_headers_hit_the_deadline(peer, allow):
    allow(LOCAL)

    def silent(handler):
        time.sleep(3)

    peer.routes["/silent"] = (200, silent, {})
    started = time.monotonic()
    with pytest.raises(outbound.FetchTimeout):
        outbound.fetch("GET", f"{peer.url}/silent", seconds=1, max_bytes=100)
    assert time.monotonic() - started < 2.5


def test_environment_proxies_are_not_used(peer, allow, monkeypatch):
    allow(LOCAL)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.2:9")
    peer.routes["/page"] = (200, b"direct", {})
    with outbound.fetch("GET", f"{peer.url}/page", seconds=5, max_bytes=100) as response:
        assert response.read() == b"direct"
