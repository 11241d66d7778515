"""Per request: an id (``X-Request-ID`` taken or made, and returned), the
request in the logging context, and the Prometheus request metrics. On the
hot path this is a context variable, two clock reads and two increments."""

from __future__ import annotations

import logging
import time

from django.conf import settings

from . import metrics
from .context import current_request, request_id_from, route_of, user_of

access_log = logging.getLogger("ops.access")


class RequestObservabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.access = settings.DEVPI_LOG_FORMAT == "json"

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        token = current_request.set(request)
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            route = route_of(request)
            metrics.observe_request(route, request.method, response.status_code, elapsed)
            response["X-Request-ID"] = request.request_id
            if self.access:
                access_log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "status": response.status_code,
                        "method": request.method,
                        "path": request.path,
                        "duration_ms": round(elapsed * 1000, 3),
                        "user_name": user_of(request),
                    },
                )
            return response
        finally:
            current_request.reset(token)
