"""Mirror indexes made by users over a small, plain upstream, as devpi-client's own
suite drives them: pages without a content type, links without hashes (served under
``+e/``), URL-quoted file names, a project that vanishes upstream, download errors,
uploads refused, and a file whose bytes fail their hash asked for twice."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

pytestmark = pytest.mark.live


class PlainUpstream:
    """Serves ``pages[path] = bytes`` with no Content-Type header, like devpi's simpypi."""

    def __init__(self):
        self.pages: dict[str, bytes] = {}
        self.hits: list[str] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                upstream.hits.append(self.path)
                body = upstream.pages.get(self.path)
                self.send_response(404 if body is None else 200)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def release(self, project: str, *hrefs: str) -> None:
        self.pages[f"/simple/{project}/"] = b"\n".join(
            f'<a href="../../{project}/{href}">{href}</a>'.encode() for href in hrefs
        )

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def plain():
    up = PlainUpstream()
    yield up
    up.stop()


@pytest.fixture
def mirror(live_server_proc, plain, unique):
    s = live_server_proc
    user = f"mir{unique}"
    s.create_user(user)
    s.create_index(
        user, "mirror", type="mirror", mirror_url=f"{plain.base}/simple", mirror_cache_expiry=0
    )
    return user


def release_hrefs(s, index: str, project: str) -> list[str]:
    r = s.api("GET", f"/{index}/{project}")
    assert r.status_code == 200, r.text
    return sorted(link["href"] for data in r.json()["result"].values() for link in data["+links"])


def test_empty_page_and_hashless_links_under_e(live_server_proc, mirror, plain):
    s = live_server_proc
    base = plain.base.replace("http://", "http_").replace(":", "_")
    plain.pages["/simple/pkg/"] = b""  # a project without releases, no content type
    assert s.api("GET", f"/{mirror}/mirror/pkg").json()["result"] == {}
    plain.release("pkg", "pkg-1.0.zip")
    # the cached (empty) page is expired: answered at once, renewed in the
    # background (stale-while-revalidate), so the new release shows shortly
    deadline = time.monotonic() + 30
    while not (hrefs := release_hrefs(s, f"{mirror}/mirror", "pkg")):
        assert time.monotonic() < deadline, "the expired page was never refreshed"
        time.sleep(0.2)
    (href,) = hrefs
    assert href == f"{s.url}/{mirror}/mirror/+e/{base}_pkg/pkg-1.0.zip"
    # the simple page links there too, relative
    page = requests.get(f"{s.url}/{mirror}/mirror/+simple/pkg/", timeout=30).text
    assert f"+e/{base}_pkg/pkg-1.0.zip" in page
    # not there upstream: devpi's message, as JSON whatever the client accepts
    r = requests.get(href, timeout=30)
    assert r.status_code in (404, 502)
    assert r.headers["Content-Type"] == "application/json"
    assert f"error 404 getting {plain.base}/pkg/pkg-1.0.zip" in r.json()["message"]
    # there: fetched, served, then kept (upstream is asked once)
    plain.pages["/pkg/pkg-1.0.zip"] = b"13"
    assert requests.get(href, timeout=30).content == b"13"
    assert requests.get(href, timeout=30).content == b"13"
    assert plain.hits.count("/pkg/pkg-1.0.zip") == 2  # the 404, then one fetch
    assert (
        requests.get(f"{s.url}/{mirror}/mirror/+e/{base}_other/pkg-1.0.zip", timeout=30).status_code
        == 404
    )


def test_url_quoted_file_names(live_server_proc, mirror, plain):
    s = live_server_proc
    base = plain.base.replace("http://", "http_").replace(":", "_")
    plain.release("pkg", "pkg-1%212017.4%2Bdevpi.zip", "pkg-2%212017.4%2Bdevpi.zip#sha256=1234")
    assert release_hrefs(s, f"{mirror}/mirror", "pkg") == [
        f"{s.url}/{mirror}/mirror/+e/{base}_pkg/pkg-1!2017.4+devpi.zip",
        f"{s.url}/{mirror}/mirror/+f/123/4/pkg-2!2017.4+devpi.zip",
    ]
    plain.pages["/pkg/pkg-1%212017.4%2Bdevpi.zip"] = b"quoted"
    r = requests.get(f"{s.url}/{mirror}/mirror/+e/{base}_pkg/pkg-1!2017.4+devpi.zip", timeout=30)
    assert r.status_code == 200 and r.content == b"quoted"


def test_project_that_vanishes_upstream_keeps_its_links(live_server_proc, mirror, plain):
    s = live_server_proc
    plain.release("pkg", "pkg-1.0.zip")
    assert len(release_hrefs(s, f"{mirror}/mirror", "pkg")) == 1
    del plain.pages["/simple/pkg/"]
    assert len(release_hrefs(s, f"{mirror}/mirror", "pkg")) == 1
    r = requests.get(f"{s.url}/{mirror}/mirror/+simple/pkg/", timeout=30)
    assert r.status_code == 200 and "pkg-1.0.zip" in r.text and "X-Devpi-Stale" in r.headers
    # a project upstream never had is still a 404
    assert s.api("GET", f"/{mirror}/mirror/nothing").status_code == 404


def test_upload_to_a_mirror_is_refused_as_devpi(live_server_proc, mirror):
    s = live_server_proc
    r = requests.post(
        f"{s.url}/{mirror}/mirror/",
        auth=(mirror, "secret"),
        files={"content": ("pkg-1.0.zip", b"x")},
        data={":action": "file_upload", "name": "pkg", "version": "1.0"},
        timeout=30,
    )
    assert r.status_code == 404 and r.reason == "cannot submit to mirror index"


@pytest.mark.parametrize("size", [140, 1_000_000])
def test_file_failing_its_hash_twice_is_a_clean_502(live_server_proc, mirror, plain, size):
    """A small file is verified before any header goes out; a large one is cut short on
    the first request (the client sees a failed download), and the next request
    fetches and verifies it before answering: a clean 502, never a 500."""
    s = live_server_proc
    good = os.urandom(size)
    sha = hashlib.sha256(good).hexdigest()
    plain.release("pkg", f"pkg-1.0.zip#sha256={sha}")
    (href,) = release_hrefs(s, f"{mirror}/mirror", "pkg")
    assert f"/+f/{sha[:3]}/{sha[3:16]}/pkg-1.0.zip" in href
    plain.pages["/pkg/pkg-1.0.zip"] = good[:-1] + bytes([good[-1] ^ 0xFF])
    if size > 140:
        with pytest.raises(requests.RequestException):
            requests.get(href, timeout=30).raise_for_status()
    for _attempt in range(2):
        r = requests.get(href, timeout=30)
        assert r.status_code == 502, r.status_code
        assert r.json()["message"] == (
            f"error sha256 mismatch getting {plain.base}/pkg/pkg-1.0.zip: discarded"
        )
    plain.pages["/pkg/pkg-1.0.zip"] = good
    assert requests.get(href, timeout=30).content == good
