"""Request ids, the JSON log format, health and metrics views, in-process."""

from __future__ import annotations

import cProfile
import ipaddress
import json
import logging
import pstats
import time

import pytest
from django.test import Client

from ops import context, metrics
from ops.logs import RequestContextFilter, json_formatter
from ops.views import address_allowed
from tests.live import free_port

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "header, kept",
    [
        ("abc-123", True),
        ("a.b:c_d", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("", False),
        (None, False),
        ("bad id", False),
        ("bad\nid", False),
        ("<script>", False),
    ],
)
def test_request_id_from_header(header, kept):
    value = context.request_id_from(header)
    assert (value == header) is kept
    assert 1 <= len(value) <= 128


def test_request_id_returned_and_generated():
    client = Client()
    r = client.get("/+health/live", HTTP_X_REQUEST_ID="req-42")
    assert r.status_code == 200 and r.json() == {"status": "live"}
    assert r["X-Request-ID"] == "req-42"
    generated = client.get("/+health/live", HTTP_X_REQUEST_ID="no spaces allowed")["X-Request-ID"]
    assert generated != "no spaces allowed" and len(generated) == 32


def test_readiness_ok_and_unready_when_redis_does_not_answer(settings):
    r = Client().get("/+health/ready")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "ready"
    assert {k for k, v in body["checks"].items() if v["ok"]} == {"database", "redis", "storage"}
    assert body["checks"]["redis"]["mode"] == "embedded"
    settings.DEVPI_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens
    started = time.monotonic()
    r = Client().get("/+health/ready")
    assert time.monotonic() - started < 5
    assert r.status_code == 503
    assert r.json()["checks"]["redis"]["ok"] is False
    assert "ConnectionError" in r.json()["checks"]["redis"]["error"]


def test_readiness_reports_mirrors(settings):
    from django.contrib.auth import get_user_model

    from indexes.services.indexes import index_create
    from mirror.services import _record_contact

    owner = get_user_model().objects.create(username="o")
    mirror = index_create(
        owner=owner, name="m", data={"type": "mirror", "mirror_url": "http://127.0.0.1:9/simple/"}
    )
    _record_contact(mirror)
    _record_contact(mirror, "error 500 getting http://127.0.0.1:9/simple/x/")
    body = Client().get("/+health/ready").json()
    report = body["mirrors"]["indexes"]["o/m"]
    assert report["upstream_failing"] is True and "error 500" in report["last_error"]
    assert report["last_contact"]
    _record_contact(mirror)
    report = Client().get("/+health/ready").json()["mirrors"]["indexes"]["o/m"]
    assert report["upstream_failing"] is False and report["last_error"] is None


def test_metrics_only_for_allowed_addresses(settings):
    r = Client().get("/+metrics")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/plain")
    assert b"devpi_http_requests_total" in r.content
    # a proxy forwarding an outside client: every hop must be allowed
    r = Client().get("/+metrics", HTTP_X_FORWARDED_FOR="203.0.113.9, 127.0.0.1")
    assert r.status_code == 403
    settings.DEVPI_METRICS_ALLOWED = [ipaddress.ip_network("10.0.0.0/8")]
    assert Client().get("/+metrics").status_code == 403
    assert Client().get("/+metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


@pytest.mark.parametrize(
    "address, allowed",
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("", False),
        ("not-an-ip", False),
    ],
)
def test_address_allowed(address, allowed):
    networks = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
    assert address_allowed(address, networks) is allowed


def _sample(name: str, **labels) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_request_metrics_by_route_status_and_latency():
    before = _sample("devpi_http_requests_total", route="health-live", method="GET", status="200")
    before_404 = _sample("devpi_http_requests_total", route="unmatched", method="GET", status="404")
    hist = _sample("devpi_http_request_duration_seconds_count", route="health-live")
    client = Client()
    for _ in range(3):
        client.get("/+health/live")
    client.get("/+nothing/here")
    assert (
        _sample("devpi_http_requests_total", route="health-live", method="GET", status="200")
        == before + 3
    )
    assert (
        _sample("devpi_http_requests_total", route="unmatched", method="GET", status="404")
        == before_404 + 1
    )
    assert _sample("devpi_http_request_duration_seconds_count", route="health-live") == hist + 3


def test_metrics_middleware_is_cheap():
    """The per-request cost on the hot path, counted rather than timed (a
    timing depends on the machine's load): once a route's labels are looked
    up, observing a request makes a handful of calls (15 today)."""
    metrics.observe_request("simple-project", "GET", 200, 0.001)  # labels looked up once
    n = 100
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        metrics.observe_request("simple-project", "GET", 200, 0.001)
    profile.disable()
    calls = pstats.Stats(profile).total_calls / n
    assert calls <= 25, f"{calls:.1f} calls per request"


def test_json_log_line_carries_request_context():
    record = logging.LogRecord(
        "indexes.views", logging.WARNING, __file__, 1, "hello %s", ("world",), None
    )

    class Request:
        request_id = "rid-1"
        path_info = "/alice/dev/+simple/x/"
        resolver_match = type("M", (), {"url_name": "simple-project", "view_name": ""})()
        _devpi_user = type("U", (), {"is_authenticated": True, "username": "alice"})()

    token = context.current_request.set(Request())
    try:
        RequestContextFilter().filter(record)
    finally:
        context.current_request.reset(token)
    line = json.loads(json_formatter().format(record))
    assert line["message"] == "hello world"
    assert line["level"] == "WARNING" and line["logger"] == "indexes.views"
    assert line["request_id"] == "rid-1" and line["user"] == "alice"
    assert line["route"] == "simple-project"
    assert line["time"]
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    RequestContextFilter().filter(outside)
    assert json.loads(json_formatter().format(outside))["request_id"] == ""


@pytest.mark.parametrize(
    "argv, worker",
    [
        (["/srv/.venv/bin/celery", "-A", "devpi_django", "worker"], True),
        (
            ["/srv/lib/python3/site-packages/celery/__main__.py", "-A", "devpi_django", "worker"],
            True,
        ),
        (["/srv/.venv/bin/celery", "-A", "devpi_django", "beat"], False),
        (["manage.py", "devpi", "worker"], False),
        (["/srv/.venv/bin/gunicorn", "worker"], False),
    ],
)
def test_celery_workers_count_in_the_shared_metrics_dir(argv, worker):
    from devpi_django.celery import _is_celery_worker

    assert _is_celery_worker(argv) is worker
