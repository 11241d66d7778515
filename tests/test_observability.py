"""Health, metrics and logs of a real gunicorn: readiness follows a Redis
that stops and comes back, metrics summed over several workers move with
real pip and twine traffic, JSON log lines carry the request id."""

from __future__ import annotations

import json
import shutil
import sys
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from .clients import pip_download, twine
from .factories import make_wheel
from .live import start_server
from .ownredis import OwnRedis
from .upstream import Fault, start_upstream

pytestmark = pytest.mark.live
PY = sys.executable


def wait_for(predicate, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return result


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs the redis-server binary")
def test_readiness_follows_redis(tmp_path):
    own = OwnRedis(tmp_path / "redis")
    own.start()
    server, cleanup = start_server(workers=2, extra_env={"REDIS_URL": own.url})
    try:
        ready = f"{server.url}/+health/ready"
        r = requests.get(ready, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["checks"]["redis"] == {
            **r.json()["checks"]["redis"],
            "ok": True,
            "mode": "redis",
            "uses": ["broker", "cache"],
        }
        own.stop()
        r = requests.get(ready, timeout=10)
        assert r.status_code == 503, r.text
        assert r.json()["status"] == "unready"
        assert r.json()["checks"]["redis"]["ok"] is False
        assert r.json()["checks"]["database"]["ok"] is True
        # liveness does not depend on Redis
        assert requests.get(f"{server.url}/+health/live", timeout=10).status_code == 200
        own.start()  # same port
        wait_for(lambda: requests.get(ready, timeout=10).status_code == 200, "readiness")
    finally:
        own.stop()
        cleanup()


def scrape(url: str) -> dict[tuple, float]:
    r = requests.get(f"{url}/+metrics", timeout=10)
    assert r.status_code == 200, r.text
    values = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def total(values: dict, name: str, **labels) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in values.items() if n == name and want <= set(ls))


def test_metrics_and_logs_with_real_clients(tmp_path, clients_env, unique):
    upstream = start_upstream(tmp_path / "upstream")
    server, cleanup = start_server(
        workers=3,
        extra_env={
            "DEVPI_LOG_FORMAT": "json",
            "DEVPI_MIRROR_TIMEOUT": "10",
            "DEVPI_ALLOW_PRIVATE_UPSTREAMS": "127.0.0.1,localhost,::1",
        },
    )
    try:
        s = server
        user = f"obs{unique}"
        s.create_user(user)
        s.create_index(user, "dev")
        s.create_index(user, "up", type="mirror", mirror_url=upstream.url, mirror_cache_expiry=3600)
        before = scrape(s.url)
        wheel = make_wheel(tmp_path / "dist", f"obs-{unique}", "1.0")
        done = twine(clients_env, f"{s.url}/{user}/dev/", [wheel], user, "secret", check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        for n in range(6):
            pip_download(
                clients_env,
                f"{s.url}/{user}/dev/+simple/",
                f"obs-{unique}",
                dest=tmp_path / f"d{n}",
            )
        mirrored = upstream.add(f"mir-{unique}", "1.0")
        for n in range(2):  # a miss, then a hit, for the page and the file
            pip_download(
                clients_env, f"{s.url}/{user}/up/+simple/", f"mir-{unique}", dest=tmp_path / f"m{n}"
            )
        # the page expires: served at once, stale, while the refresh (a thread:
        # no broker) waits on a slow upstream
        r = s.api("PATCH", f"/{user}/up", {"mirror_cache_expiry": 1}, auth=(user, "secret"))
        assert r.status_code == 200, r.text
        time.sleep(1.5)
        newer = upstream.add(f"mir-{unique}", "2.0")
        upstream.faults = {f"/simple/mir-{unique}": Fault(delay=8)}
        started = time.monotonic()
        r = requests.get(f"{s.url}/{user}/up/+simple/mir-{unique}/", timeout=30)
        assert time.monotonic() - started < 5  # not the 8 s of the upstream
        assert r.status_code == 200 and "X-Devpi-Stale" in r.headers
        assert mirrored.name in r.text and newer.name not in r.text
        upstream.faults = {}
        wait_for(
            lambda: (
                newer.name
                in requests.get(f"{s.url}/{user}/up/+simple/mir-{unique}/", timeout=30).text
            ),
            "the refresh",
        )
        after = scrape(s.url)

        def moved(name, **labels):
            return total(after, name, **labels) - total(before, name, **labels)

        assert moved("devpi_http_requests_total", route="simple-project", status="200") >= 8
        assert moved("devpi_http_requests_total", route="file", status="200") >= 8
        assert moved("devpi_http_request_duration_seconds_count", route="simple-project") >= 8
        assert moved("devpi_uploads_total") == 1
        assert moved("devpi_upload_bytes_total") == wheel.stat().st_size
        assert moved("devpi_mirror_pages_total", result="miss") >= 1
        assert moved("devpi_mirror_pages_total", result="hit") >= 1
        assert moved("devpi_mirror_pages_total", result="stale") >= 1
        assert moved("devpi_mirror_files_total", result="miss") == 1
        assert moved("devpi_mirror_files_total", result="hit") >= 1
        assert moved("devpi_mirror_refreshes_total", via="thread") >= 1
        # counted by more than one worker, summed in one answer
        workers = {p.name.rpartition("_")[2] for p in (s.data_dir / "metrics").glob("counter_*")}
        assert len(workers) >= 2, workers
        # an upstream failure is counted
        upstream.faults = {"/simple/": Fault(status=500)}
        assert (
            requests.get(f"{s.url}/{user}/up/+simple/none-{unique}/", timeout=30).status_code == 502
        )
        assert total(scrape(s.url), "devpi_mirror_upstream_errors_total") >= 1

        # JSON logs: one object per line, with the request id given by the client
        r = requests.get(
            f"{s.url}/{user}/dev/+simple/obs-{unique}/",
            headers={"X-Request-ID": f"trace-{unique}"},
            timeout=30,
        )
        assert r.headers["X-Request-ID"] == f"trace-{unique}"
        r = s.api("GET", f"/{user}/dev", auth=(user, "secret"))
        request_id = r.headers["X-Request-ID"]

        def lines():
            out = []
            for text in s.log().splitlines():
                if text.startswith("{"):
                    out.append(json.loads(text))
            return out

        mine = wait_for(
            lambda: [line for line in lines() if line.get("request_id") == f"trace-{unique}"],
            "the log",
        )
        assert mine[0]["route"] == "simple-project" and mine[0]["status"] == 200
        assert {"time", "level", "logger", "message", "user"} <= set(mine[0])
        authed = wait_for(
            lambda: [line for line in lines() if line.get("request_id") == request_id], "the log"
        )
        assert authed[0]["user"] == user and authed[0]["route"] == "index"
    finally:
        upstream.stop()
        cleanup()
