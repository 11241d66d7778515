"""Headers every devpi reply carries, and domain errors turned into replies."""

from __future__ import annotations

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
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DevpiError):
            return error_response(request, exception)
        return None


# The web UI needs nothing but its own static files: no inline scripts or
# styles, no images, fonts or frames from other hosts. Responses that set
# their own policy (documentation pages: a sandbox) keep it.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
