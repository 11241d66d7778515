"""Archive bombs against a running server (gunicorn, real HTTP, the legacy
upload API as twine and devpi-client post it): each is refused with 400 and
its reason in seconds, nothing is stored (no row, no blob), and the workers'
peak memory (VmHWM in /proc) stays bounded."""

from __future__ import annotations

import base64
import io
import time
import zipfile
from pathlib import Path

import pytest
import requests

from . import bombs
from .clients import twine
from .factories import make_sdist, make_wheel
from .live import start_server

pytestmark = pytest.mark.live

USER, PASSWORD = "bomber", "secret"
MEMORY_BOUND = 64 * 1024**2


@pytest.fixture(scope="module")
def server():
    s, cleanup = start_server(workers=2)
    try:
        s.create_user(USER, PASSWORD)
        s.create_index(USER, "dev", PASSWORD, volatile=True)
        yield s
    finally:
        cleanup()


def _status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_status(int(entry.name)).get("PPid", "0")) == master:
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue  # ended while we looked
    return sorted(pids)


def peaks(master: int) -> dict[int, int]:
    """Each worker's peak resident memory (VmHWM) in bytes."""
    result = {}
    for pid in worker_pids(master):
        result[pid] = int(_status(pid)["VmHWM"].split()[0]) * 1024
    return result


def stored_files(server) -> set[str]:
    root = server.data_dir / "files"
    return (
        {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
        if root.exists()
        else set()
    )


def post(
    server, filename: str, data: bytes | Path, name: str, *, action: str = "file_upload"
) -> requests.Response:
    body = data.read_bytes() if isinstance(data, Path) else data
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return requests.post(
        f"{server.url}/{USER}/dev/",
        timeout=120,
        headers={"Authorization": f"Basic {auth}"},
        data={":action": action, "name": name, "version": "1.0", "protocol_version": "1"},
        files={"content": (filename, body)},
    )


def doc_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<html><body>docs</body></html>")
    return buffer.getvalue()


def test_archive_bombs_are_refused_with_bounded_memory(server, tmp_path, clients_env):
    # warm up every code path with valid files through a real client (lazy
    # imports, caches), so what is measured after is the bombs alone
    warm = tmp_path / "warm"
    files = [make_wheel(warm, "warm", "1.0"), make_sdist(warm, "warm", "1.0")]
    twine(clients_env, f"{server.url}/{USER}/dev/", files, USER, PASSWORD)
    for _ in range(2):  # both workers, probably
        assert (
            post(server, "warm-1.0.doc.zip", doc_zip(), "warm", action="doc_upload").status_code
            == 200
        )
    stored_before = stored_files(server)
    master = server.process.pid
    before = peaks(master)
    assert before, "no gunicorn workers found"

    cases = [
        # a 200 kB zip sdist whose PKG-INFO inflates to 200 MB
        (
            "zipbomb",
            lambda d: bombs.zip_sdist_pkg_info_bomb(d, "zipbomb", "1.0"),
            "file_upload",
            "PKG-INFO is larger than the limit of 10485760 bytes",
        ),
        # a wheel whose METADATA inflates to 200 MB
        (
            "wheelbomb",
            lambda d: bombs.wheel_metadata_bomb(d, "wheelbomb", "1.0"),
            "file_upload",
            "METADATA is larger than the limit of 10485760 bytes",
        ),
        # a 2 MB tar.gz of 2 GiB of zeros, PKG-INFO last
        (
            "tarbomb",
            lambda d: bombs.tar_gz_bomb(d, "tarbomb", "1.0"),
            "file_upload",
            "inflates to more than the limit of 268435456 bytes",
        ),
        # a zip sdist with 400k entries, and one whose end record hides them
        (
            "manyentries",
            lambda d: bombs.zip_with_entries(d / "manyentries-1.0.zip", 400_000),
            "file_upload",
            "has 400000 entries, more than the limit of 100000",
        ),
        (
            "lyingentries",
            lambda d: bombs.zip_with_entries(d / "lyingentries-1.0.zip", 400_000, declared=3),
            "file_upload",
            "has more than the limit of 100000 entries",
        ),
        # a documentation zip with 400k entries
        (
            "docbomb",
            lambda d: bombs.zip_with_entries(d / "docbomb-1.0.doc.zip", 400_000),
            "doc_upload",
            "documentation zip has 400000 entries, more than the limit of 10000",
        ),
    ]
    for name, make, action, message in cases:
        (tmp_path / name).mkdir()
        path = make(tmp_path / name)
        started = time.monotonic()
        r = post(server, path.name, path, name, action=action)
        elapsed = time.monotonic() - started
        assert r.status_code == 400, (name, r.status_code, r.text[:300])
        assert message in r.reason, (name, r.reason)
        assert elapsed < 20, (name, elapsed)
        print(f"{name}: {r.status_code} in {elapsed:.2f} s: {r.reason}")
        # nothing stored: no release, no file row, no blob
        listing = server.api("GET", f"/{USER}/dev/{name}")
        assert listing.status_code == 404, (name, listing.text[:300])
        assert stored_files(server) == stored_before, name

    after = peaks(master)
    grown = {pid: after[pid] - before.get(pid, after[pid]) for pid in after}
    assert set(after) == set(before), "a worker was replaced (killed by a bomb?)"
    print("peak memory growth per worker (bytes):", grown)
    assert max(grown.values()) < MEMORY_BOUND, grown
    # the valid files are still there and served
    simple = requests.get(f"{server.url}/{USER}/dev/+simple/warm/", timeout=30)
    assert simple.status_code == 200 and "warm-1.0.tar.gz" in simple.text
