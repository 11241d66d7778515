"""Headers every devpi reply carries, and domain errors turned into replies."""

from __future__ import annotations

from .errors import DevpiError
from .wire import add_server_headers, error_response, request_state, server_state


class DevpiHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # health and metrics answer even when the database does not
        if not request.path.startswith(("/+static/", "/+admin/", "/+health/", "/+metrics")):
            if request.method in ("GET", "HEAD"):
                uuid, serial = request_state(request)
            else:  # a write changed the serial after the view read it
                uuid, serial = server_state()
            add_server_headers(response, uuid, serial)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DevpiError):
            return error_response(request, exception)
        return None
