"""The clients the run times, each a fresh process with no cache: pip,
uv, twine, and single requests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.live import VENV_BIN, client_env

from .common import JSON, PASSWORD, USER, ClientError
from .servers import LOCAL_ENV


def run_client(cmd: list, env: dict, what: str, timeout: float = 900) -> float:
    started = time.monotonic()
    proc = subprocess.run(
        [str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=timeout
    )
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise ClientError(
            f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return elapsed


def pip_download(workdir: Path, args: list, names: list[str], what: str) -> float:
    """One ``pip download`` in a fresh process with no pip cache; seconds."""
    home = workdir / "pip-home"
    dest = workdir / "pip-dest"
    shutil.rmtree(dest, ignore_errors=True)
    env = client_env(home, **LOCAL_ENV)
    seconds = run_client(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-cache-dir",
            "--progress-bar",
            "off",
            "-q",
            "-d",
            dest,
            *args,
            *names,
        ],
        env,
        what,
    )
    got = sorted(p.name for p in dest.iterdir()) if dest.exists() else []
    if len(got) != len(names):
        raise ClientError(f"{what}: expected {len(names)} files, got {got}")
    return seconds


def twine_upload(workdir: Path, url: str, files: list[Path]) -> float:
    env = client_env(workdir / "twine-home", **LOCAL_ENV)
    return run_client(
        [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            url,
            "-u",
            USER,
            "-p",
            PASSWORD,
            *files,
        ],
        env,
        f"twine upload to {url}",
    )


def check_page(
    url: str, accept: str | None, expect_files: int | None = None, expect_names: int | None = None
) -> bytes:
    """One request before the load: 200, the right content type and content."""
    headers = {"Accept": accept} if accept else {}
    r = requests.get(url, headers=headers, timeout=120)
    if r.status_code != 200:
        raise ClientError(f"GET {url} answered {r.status_code}: {r.text[:300]}")
    wants_json = accept == JSON
    if ("json" in r.headers.get("Content-Type", "")) != wants_json:
        raise ClientError(f"GET {url} (Accept: {accept}) answered {r.headers.get('Content-Type')}")
    if expect_files is not None:
        found = len(r.json()["files"]) if wants_json else r.text.count("<a ")
        if found != expect_files:
            raise ClientError(f"GET {url}: {found} files, expected {expect_files}")
    if expect_names is not None:
        found = len(r.json()["projects"]) if wants_json else r.text.count("<a ")
        if found != expect_names:
            raise ClientError(f"GET {url}: {found} projects, expected {expect_names}")
    return r.content


def timed_get(url: str, accept: str | None = None) -> float:
    headers = {"Accept": accept} if accept else {}
    started = time.perf_counter()
    r = requests.get(url, headers=headers, timeout=300)
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code != 200:
        raise ClientError(f"GET {url} answered {r.status_code}")
    return elapsed


def uv_install(workdir: Path, index_url: str, names: list[str], what: str) -> float:
    """One ``uv pip install --no-deps --target`` into a fresh directory, in a
    fresh process with no cache (``--no-cache``); seconds. uv fetches in
    parallel, as it does for a developer."""
    home = workdir / "uv-home"
    target = workdir / "uv-target"
    shutil.rmtree(target, ignore_errors=True)
    env = client_env(home, **LOCAL_ENV)
    seconds = run_client(
        [
            VENV_BIN / "uv",
            "pip",
            "install",
            "--no-config",
            "--no-cache",
            "--no-deps",
            "--quiet",
            "--python",
            sys.executable,
            "--target",
            target,
            "--index-url",
            index_url,
            *names,
        ],
        env,
        what,
    )
    got = {p.name.split("-")[0] for p in target.glob("*.dist-info")} if target.exists() else set()
    if len(got) != len(names):
        raise ClientError(f"{what}: expected {len(names)} installed, got {sorted(got)}")
    return seconds


def pip_concurrent(
    workdir: Path, index_url: str, names: list[str], clients: int, what: str, reruns: int = 0
) -> tuple[float, list[str], int]:
    """``clients`` pip downloads of ``names`` started at once, each in its
    own process and directory: the seconds until the last one finished, what
    each failed run said, and how many runs were repeated. A failed client
    is run again at once, at most ``reruns`` times (as a CI job would be
    retried); a failure is reported, not fatal: a server that drops a client
    under load has that noted next to its figure."""

    def client(n: int) -> tuple[list[str], int]:
        failed: list[str] = []
        for attempt in range(reruns + 1):
            try:
                pip_download(
                    workdir / f"client-{n}", ["-i", index_url], names, f"{what} (client {n})"
                )
                return failed, attempt
            except ClientError as exc:
                lines = [ln for ln in str(exc).splitlines() if ln.startswith("ERROR")]
                failed.append(lines[0] if lines else str(exc).splitlines()[0])
        return failed, reruns

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        runs = list(pool.map(client, range(clients)))
    seconds = time.monotonic() - started
    return seconds, [line for failed, _n in runs for line in failed], sum(n for _f, n in runs)
