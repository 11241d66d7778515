"""Headers every devpi reply carries, and domain errors turned into replies."""

from __future__ import annotations

from django.utils.cache import patch_cache_control, patch_vary_headers

from .errors import DevpiError
from .wire import add_server_headers, error_response, request_state, server_state


class DevpiHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(("/+static/", "/+admin/")):
            if request.method in ("GET", "HEAD"):
                uuid, serial = request_state(request)
            else:  # a write changed the serial after the view read it
                uuid, serial = server_state()
            add_server_headers(response, uuid, serial)
        if getattr(request, "_devpi_private", False):
            # a reply from an index that not everyone may read (acl_read)
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ("Authorization", "X-Devpi-Auth", "Cookie"))
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DevpiError):
            return error_response(request, exception)
        return None
