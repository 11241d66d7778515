"""The cluster (tests/cluster.py) through nginx: twine, pip, uv and
devpi-client; uploads land in the bucket; a mirror filled once is shared by
both app servers; an app server SIGKILLed during 20 concurrent uploads and
downloads loses no acknowledged upload and shows no partial file, while the
other keeps serving; the Celery worker refreshes an expired mirror page.
Files leave through presigned S3 redirects or nginx's X-Accel-Redirect:
both clusters run. ``make test-cluster``."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from .clientvenv import DEVPI_CLIENT_REQUIREMENTS, client_venv
from .cluster import kill_server, start_cluster
from .factories import make_wheel
from .live import client_env
from .upstream import Fault, start_upstream

pytestmark = pytest.mark.cluster
PY = sys.executable


@pytest.fixture(scope="module", params=["redirect", "x-accel-redirect"])
def cluster(request, tmp_path_factory):
    c = start_cluster(tmp_path_factory.mktemp(f"cluster-{request.param}"), request.param)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    up = start_upstream(tmp_path_factory.mktemp("upstream"))
    yield up
    up.stop()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_key(digest: str) -> str:
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def upload(url: str, user: str, wheel: Path, timeout: float = 60) -> requests.Response:
    """What twine sends: the legacy upload form."""
    data = wheel.read_bytes()
    name, version = wheel.name.split("-")[:2]
    return requests.post(
        url,
        auth=(user, "secret"),
        timeout=timeout,
        data={
            ":action": "file_upload",
            "protocol_version": "1",
            "name": name,
            "version": version,
            "filetype": "bdist_wheel",
            "pyversion": "py3",
            "metadata_version": "2.1",
            "sha256_digest": sha256(data),
        },
        files={"content": (wheel.name, data)},
    )


def simple_links(url: str) -> dict[str, str]:
    """filename -> sha256 of a project's PEP 691 page."""
    r = requests.get(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=30)
    if r.status_code == 404:
        return {}
    assert r.status_code == 200, r.text
    return {f["filename"]: f["hashes"]["sha256"] for f in r.json()["files"]}


def fetch(url: str) -> bytes:
    r = requests.get(url, timeout=60)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return r.content


def file_url(base: str, index: str, wheel_name: str, digest: str) -> str:
    return f"{base}/{index}/+f/{digest[:3]}/{digest[3:16]}/{wheel_name}"


def check_file_serving(c, index: str, wheel: Path) -> None:
    """The configured mode: a presigned redirect to the bucket, or nginx
    sending the object after the app's X-Accel-Redirect."""
    digest = sha256(wheel.read_bytes())
    via_nginx = file_url(c.url, index, wheel.name, digest)
    first = requests.get(via_nginx, allow_redirects=False, timeout=30)
    if c.mode == "redirect":
        assert first.status_code == 302, first.status_code
        assert first.headers["Location"].startswith(c.moto.url + f"/{c.bucket}/")
        assert "Signature=" in first.headers["Location"]  # presigned
    else:
        assert first.status_code == 200 and "X-Accel-Redirect" not in first.headers
        assert first.content == wheel.read_bytes()
        direct = requests.get(
            file_url(c.servers[0].url, index, wheel.name, digest), allow_redirects=False, timeout=30
        )
        assert direct.headers["X-Accel-Redirect"] == f"/+s3blobs/{blob_key(digest)}"
        assert direct.content == b""
    assert fetch(via_nginx) == wheel.read_bytes()


def test_clients_through_nginx(cluster, tmp_path, unique):
    c = cluster
    env = client_env(tmp_path / "home")
    user = f"cl{unique}"
    r = requests.put(f"{c.url}/{user}", json={"password": "secret"}, timeout=30)
    assert r.status_code == 201, r.text
    r = requests.put(
        f"{c.url}/{user}/dev",
        json={"bases": []},
        auth=(user, "secret"),
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    wheel = make_wheel(tmp_path / "dist", f"clu-{unique}", "1.0")
    done = subprocess.run(
        [
            PY,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            f"{c.url}/{user}/dev/",
            "-u",
            user,
            "-p",
            "secret",
            str(wheel),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert blob_key(sha256(wheel.read_bytes())) in c.bucket_keys()  # in the bucket
    assert not any(
        (s.data_dir / "files").exists() and any((s.data_dir / "files").iterdir()) for s in c.servers
    )  # not on the app servers' disks
    check_file_serving(c, f"{user}/dev", wheel)
    dest = tmp_path / "pip"
    done = subprocess.run(
        [
            PY,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            str(dest),
            "-i",
            f"{c.url}/{user}/dev/+simple/",
            f"clu-{unique}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (dest / wheel.name).read_bytes() == wheel.read_bytes()
    target = tmp_path / "uv-target"
    done = subprocess.run(
        [
            PY,
            "-m",
            "uv",
            "pip",
            "install",
            "--python",
            PY,
            "--target",
            str(target),
            "--index-url",
            f"{c.url}/{user}/dev/+simple/",
            f"clu-{unique}==1.0",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / f"clu_{unique}" / "__init__.py").exists()
    # both app servers answer for the same data (one database, one bucket)
    for server in c.servers:
        assert simple_links(f"{server.url}/{user}/dev/+simple/clu-{unique}/") == {
            wheel.name: sha256(wheel.read_bytes())
        }


def test_devpi_client_through_nginx(cluster, tmp_path, unique):
    c = cluster
    bin_dir = client_venv("devpi-client", DEVPI_CLIENT_REQUIREMENTS)
    env = client_env(tmp_path / "home")
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    env.pop("PIP_CONFIG_FILE", None)
    env["PIP_NO_INDEX"] = "0"

    def devpi(*args):
        done = subprocess.run(
            [str(bin_dir / "devpi"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    user = f"dc{unique}"
    assert f"using server: {c.url}/" in devpi("use", c.url)
    devpi("user", "-c", user, "password=secret")
    assert f"logged in '{user}'" in devpi("login", user, "--password=secret")
    devpi("index", "-c", "dev", "bases=")
    devpi("use", f"{user}/dev")
    dist = tmp_path / "dist"
    wheel = make_wheel(dist, f"dcl-{unique}", "1.0")
    assert "file_upload of" in devpi("upload", "--from-dir", str(dist))
    listed = devpi("list", f"dcl-{unique}").split()
    assert listed == [
        (
            f"{c.url}/{user}/dev/+f/{sha256(wheel.read_bytes())[:3]}/"
            f"{sha256(wheel.read_bytes())[3:16]}/{wheel.name}"
        )
    ]
    assert fetch(listed[0]) == wheel.read_bytes()
    assert blob_key(sha256(wheel.read_bytes())) in c.bucket_keys()


def test_mirror_shared_and_refreshed_by_the_worker(cluster, upstream, tmp_path, unique):
    c = cluster
    user = f"mi{unique}"
    assert (
        requests.put(f"{c.url}/{user}", json={"password": "secret"}, timeout=30).status_code == 201
    )
    r = requests.put(
        f"{c.url}/{user}/up",
        json={"type": "mirror", "mirror_url": upstream.url, "mirror_cache_expiry": 3600},
        auth=(user, "secret"),
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    name = f"mir-{unique}"
    wheel = upstream.add(name, "1.0")
    env = client_env(tmp_path / "home")
    done = subprocess.run(
        [
            PY,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            str(tmp_path / "a"),
            "-i",
            f"{c.url}/{user}/up/+simple/",
            name,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert upstream.hits(f"GET /simple/{name}/") == 1
    files_fetched = upstream.hits("GET /files/")  # the wheel (and its PEP 658 metadata)
    assert upstream.hits(f"GET /files/{wheel.name}") >= 1
    digest = sha256(wheel.read_bytes())
    # filled once, served by both servers from the shared database and bucket
    for server in c.servers:
        assert simple_links(f"{server.url}/{user}/up/+simple/{name}/") == {wheel.name: digest}
        r = requests.get(
            file_url(server.url, f"{user}/up", wheel.name, digest),
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code in (200, 302)
    assert fetch(file_url(c.url, f"{user}/up", wheel.name, digest)) == wheel.read_bytes()
    assert upstream.hits(f"GET /simple/{name}/") == 1
    assert upstream.hits("GET /files/") == files_fetched  # nothing fetched twice
    assert blob_key(digest) in c.bucket_keys()
    # the page expires; answered from the cache at once, the worker refreshes it
    r = requests.patch(
        f"{c.url}/{user}/up",
        json={"mirror_cache_expiry": 1},
        auth=(user, "secret"),
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    time.sleep(1.5)
    newer = upstream.add(name, "2.0")
    upstream.faults = {f"/simple/{name}": Fault(delay=8)}
    try:
        started = time.monotonic()
        r = requests.get(f"{c.url}/{user}/up/+simple/{name}/", timeout=30)
        assert time.monotonic() - started < 5  # not the 8 s of the upstream
        assert r.status_code == 200 and "X-Devpi-Stale" in r.headers
        assert newer.name not in r.text
        deadline = time.monotonic() + 60
        while newer.name not in requests.get(f"{c.url}/{user}/up/+simple/{name}/", timeout=30).text:
            assert time.monotonic() < deadline, c.log("worker.log")[-3000:]
            time.sleep(0.3)
    finally:
        upstream.faults = {}
    assert "mirror.tasks.mirror_refresh_expired" in c.log("worker.log")
    assert "succeeded" in c.log("worker.log")
    assert c.beat.poll() is None and "beat: Starting" in c.log("beat.log")


def test_app_server_killed_during_uploads_and_downloads(cluster, tmp_path, unique):
    """Last in the module: it leaves one app server dead."""
    c = cluster
    user = f"cr{unique}"
    assert (
        requests.put(f"{c.url}/{user}", json={"password": "secret"}, timeout=30).status_code == 201
    )
    r = requests.put(
        f"{c.url}/{user}/dev",
        json={"bases": [], "volatile": True},
        auth=(user, "secret"),
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    index_url = f"{c.url}/{user}/dev/"
    existing = make_wheel(
        tmp_path / "have", f"have-{unique}", "1.0", payload="X = %r\n" % ("x" * 200_000)
    )
    assert upload(index_url, user, existing).status_code == 200
    have_url = file_url(c.url, f"{user}/dev", existing.name, sha256(existing.read_bytes()))
    # ten uploads of 1-2 MB wheels and ten downloads, at once; the kill lands
    # while they are under way
    wheels = [
        make_wheel(
            tmp_path / "up",
            f"crash{n}-{unique}",
            "1.0",
            payload=f"X = {os.urandom(600_000 + n * 50_000).hex()!r}\n",
        )
        for n in range(10)
    ]
    go = threading.Event()

    def job(n: int):
        go.wait()
        if n % 2 == 0:
            wheel = wheels[n // 2]
            try:
                return ("upload", wheel, upload(index_url, user, wheel, timeout=120).status_code)
            except requests.RequestException as exc:
                return ("upload", wheel, repr(exc))
        try:
            r = requests.get(have_url, timeout=120)
            return ("download", None, (r.status_code, r.content == existing.read_bytes()))
        except requests.RequestException as exc:
            return ("download", None, repr(exc))

    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(job, n) for n in range(20)]
        go.set()
        time.sleep(0.3)
        in_flight = sum(not f.done() for f in futures)
        kill_server(c.servers[0])
        results = [f.result() for f in futures]
    assert in_flight > 0, "the kill came after the work: nothing was tested"
    uploads = [(w, status) for kind, w, status in results if kind == "upload"]
    downloads = [status for kind, _, status in results if kind == "download"]
    assert len(uploads) == 10 and len(downloads) == 10
    acknowledged = [w for w, status in uploads if status == 200]
    assert acknowledged, uploads  # the surviving server took some
    # every acknowledged upload is there, intact, in the index and the bucket
    keys = c.bucket_keys()
    for wheel in acknowledged:
        project = wheel.name.split("-")[0]
        links = simple_links(f"{c.url}/{user}/dev/+simple/{project}/")
        digest = sha256(wheel.read_bytes())
        assert links == {wheel.name: digest}
        assert blob_key(digest) in keys
        assert fetch(file_url(c.url, f"{user}/dev", wheel.name, digest)) == wheel.read_bytes()
    # no partial file visible: whatever the index lists (also of the uploads
    # whose answer was lost in the crash) has exactly the bytes its hash says
    for wheel, _status in uploads:
        project = wheel.name.split("-")[0]
        for filename, digest in simple_links(f"{c.url}/{user}/dev/+simple/{project}/").items():
            assert filename == wheel.name
            assert sha256(fetch(file_url(c.url, f"{user}/dev", filename, digest))) == digest
    # downloads that were answered got the whole file
    for status in downloads:
        if isinstance(status, tuple) and status[0] == 200:
            assert status[1] is True
    # the other server keeps serving, through nginx, reads and writes
    for _ in range(6):
        assert fetch(have_url) == existing.read_bytes()
    late = make_wheel(tmp_path / "late", f"late-{unique}", "1.0")
    assert upload(index_url, user, late).status_code == 200
    assert simple_links(f"{c.url}/{user}/dev/+simple/late-{unique}/")
    assert requests.get(f"{c.servers[1].url}/+health/ready", timeout=30).status_code == 200
