"""The mirror end to end: a real gunicorn (4 workers) whose mirror indexes
point at a local upstream on 127.0.0.1 with injectable faults; pip and
plain HTTP clients in front."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .clients import pip_download
from .live import start_server
from .upstream import Fault

pytestmark = pytest.mark.live
PY = sys.executable


@pytest.fixture(scope="module")
def mirror_server():
    server, cleanup = start_server(workers=4, extra_env={"DEVPI_MIRROR_TIMEOUT": "3"})
    try:
        yield server
    finally:
        cleanup()


@pytest.fixture
def mirror(mirror_server, upstream, unique):
    """A user with a mirror index of the upstream and a stage index over it."""
    s = mirror_server
    user = f"m{unique}"
    s.create_mirror_user(user, upstream.url)
    return user


def stored_blob_hashes(server) -> set[str]:
    root = server.data_dir / "files"
    return {p.name for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}


def test_pip_through_mirror_and_stage_then_offline(
    mirror_server, mirror, upstream, unique, tmp_path, clients_env
):
    s = mirror_server
    wheels = [upstream.add(f"lib{n}-{unique}", "1.0") for n in range(3)]
    names = [f"lib{n}-{unique}" for n in range(3)]
    pip_download(clients_env, f"{s.url}/{mirror}/upstream/+simple/", names[0], dest=tmp_path / "a")
    pip_download(clients_env, f"{s.url}/{mirror}/dev", *names, dest=tmp_path / "b")
    got = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert got == sorted(w.name for w in wheels)
    for wheel in wheels:
        assert (tmp_path / "b" / wheel.name).read_bytes() == wheel.read_bytes()
    before = len(upstream.log)
    # the upstream goes away: the same installs work from the cache
    upstream.stop()
    pip_download(clients_env, f"{s.url}/{mirror}/dev", *names, dest=tmp_path / "c")
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == got
    assert len(upstream.log) == before
    status = s.api("GET", "/+status").json()["result"]["mirrors"][f"{mirror}/upstream"]
    assert status["upstream"] == upstream.url
    assert status["cached_projects"] == 3 and status["cached_files"] >= 3
    assert status["cached_bytes"] >= sum(w.stat().st_size for w in wheels)
    assert status["last_contact"]


def test_expired_page_with_upstream_down_is_served_stale(
    mirror_server, mirror, upstream, unique, tmp_path, clients_env
):
    s, name = mirror_server, f"stale-{unique}"
    wheel = upstream.add(name, "1.0")
    s.api("PATCH", f"/{mirror}/upstream", {"mirror_cache_expiry": 0}, auth=(mirror, "secret"))
    url = f"{s.url}/{mirror}/upstream/+simple/{name}/"
    assert wheel.name in requests.get(url, timeout=30).text
    for fault in (Fault(status=500), Fault(malformed=True), Fault(delay=8)):
        upstream.faults = {f"/simple/{name}": fault}
        started = time.monotonic()
        r = requests.get(url, timeout=30)
        # answered from the cache at once; the refresh runs in the background
        assert time.monotonic() - started < 5  # not the 8 s of the slow upstream
        assert r.status_code == 200, (fault, r.status_code)
        assert wheel.name in r.text
        assert "X-Devpi-Stale" in r.headers
    deadline = time.monotonic() + 30
    while True:
        status = s.api("GET", "/+status").json()["result"]["mirrors"][f"{mirror}/upstream"]
        if status["last_error"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert upstream.url in status["last_error"]
    # a failing upstream is asked again only after a pause, whatever the traffic
    asked = upstream.hits(f"/simple/{name}/")
    for _ in range(5):
        assert requests.get(url, timeout=30).status_code == 200
    assert upstream.hits(f"/simple/{name}/") == asked
    # a stage over it still installs
    upstream.faults = {"/simple/": Fault(status=503)}
    pip_download(clients_env, f"{s.url}/{mirror}/dev", name, dest=tmp_path / "d")


def test_uncached_project_with_upstream_failing(mirror_server, mirror, upstream, unique):
    s = mirror_server
    upstream.add(f"err-{unique}", "1.0")
    upstream.add(f"slow-{unique}", "1.0")
    upstream.faults = {
        f"/simple/err-{unique}": Fault(status=500),
        f"/simple/slow-{unique}": Fault(delay=8),
    }
    r = s.api("GET", f"/{mirror}/upstream/+simple/err-{unique}/")
    assert r.status_code == 502
    assert r.json()["message"] == f"error 500 getting {upstream.url}err-{unique}/"
    r = s.api("GET", f"/{mirror}/upstream/+simple/slow-{unique}/")
    assert r.status_code == 504
    assert upstream.url in r.json()["message"]
    # through a stage index that knows nothing else of the project: 502 too
    r = requests.get(f"{s.url}/{mirror}/dev/+simple/err-{unique}/", timeout=30)
    assert r.status_code == 502
    # a project upstream does not have: 404
    assert (
        requests.get(f"{s.url}/{mirror}/upstream/+simple/nothing-{unique}/", timeout=30).status_code
        == 404
    )


def test_corrupt_or_truncated_file_is_never_stored_or_served(
    mirror_server, mirror, upstream, unique, tmp_path, clients_env
):
    s, name = mirror_server, f"bad-{unique}"
    wheel = upstream.add(name, "1.0", payload="X = 'x' * 1000\n" * 2000)
    good_sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = requests.get(
        f"{s.url}/{mirror}/upstream/+simple/{name}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        timeout=30,
    )
    file_url = f"{s.url}/{mirror}/upstream/+simple/{name}/" + page.json()["files"][0]["url"]
    for fault in (Fault(corrupt=True), Fault(reset_after=1000)):
        upstream.faults = {"/files/": fault}
        received = b""
        try:
            with requests.get(file_url, stream=True, timeout=30) as r:
                for chunk in r.iter_content(8192):
                    received += chunk
        except requests.RequestException:
            pass  # the server cut the connection: that is the point
        assert received != wheel.read_bytes()
        assert hashlib.sha256(received).hexdigest() != good_sha
        assert good_sha not in stored_blob_hashes(s)
        corrupt = wheel.read_bytes()[:-1] + bytes([wheel.read_bytes()[-1] ^ 0xFF])
        assert hashlib.sha256(corrupt).hexdigest() not in stored_blob_hashes(s)
        failed = pip_download(
            clients_env,
            f"{s.url}/{mirror}/upstream/+simple/",
            name,
            dest=tmp_path / "x",
            check=False,
        )
        assert failed.returncode != 0
        assert not (tmp_path / "x" / wheel.name).exists()
    # the fault is gone: the real file is fetched, verified and kept
    upstream.faults = {}
    pip_download(clients_env, f"{s.url}/{mirror}/upstream/+simple/", name, dest=tmp_path / "ok")
    assert (tmp_path / "ok" / wheel.name).read_bytes() == wheel.read_bytes()
    assert good_sha in stored_blob_hashes(s)


def test_one_upstream_request_for_many_concurrent_clients(mirror_server, mirror, upstream, unique):
    s, name = mirror_server, f"herd-{unique}"
    wheel = upstream.add(name, "1.0", payload="X = 'y' * 1000\n" * 3000)
    upstream.faults = {f"/simple/{name}": Fault(delay=1.0), "/files/": Fault(delay=1.0)}
    page_url = f"{s.url}/{mirror}/upstream/+simple/{name}/"
    with ThreadPoolExecutor(max_workers=12) as pool:
        pages = list(pool.map(lambda _: requests.get(page_url, timeout=60), range(12)))
    assert all(p.status_code == 200 and wheel.name in p.text for p in pages)
    assert upstream.hits(f"GET /simple/{name}/") == 1
    href = pages[0].text.split('href="', 2)[1].split("#", 1)[0]
    file_url = requests.compat.urljoin(page_url, href)
    with ThreadPoolExecutor(max_workers=8) as pool:
        files = list(pool.map(lambda _: requests.get(file_url, timeout=120), range(8)))
    assert all(f.status_code == 200 and f.content == wheel.read_bytes() for f in files)
    assert upstream.hits(f"GET /files/{wheel.name}") == 1


def test_pep658_metadata_mirrored(mirror_server, mirror, upstream, unique, tmp_path, clients_env):
    s, name = mirror_server, f"meta-{unique}"
    upstream.add(name, "1.0", requires=["nothing-needed; python_version < '3'"])
    page = requests.get(f"{s.url}/{mirror}/upstream/+simple/{name}/", timeout=30).text
    assert 'data-core-metadata="sha256=' in page
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [
            PY,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(report),
            "-i",
            f"{s.url}/{mirror}/upstream/+simple/",
            name,
        ],
        env=clients_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert upstream.hits(".whl.metadata") == 1
    assert upstream.hits(".whl") == 1  # the metadata file only, never the wheel
    import json

    assert json.loads(report.read_text())["install"][0]["metadata"]["name"] == name


def test_mirror_whitelist_guards_private_names(mirror_server, mirror, upstream, unique, tmp_path):
    s, name = mirror_server, f"shared-{unique}"
    public = upstream.add(name, "9.0")
    from .factories import make_wheel

    private = make_wheel(tmp_path, name, "1.0")
    r = requests.post(
        f"{s.url}/{mirror}/dev/",
        auth=(mirror, "secret"),
        files={"content": (private.name, private.read_bytes())},
        data={":action": "file_upload", "name": name, "version": "1.0"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    page = requests.get(f"{s.url}/{mirror}/dev/+simple/{name}/", timeout=30).text
    assert private.name in page and public.name not in page
    assert upstream.hits(f"/simple/{name}/") == 0  # the guard never even asks upstream
    s.api("PATCH", f"/{mirror}/dev", [f"mirror_whitelist+={name}"], auth=(mirror, "secret"))
    page = requests.get(f"{s.url}/{mirror}/dev/+simple/{name}/", timeout=30).text
    assert private.name in page and public.name in page
    s.api("PATCH", f"/{mirror}/dev", ["mirror_whitelist=*"], auth=(mirror, "secret"))
    page = requests.get(f"{s.url}/{mirror}/dev/+simple/{name}/", timeout=30).text
    assert public.name in page


def test_project_list_on_the_first_request(mirror_server, mirror, upstream, unique):
    """As devpi, the first request for a mirror's project list waits for the upstream's
    list, up to the mirror timeout (3 s here): it arrives in full at once."""
    s = mirror_server
    upstream.extra_names = [f"generated-{n:06d}" for n in range(20_000)]
    upstream.add(f"early-{unique}", "1.0")
    upstream.faults = {"=/simple/": Fault(delay=0.2)}
    url = f"{s.url}/{mirror}/upstream/+simple/"
    r = requests.get(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=30)
    assert r.status_code == 200
    assert "X-Devpi-Project-List" not in r.headers
    names = {p["name"] for p in r.json()["projects"]}
    assert len(names) == 20_001 and "generated-019999" in names
    assert sum(1 for entry in upstream.log if entry == "GET /simple/") == 1
    status = s.api("GET", "/+status").json()["result"]["mirrors"][f"{mirror}/upstream"]
    assert status["project_list_size"] == 20_001
    # a project that appeared upstream after the list was fetched is still found
    late = f"late-{unique}"
    wheel = upstream.add(late, "1.0")
    assert late not in names
    assert wheel.name in requests.get(f"{url}{late}/", timeout=30).text


def test_project_list_that_does_not_arrive_is_marked_incomplete(
    mirror_server, mirror, upstream, unique
):
    s = mirror_server
    upstream.add(f"early-{unique}", "1.0")
    upstream.faults = {"=/simple/": Fault(status=503)}
    url = f"{s.url}/{mirror}/upstream/+simple/"
    first = requests.get(url, timeout=30)
    assert first.status_code == 200
    assert first.headers.get("X-Devpi-Project-List") == "incomplete"
    # project pages are answered without the list
    early = requests.get(f"{url}early-{unique}/", timeout=30)
    assert early.status_code == 200 and f"early_{unique}-1.0" in early.text
    status = s.api("GET", "/+status").json()["result"]["mirrors"][f"{mirror}/upstream"]
    assert status["project_list_size"] is None and "503" in status["last_error"]
    # the names known so far are listed
    again = requests.get(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=30)
    assert again.headers.get("X-Devpi-Project-List") == "incomplete"
    assert f"early-{unique}" in {p["name"] for p in again.json()["projects"]}
