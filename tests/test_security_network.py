"""Attacks over the network against a running server (gunicorn, real HTTP),
each shown refused: SSRF through mirror_url, redirects, mirrored file links
and external push; stored XSS through a mirror's page; hostile sizes and
trickling peers; workers pinned by slow peers; unbounded lease waits.

Hostile peers are threaded HTTP servers on loopback. The server allows
127.0.0.1, localhost and ::1 (DEVPI_ALLOW_PRIVATE_UPSTREAMS, as every test
server); "internal" targets listen on 127.0.0.2, which stays refused, and
each test checks that they received no request at all.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from .factories import make_wheel
from .live import start_server

pytestmark = pytest.mark.live

PAGE_CAP = 100_000
FILE_CAP = 200_000
SECRET = b"internal-secret-token"


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # connections cut on purpose (deadlines, caps) are expected here


class Peer:
    """A threaded HTTP server with routes and a log of what it was asked."""

    def __init__(self, host: str = "127.0.0.1"):
        peer = self
        self.routes: dict = {}
        self.log: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self):
                peer.log.append(f"{self.command} {self.path}")
                route = peer.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if callable(route):
                    route(self)
                    return
                status, headers, body = route
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = handle_one

            def log_message(self, *args):
                pass

        self.server = QuietServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://{host}:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def trickle(total: int, every: float = 0.25, step: bytes = b"x", content_type="text/html"):
    """A route that sends one byte per ``every`` seconds, forever-ish."""

    def route(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(total))
        handler.end_headers()
        try:
            for _ in range(total):
                handler.wfile.write(step)
                handler.wfile.flush()
                time.sleep(every)
        except OSError:
            pass

    return route


@pytest.fixture(scope="module")
def internal():
    """A service on 127.0.0.2 that must never be reached."""
    peer = Peer("127.0.0.2")
    peer.routes["/secret"] = (200, {"Content-Type": "text/plain"}, SECRET)
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def hostile():
    """A hostile upstream on an allowed address (127.0.0.1)."""
    peer = Peer("127.0.0.1")
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def server():
    s, cleanup = start_server(
        workers=2,
        extra_env={
            "DEVPI_MIRROR_TIMEOUT": "3",
            "DEVPI_TRANSFER_TIMEOUT": "6",
            "DEVPI_WEB_THREADS": "8",
            "DEVPI_MIRROR_MAX_PAGE_BYTES": str(PAGE_CAP),
            "DEVPI_MIRROR_MAX_FILE_BYTES": str(FILE_CAP),
        },
    )
    s.create_user("mallory", "pw")
    s.create_user("alice", "pw")
    s.create_index("alice", "dev", password="pw")
    yield s
    cleanup()


def mirror(server, name: str, url: str, user: str = "mallory") -> None:
    server.create_index(
        user, name, password="pw", type="mirror", mirror_url=url, mirror_cache_expiry=0
    )


def status_of(server, index: str) -> dict:
    return server.api("GET", "/+status").json()["result"]["mirrors"][index]


def blob_count(server) -> int:
    files = server.data_dir / "files"
    return sum(1 for p in files.rglob("*") if p.is_file()) if files.exists() else 0


# -- SSRF: mirror_url, redirects, file links -----------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.2", "[::ffff:127.0.0.2]", "169.254.169.254", "10.0.0.1", "[fd00::1]", "0.0.0.0"],
)
def test_mirror_url_at_a_refused_address_is_400(server, internal, host):
    port = internal.server.server_address[1]
    r = server.api(
        "PUT",
        "/mallory/ssrf",
        {"type": "mirror", "mirror_url": f"http://{host}:{port}/simple/"},
        auth=("mallory", "pw"),
    )
    assert r.status_code == 400, r.text
    assert "DEVPI_ALLOW_PRIVATE_UPSTREAMS" in r.json()["message"]
    assert server.api("GET", "/mallory/ssrf").status_code == 404
    assert internal.log == []


def test_changing_mirror_url_to_a_refused_address_is_400(server, hostile, internal):
    mirror(server, "change", f"{hostile.base}/simple/")
    r = server.api(
        "PATCH",
        "/mallory/change",
        {"mirror_url": f"{internal.base}/simple/"},
        auth=("mallory", "pw"),
    )
    assert r.status_code == 400 and "DEVPI_ALLOW_PRIVATE_UPSTREAMS" in r.json()["message"]
    config = server.api("GET", "/mallory/change").json()["result"]
    assert config["mirror_url"] == f"{hostile.base}/simple/"
    assert internal.log == []


def test_redirect_to_a_refused_address_is_502_and_nothing_is_cached(server, hostile, internal):
    hostile.routes["/redir/simple/victim/"] = (302, {"Location": f"{internal.base}/secret"}, b"")
    mirror(server, "redir", f"{hostile.base}/redir/simple/")
    r = requests.get(f"{server.url}/mallory/redir/+simple/victim/", timeout=30)
    assert r.status_code == 502
    assert SECRET.decode() not in r.text
    assert "DEVPI_ALLOW_PRIVATE_UPSTREAMS" in r.text
    assert internal.log == []
    assert status_of(server, "mallory/redir")["cached_projects"] == 0


def test_file_link_to_a_refused_address_sends_nothing(server, hostile, internal):
    sha = hashlib.sha256(SECRET).hexdigest()
    page = json.dumps(
        {
            "meta": {"api-version": "1.0"},
            "name": "victim",
            "files": [
                {
                    "filename": "victim-1.0.tar.gz",
                    "url": f"{internal.base}/secret",
                    "hashes": {"sha256": sha},
                }
            ],
        }
    ).encode()
    hostile.routes["/links/simple/victim/"] = (
        200,
        {"Content-Type": "application/vnd.pypi.simple.v1+json"},
        page,
    )
    mirror(server, "links", f"{hostile.base}/links/simple/")
    blobs = blob_count(server)
    simple = requests.get(f"{server.url}/mallory/links/+simple/victim/", timeout=30)
    assert simple.status_code == 200
    path = f"mallory/links/+f/{sha[:3]}/{sha[3:16]}/victim-1.0.tar.gz"
    assert path in simple.text
    with requests.get(f"{server.url}/{path}", timeout=30, stream=True) as r:
        body = r.raw.read()
    assert r.status_code == 502
    assert SECRET not in body
    assert internal.log == []
    assert status_of(server, "mallory/links")["cached_files"] == 0
    assert blob_count(server) == blobs


# -- SSRF: external push ---------------------------------------------------------------


@pytest.fixture(scope="module")
def released(server, tmp_path_factory):
    wheel = make_wheel(tmp_path_factory.mktemp("w"), "pushme", "1.0")
    with open(wheel, "rb") as fh:
        r = requests.post(
            f"{server.url}/alice/dev/",
            auth=("alice", "pw"),
            timeout=60,
            data={":action": "file_upload", "name": "pushme", "version": "1.0"},
            files={"content": (wheel.name, fh)},
        )
    assert r.status_code == 200, r.text
    return wheel


def external(posturl: str) -> dict:
    return {
        "name": "pushme",
        "version": "1.0",
        "posturl": posturl,
        "username": "attacker",
        "password": "chosen",
    }


def test_anonymous_external_push_is_refused(server, released, hostile, internal):
    hostile.routes["/legacy/"] = (200, {}, b"")
    for target in (f"{hostile.base}/legacy/", f"{internal.base}/secret"):
        r = server.api("POST", "/alice/dev", external(target))
        assert r.status_code == 401, r.text
        r = server.api("POST", "/alice/dev", external(target), auth=("mallory", "pw"))
        assert r.status_code == 403, r.text
    assert not any(line.startswith("POST") for line in hostile.log)
    assert internal.log == []


def test_external_push_to_a_refused_address_is_400(server, released, internal):
    r = server.api("POST", "/alice/dev", external(f"{internal.base}/secret"), auth=("alice", "pw"))
    assert r.status_code == 400 and "DEVPI_ALLOW_PRIVATE_UPSTREAMS" in r.json()["message"]
    assert internal.log == []


def test_external_push_failure_reflects_no_body(server, released, hostile):
    def refuse(handler):
        handler.rfile.read(int(handler.headers["Content-Length"]))
        body = b"<html>" + SECRET * 50 + b"</html>"
        handler.send_response(403, "Forbidden \x1b[2J by policy")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    hostile.routes["/refusing/"] = refuse
    r = server.api(
        "POST", "/alice/dev", external(f"{hostile.base}/refusing/"), auth=("alice", "pw")
    )
    assert r.status_code == 502, r.text
    assert SECRET.decode() not in r.text
    assert "\x1b" not in r.text and "\\u001b" not in r.text
    assert r.json()["result"][0][0] == 403
    assert "Forbidden" in r.json()["result"][0][3]


# -- stored XSS through a mirror -------------------------------------------------------


def test_hostile_page_values_never_reach_our_pages(server, hostile, tmp_path):
    wheel = make_wheel(tmp_path, "xss", "1.0")
    data = wheel.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    hostile.routes["/xss/files/" + wheel.name] = (200, {}, data)
    hostile.routes["/xss/files/xss-1.html"] = (
        200,
        {"Content-Type": "text/html"},
        b"<script>alert(1)</script>",
    )
    script = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    page = (
        "<html><body>"
        f'<a href="../../files/{wheel.name}#sha256={sha}" '
        f'data-core-metadata="sha256={script}" '
        f'data-requires-python="&gt;=3{script}">{wheel.name}</a>'
        f'<a href="../../files/xss-1.0.tar.gz#sha256={sha}{script}">bad hash</a>'
        f'<a href="../../files/xss-1.html#sha256={sha}">html file</a>'
        f'<a href="../../files/xss-1.svg#sha256={sha}">svg file</a>'
        f'<a href="javascript:alert(1)//xss-1.1.tar.gz#sha256={sha}">js</a>'
        "</body></html>"
    ).encode()
    hostile.routes["/xss/simple/xss/"] = (200, {"Content-Type": "text/html"}, page)
    mirror(server, "xss", f"{hostile.base}/xss/simple/")
    for url in (f"{server.url}/mallory/xss/+simple/xss/", f"{server.url}/mallory/xss/xss"):
        r = requests.get(url, timeout=30, headers={"Accept": "text/html"})
        assert r.status_code == 200, r.text
        assert "<script" not in r.text
        assert "javascript:" not in r.text
        assert "xss-1.html" not in r.text and "xss-1.svg" not in r.text
        assert "xss-1.0.tar.gz" not in r.text
    assert wheel.name in requests.get(f"{server.url}/mallory/xss/+simple/xss/", timeout=30).text
    r = requests.get(f"{server.url}/mallory/xss/+f/{sha[:3]}/{sha[3:16]}/xss-1.html", timeout=30)
    assert r.status_code == 404
    assert "/xss/files/xss-1.html" not in " ".join(hostile.log)
    # a real file from the mirror is a download, never rendered
    r = requests.get(f"{server.url}/mallory/xss/+f/{sha[:3]}/{sha[3:16]}/{wheel.name}", timeout=30)
    assert r.status_code == 200 and r.content == data
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Type"] == "application/zip"
    assert r.headers["Content-Disposition"].startswith("attachment")


def test_stage_files_are_downloads_and_ui_pages_have_a_csp(server, released):
    listing = server.api("GET", "/alice/dev/pushme/1.0").json()["result"]
    url = listing["+links"][0]["href"]
    for method in ("GET", "HEAD"):
        r = requests.request(method, url, timeout=30)
        assert r.status_code == 200
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Type"] == "application/zip"
        assert r.headers["Content-Disposition"] == f'attachment; filename="{released.name}"'
    for path in ("/", "/alice/dev", "/alice/dev/pushme/1.0", "/+login", "/+status"):
        r = requests.get(server.url + path, headers={"Accept": "text/html"}, timeout=30)
        policy = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "img-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


# -- hostile sizes --------------------------------------------------------------------


def test_oversized_page_is_refused_and_not_cached(server, hostile):
    body = b"<html>" + b"<a href='big-1.0.tar.gz'>x</a>" * (PAGE_CAP // 20) + b"</html>"
    hostile.routes["/big/simple/big/"] = (200, {"Content-Type": "text/html"}, body)

    def chunked(handler):  # no Content-Length: the cap is counted
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            for _ in range(PAGE_CAP // 1000 + 20):
                handler.wfile.write(b"3e8\r\n" + b"<" * 1000 + b"\r\n")
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    hostile.routes["/big/simple/chunky/"] = chunked
    mirror(server, "big", f"{hostile.base}/big/simple/")
    for name in ("big", "chunky"):
        r = requests.get(f"{server.url}/mallory/big/+simple/{name}/", timeout=30)
        assert r.status_code == 502, r.text
        assert "too large" in r.text
    assert status_of(server, "mallory/big")["cached_projects"] == 0


def test_oversized_file_is_refused_before_a_byte_and_not_stored(server, hostile):
    data = b"\0" * (FILE_CAP + 1)
    sha = hashlib.sha256(data).hexdigest()
    page = json.dumps(
        {
            "meta": {"api-version": "1.0"},
            "name": "huge",
            "files": [
                {
                    "filename": "huge-1.0.tar.gz",
                    "url": "/hugefiles/huge-1.0.tar.gz",
                    "hashes": {"sha256": sha},
                },
                {
                    "filename": "huge-1.1.tar.gz",
                    "url": "/hugefiles/huge-1.1.tar.gz",
                    "hashes": {"sha256": sha},
                },
            ],
        }
    ).encode()
    hostile.routes["/huge/simple/huge/"] = (
        200,
        {"Content-Type": "application/vnd.pypi.simple.v1+json"},
        page,
    )
    hostile.routes["/hugefiles/huge-1.0.tar.gz"] = (200, {}, data)

    def chunked(handler):
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            for offset in range(0, len(data), 10_000):
                part = data[offset : offset + 10_000]
                handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    hostile.routes["/hugefiles/huge-1.1.tar.gz"] = chunked
    mirror(server, "huge", f"{hostile.base}/huge/simple/")
    blobs = blob_count(server)
    base = f"{server.url}/mallory/huge/+f/{sha[:3]}/{sha[3:16]}"
    r = requests.get(f"{base}/huge-1.0.tar.gz", timeout=30)
    assert r.status_code == 502 and "too large" in r.text
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        # streamed while counted: cut off past the cap, before the end
        _ = requests.get(f"{base}/huge-1.1.tar.gz", timeout=30).content
    assert status_of(server, "mallory/huge")["cached_files"] == 0
    assert blob_count(server) == blobs


# -- slow peers: total deadlines, threads, bounded lease waits ---------------------------


def test_trickling_page_hits_the_total_deadline(server, hostile):
    hostile.routes["/slow/simple/slow/"] = trickle(10_000, every=0.2)
    mirror(server, "slow", f"{hostile.base}/slow/simple/")
    started = time.monotonic()
    r = requests.get(f"{server.url}/mallory/slow/+simple/slow/", timeout=60)
    elapsed = time.monotonic() - started
    assert r.status_code == 504, r.text
    assert elapsed < 3 + 4  # DEVPI_MIRROR_TIMEOUT=3 is the whole exchange, not per read


def test_trickling_file_is_cut_at_the_deadline_and_not_stored(server, hostile):
    data = b"y" * 5000
    sha = hashlib.sha256(data).hexdigest()
    page = json.dumps(
        {
            "meta": {"api-version": "1.0"},
            "name": "drip",
            "files": [
                {
                    "filename": "drip-1.0.tar.gz",
                    "url": "/dripfiles/drip-1.0.tar.gz",
                    "hashes": {"sha256": sha},
                }
            ],
        }
    ).encode()
    hostile.routes["/drip/simple/drip/"] = (
        200,
        {"Content-Type": "application/vnd.pypi.simple.v1+json"},
        page,
    )
    hostile.routes["/dripfiles/drip-1.0.tar.gz"] = trickle(5000, every=0.2, step=b"y")
    mirror(server, "drip", f"{hostile.base}/drip/simple/")
    url = f"{server.url}/mallory/drip/+f/{sha[:3]}/{sha[3:16]}/drip-1.0.tar.gz"
    started = time.monotonic()

    def download():
        try:
            return requests.get(url, timeout=60).status_code
        except requests.RequestException as exc:
            return exc.__class__.__name__

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(download)
        time.sleep(1)
        # the same file while the first holds its lease: a bounded wait, then
        # 503 with Retry-After (DEVPI_MIRROR_TIMEOUT=3 < DEVPI_TRANSFER_TIMEOUT=6)
        second = requests.get(url, timeout=60)
        assert second.status_code == 503, second.text
        assert second.headers["Retry-After"].isdigit()
        assert time.monotonic() - started < 1 + 3 + 4
        assert first.result() in ("ChunkedEncodingError", "ConnectionError")
    assert time.monotonic() - started < 6 + 5
    assert status_of(server, "mallory/drip")["cached_files"] == 0


def test_slow_peers_do_not_pin_the_workers(server, hostile):
    """Two gunicorn workers; four downloads from a trickling upstream in
    flight (each held until DEVPI_TRANSFER_TIMEOUT=6), and the server still
    answers at once: a slow peer holds a thread, not a worker. (With sync
    workers the answer takes 11 s.)"""
    files = []
    for n in range(4):
        name = f"pin-1.{n}.tar.gz"
        step = bytes([ord("a") + n])  # four different files, four leases
        files.append(
            {
                "filename": name,
                "url": f"/pinfiles/{name}",
                "hashes": {"sha256": hashlib.sha256(step * 5000).hexdigest()},
            }
        )
        hostile.routes[f"/pinfiles/{name}"] = trickle(5000, every=0.2, step=step)
    page = json.dumps({"meta": {"api-version": "1.0"}, "name": "pin", "files": files}).encode()
    hostile.routes["/pin/simple/pin/"] = (
        200,
        {"Content-Type": "application/vnd.pypi.simple.v1+json"},
        page,
    )
    mirror(server, "pin", f"{hostile.base}/pin/simple/")
    assert requests.get(f"{server.url}/mallory/pin/+simple/pin/", timeout=30).status_code == 200

    def download(file):
        sha, name = file["hashes"]["sha256"], file["filename"]
        try:
            return requests.get(
                f"{server.url}/mallory/pin/+f/{sha[:3]}/{sha[3:16]}/{name}", timeout=60
            ).status_code
        except requests.RequestException as exc:
            return exc.__class__.__name__

    with ThreadPoolExecutor(4) as pool:
        slow = [pool.submit(download, f) for f in files]
        time.sleep(1)
        started = time.monotonic()
        r = requests.get(f"{server.url}/+api", timeout=30)
        assert r.status_code == 200
        assert time.monotonic() - started < 2.5  # pinned workers: 5 s and more
        assert not any(f.done() for f in slow)  # still trickling meanwhile
        results = [f.result() for f in slow]
        assert all(r in ("ChunkedEncodingError", "ConnectionError") for r in results), results
    assert status_of(server, "mallory/pin")["cached_files"] == 0
