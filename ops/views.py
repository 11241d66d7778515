"""``/+health/live``, ``/+health/ready`` and ``/+metrics``."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from . import health, metrics

NO_STORE = "no-store"


def live(request):
    """The process answers: nothing else is checked."""
    response = JsonResponse({"status": "live"})
    response["Cache-Control"] = NO_STORE
    return response


def ready(request):
    """200 when the database, Redis (when configured) and storage answer, else 503."""
    ok, body = health.readiness()
    response = JsonResponse(body, status=200 if ok else 503)
    response["Cache-Control"] = NO_STORE
    return response


def client_addresses(request) -> list[str]:
    """The peer, and every address a proxy says the request passed through."""
    addresses = [request.META.get("REMOTE_ADDR", "")]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    addresses.extend(part.strip() for part in forwarded.split(",")[:20] if part.strip())
    return addresses


def address_allowed(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


def metrics_view(request):
    """Prometheus text format. Every address the request came through (the
    peer and any ``X-Forwarded-For`` entry) must be in ``DEVPI_METRICS_ALLOWED``."""
    networks = settings.DEVPI_METRICS_ALLOWED
    if not all(address_allowed(a, networks) for a in client_addresses(request)):
        return HttpResponse(
            "metrics are not available to this address\n", status=403, content_type="text/plain"
        )
    body, content_type = metrics.exposition()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = NO_STORE
    return response
