"""Stale-while-revalidate with a broker: an expired mirror page is answered
at once from the cache, and a separate Celery worker process refreshes it
(one task per project, however many requests saw it expired). The verbs
``refresh`` and ``prefetch`` go through the same worker and cache."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .live import REPO, VENV_BIN, start_server, stop_process
from .ownredis import OwnRedis
from .test_observability import scrape, total, wait_for
from .upstream import Fault, start_upstream

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs the redis-server binary"),
]
PY = sys.executable


@pytest.fixture
def cluster(tmp_path):
    """Redis (our own), a gunicorn with it as broker, a Celery worker."""
    own = OwnRedis(tmp_path / "redis")
    own.start()
    server, cleanup = start_server(
        workers=2,
        extra_env={
            "CELERY_BROKER_URL": own.url,
            "DEVPI_MIRROR_TIMEOUT": "20",
            "DEVPI_ALLOW_PRIVATE_UPSTREAMS": "127.0.0.1,localhost,::1",
        },
    )
    log = open(tmp_path / "worker.log", "wb")
    worker = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "devpi_django",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        env=server.env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield server, worker, tmp_path / "worker.log"
    finally:
        stop_process(worker)
        log.close()
        cleanup()
        own.stop()


def manage(server, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "manage.py", *args],
        env=server.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_expired_page_served_from_cache_and_refreshed_by_a_worker(
    cluster, tmp_path, unique, clients_env
):
    server, worker, worker_log = cluster
    upstream = start_upstream(tmp_path / "upstream")
    try:
        user = f"cel{unique}"
        server.create_mirror_user(user, upstream.url, mirror="up", expiry=2)
        name = f"swr-{unique}"
        first = upstream.add(name, "1.0")
        url = f"{server.url}/{user}/dev/+simple/{name}/"
        r = requests.get(url, timeout=30)  # never seen: waits for the upstream once
        assert r.status_code == 200 and first.name in r.text and "X-Devpi-Stale" not in r.headers
        page = f"GET /simple/{name}/"
        assert upstream.hits(page) == 1
        time.sleep(2.5)  # expired
        newer = upstream.add(name, "2.0")
        upstream.faults = {f"/simple/{name}": Fault(delay=10)}  # a slow upstream
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: requests.get(url, timeout=30), range(8)))
        # every request answered from the cache, none waited on the 10 s upstream
        # (the bound leaves room for a loaded machine)
        assert time.monotonic() - started < 7
        for r in answers:
            assert r.status_code == 200 and "X-Devpi-Stale" in r.headers
            assert first.name in r.text and newer.name not in r.text
        # the worker refreshes: the new release shows up, the marker goes away
        fresh = wait_for(
            lambda: (lambda r: r if newer.name in r.text else None)(requests.get(url, timeout=30)),
            "the worker's refresh",
            timeout=60,
        )
        assert "X-Devpi-Stale" not in fresh.headers
        assert upstream.hits(page) == 2  # one refresh for the eight requests
        text = worker_log.read_text(errors="replace")
        assert "mirror.tasks.mirror_refresh_expired" in text and "succeeded" in text
        metrics = scrape(server.url)
        assert total(metrics, "devpi_mirror_refreshes_total", via="task") == 1
        assert total(metrics, "devpi_mirror_pages_total", result="stale") >= 8
        # counted by the worker process, summed into the server's /+metrics
        assert (
            total(
                metrics,
                "devpi_celery_tasks_total",
                task="mirror.tasks.mirror_refresh_expired",
                state="succeeded",
            )
            == 1
        )
        upstream.faults = {}

        # manage.py devpi refresh: queued, the worker fetches
        newest = upstream.add(name, "3.0")
        done = manage(server, "devpi", "refresh", "--index", f"{user}/dev", name)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip() == f"{user}/up {name}: queued"
        wait_for(lambda: newest.name in requests.get(url, timeout=30).text, "the refresh verb")
        assert upstream.hits(page) == 3

        # manage.py devpi prefetch: the files land in the cache, then pip works offline
        other = upstream.add(f"pre-{unique}", "1.0")
        req = tmp_path / "requirements.txt"
        req.write_text(f"{name}==2.0\npre-{unique}\n")
        done = manage(server, "devpi", "prefetch", "--index", f"{user}/dev", "-r", str(req))
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"pre-{unique}: {other.name}" in done.stdout
        assert done.stdout.splitlines()[-1].startswith("prefetch: 2/2 requirements")
        assert done.stderr == ""  # not a terminal: no bar
        upstream.stop()
        dest = tmp_path / "offline"
        proc = subprocess.run(
            [
                PY,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-d",
                str(dest),
                "-i",
                f"{server.url}/{user}/dev/+simple/",
                f"{name}==2.0",
                f"pre-{unique}",
            ],
            env=clients_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert sorted(p.name for p in dest.iterdir()) == sorted([newer.name, other.name])
        assert worker.poll() is None, "the worker died"
    finally:
        upstream.stop()
