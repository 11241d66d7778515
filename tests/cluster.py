"""A whole installation on loopback, every part a real process started here:
PostgreSQL (a database of its own on the local server), moto's S3 server,
our own redis-server (cache and broker), two gunicorn app servers with
empty data dirs of their own, a Celery worker and Celery beat, and Debian's
nginx in front (deploy/nginx). ``make test-cluster`` runs tests/test_cluster.py."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .live import (
    REPO,
    ROOT_PASSWORD,
    VENV_BIN,
    LiveServer,
    create_postgres_database,
    free_port,
    start_server,
    stop_process,
)
from .nginx import Nginx, start_nginx
from .ownredis import OwnRedis

POSTGRES_ADMIN = os.environ.get(
    "DEVPI_CLUSTER_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
S3_KEYS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
LOCAL_UPSTREAMS = "127.0.0.1,localhost,::1"


def children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after ")"
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def kill_server(server: LiveServer) -> None:
    """SIGKILL to the gunicorn master and each of its workers at once: a
    machine that dies, no graceful anything."""
    pids = children_of(server.process.pid) + [server.process.pid]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.process.wait(timeout=20)


@dataclass
class Moto:
    url: str
    process: subprocess.Popen

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def start_moto(log: Path) -> Moto:
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
    )
    moto = Moto(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(moto.url + "/moto-api/", timeout=2)
            return moto
        except requests.ConnectionError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.2)


def create_database() -> tuple[str, Callable[[], None]]:
    return create_postgres_database(POSTGRES_ADMIN, f"dd_cluster_{uuid.uuid4().hex[:10]}")


def _stopper(process: subprocess.Popen, log) -> Callable[[], None]:
    """Stops a Celery process, then closes its log."""

    def stop() -> None:
        stop_process(process)
        log.close()

    return stop


@dataclass
class Cluster:
    mode: str  # DEVPI_FILE_SERVING: redirect or x-accel-redirect
    directory: Path
    nginx: Nginx
    servers: list[LiveServer]
    worker: subprocess.Popen
    beat: subprocess.Popen
    moto: Moto
    bucket: str
    redis: OwnRedis
    env: dict
    _cleanups: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.nginx.url

    def log(self, name: str) -> str:
        path = self.directory / name
        return path.read_text(errors="replace") if path.exists() else ""

    def bucket_keys(self) -> set[str]:
        client = self.moto.client()
        keys: set[str] = set()
        token = None
        while True:
            kwargs = {"Bucket": self.bucket, **({"ContinuationToken": token} if token else {})}
            page = client.list_objects_v2(**kwargs)
            keys.update(item["Key"] for item in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return keys
            token = page["NextContinuationToken"]

    def stop(self) -> None:
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception as exc:  # keep stopping the others
                print(f"cluster: stopping failed: {exc}", file=sys.stderr)


def start_cluster(directory: Path, mode: str) -> Cluster:
    directory.mkdir(parents=True, exist_ok=True)
    cleanups: list = []
    try:
        redis = OwnRedis(directory / "redis")
        redis.start()
        cleanups.append(redis.stop)
        moto = start_moto(directory / "moto.log")
        cleanups.append(lambda: stop_process(moto.process))
        bucket = f"devpi-{uuid.uuid4().hex[:8]}"
        moto.client().create_bucket(Bucket=bucket)
        if mode == "x-accel-redirect":
            # nginx fetches objects itself: the bucket lets its address read
            # (docs/deploy.md), everything else still needs credentials
            moto.client().put_bucket_policy(
                Bucket=bucket,
                Policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "nginx",
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:GetObject",
                                "Resource": f"arn:aws:s3:::{bucket}/*",
                                "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}},
                            }
                        ],
                    }
                ),
            )
        database_url, drop = create_database()
        cleanups.append(drop)
        env = {
            "DATABASE_URL": database_url,
            "DEVPI_SECRET_KEY": secrets.token_urlsafe(40),
            "REDIS_URL": redis.url,
            "CELERY_BROKER_URL": redis.url[:-1] + "1",
            "DEVPI_STORAGE": "s3",
            "DEVPI_S3_BUCKET": bucket,
            "DEVPI_S3_ENDPOINT_URL": moto.url,
            "DEVPI_FILE_SERVING": mode,
            "DEVPI_ALLOW_PRIVATE_UPSTREAMS": LOCAL_UPSTREAMS,
            "DEVPI_MIRROR_TIMEOUT": "10",
            "DEVPI_LOG_FORMAT": "json",
            **S3_KEYS,
        }
        if mode == "x-accel-redirect":
            env["DEVPI_X_ACCEL_PREFIX"] = "/+s3blobs"
        servers = []
        for _ in range(2):
            server, cleanup = start_server(workers=2, extra_env=env)
            servers.append(server)
            cleanups.append(cleanup)
        processes = {}
        for name, args in (
            ("worker", ["worker", "--concurrency", "2", "--without-gossip", "--without-mingle"]),
            ("beat", ["beat", "--schedule", str(directory / "celerybeat-schedule")]),
        ):
            log = open(directory / f"{name}.log", "wb")
            processes[name] = subprocess.Popen(
                [str(VENV_BIN / "celery"), "-A", "devpi_django", *args, "-l", "info"],
                env=servers[0].env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            cleanups.append(_stopper(processes[name], log))
        nginx = start_nginx(
            directory / "nginx",
            [s.url.removeprefix("http://") for s in servers],
            "/nonexistent",
            max_body="64m",
            s3_origin=f"{moto.url}/{bucket}",
        )
        cleanups.append(nginx.stop)
        return Cluster(
            mode=mode,
            directory=directory,
            nginx=nginx,
            servers=servers,
            worker=processes["worker"],
            beat=processes["beat"],
            moto=moto,
            bucket=bucket,
            redis=redis,
            env=env,
            _cleanups=cleanups,
        )
    except BaseException:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception:
                pass
        raise


__all__ = ["Cluster", "start_cluster", "kill_server", "ROOT_PASSWORD"]
