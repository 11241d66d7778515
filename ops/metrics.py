"""Prometheus metrics, correct across gunicorn workers and Celery workers.

prometheus-client's multiprocess mode: every process writes its own values to
memory-mapped files in ``DEVPI_METRICS_DIR``, and ``/+metrics`` adds them up.
The mode is chosen when prometheus_client is first imported, so the server
(``gunicorn_conf.py``) and the Celery app (``devpi_django/celery.py``) call
:func:`enable_multiprocess` before anything imports this module's metrics.
A process where it was not called (tests in-process, ``manage.py``) counts in
its own memory.

Counters are looked up once per label combination and kept in a dict, so the
request middleware costs a dict lookup and two increments per request.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from .multiproc import MULTIPROC_ENV

REQUESTS = Counter(
    "devpi_http_requests",
    "HTTP requests by route kind, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "devpi_http_request_duration_seconds",
    "HTTP request latency by route kind",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
MIRROR_PAGES = Counter(
    "devpi_mirror_pages",
    "Mirror project pages asked for, by cache result "
    "(hit: fresh; stale: expired page served while a refresh is pending or "
    "the upstream fails; miss: fetched from upstream while the client waits)",
    ["result"],
)
MIRROR_FILES = Counter("devpi_mirror_files", "Mirror files asked for, by cache result", ["result"])
MIRROR_REFRESHES = Counter(
    "devpi_mirror_refreshes",
    "Background refreshes of mirror pages, by how they were run (task or thread)",
    ["via"],
)
UPSTREAM_ERRORS = Counter("devpi_mirror_upstream_errors", "Failed requests to mirror upstreams")
UPLOADS = Counter("devpi_uploads", "Release files stored by uploads")
UPLOAD_BYTES = Counter("devpi_upload_bytes", "Bytes of release files stored by uploads")
TASKS = Counter(
    "devpi_celery_tasks",
    "Celery tasks by name and state (sent, succeeded, failed, retried)",
    ["task", "state"],
)

_request_children: dict = {}
_latency_children: dict = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    child = _request_children.get(key)
    if child is None:
        child = _request_children[key] = REQUESTS.labels(route, method, str(status))
    child.inc()
    latency = _latency_children.get(route)
    if latency is None:
        latency = _latency_children[route] = LATENCY.labels(route)
    latency.observe(seconds)


def mirror_page(result: str) -> None:
    MIRROR_PAGES.labels(result).inc()


def mirror_file(result: str) -> None:
    MIRROR_FILES.labels(result).inc()


def mirror_refresh(via: str) -> None:
    MIRROR_REFRESHES.labels(via).inc()


def upstream_error() -> None:
    UPSTREAM_ERRORS.inc()


def upload(size: int) -> None:
    UPLOADS.inc()
    UPLOAD_BYTES.inc(size)


def task(name: str, state: str) -> None:
    TASKS.labels(name, state).inc()


def exposition() -> tuple[bytes, str]:
    """The text format of every metric, summed over all processes."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    return generate_latest(registry), CONTENT_TYPE_LATEST
