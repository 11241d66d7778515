"""HTTP load: wrk (Debian's package) with ``wrk_report.lua``, or, in smoke
mode only when wrk is missing, a small Python loop with the same output."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

LUA = Path(__file__).resolve().parent / "wrk_report.lua"
JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"


class LoadError(RuntimeError):
    """The load generator failed or the server answered errors."""


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    tool: str
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    url: str, *, accept: str | None, connections: int, seconds: float, threads: int | None = None
) -> LoadResult:
    threads = threads or max(1, min(connections, os.cpu_count() or 1))
    wrk = wrk_binary()
    if wrk is None:
        raise LoadError("wrk is not installed")
    env = dict(os.environ, BENCH_ACCEPT=accept or "")
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_WRK ")), None)
    if proc.returncode != 0 or line is None:
        raise LoadError(f"wrk failed ({proc.returncode}) on {url}:\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(line[len("BENCH_WRK ") :])
    duration = data["duration_us"] / 1e6
    errors = (
        data["connect_errors"]
        + data["read_errors"]
        + data["write_errors"]
        + data["status_errors"]
        + data["timeouts"]
    )
    if data["status_errors"] or data["requests"] == 0:
        raise LoadError(
            f"wrk on {url}: {data['status_errors']} non-2xx/3xx answers out of {data['requests']}"
        )
    return LoadResult(
        rps=data["requests"] / duration,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        errors=errors,
        tool="wrk",
        seconds=duration,
    )


def run_python_loop(
    url: str, *, accept: str | None, connections: int, seconds: float
) -> LoadResult:
    """The smoke-mode fallback: ``connections`` threads, a new connection per
    request (as gunicorn's sync workers close them anyway)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    headers = {"Accept": accept} if accept else {}
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        mine, bad = [], 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except OSError:
                bad += 1
            finally:
                conn.close()
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    began = time.monotonic()
    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    elapsed = time.monotonic() - began
    if failures[0] or not latencies:
        raise LoadError(f"python load loop on {url}: {failures[0]} failed of {len(latencies)}")
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return LoadResult(
        rps=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=p99 * 1000,
        requests=len(latencies),
        errors=0,
        tool="python",
        seconds=elapsed,
    )


def measure(
    url: str,
    *,
    accept: str | None,
    connections: int,
    seconds: float,
    warmup: float,
    allow_fallback: bool,
) -> LoadResult:
    if wrk_binary() is None:
        if not allow_fallback:
            raise LoadError("wrk is not installed")
        if warmup:
            run_python_loop(url, accept=accept, connections=connections, seconds=warmup)
        return run_python_loop(url, accept=accept, connections=connections, seconds=seconds)
    if warmup:
        run_wrk(url, accept=accept, connections=connections, seconds=warmup)
    return run_wrk(url, accept=accept, connections=connections, seconds=seconds)
