"""``DevpiView``: DRF's ``APIView`` as devpi's wire needs it, and as cheap as
a cached simple page allows.

What DRF does per request and what this class changes:
- renderers, parsers and authenticators are stateless singletons of the
  class (DRF builds new instances per request);
- authentication is lazy: ``request.user`` is worked out when a view asks
  (DRF authenticates every request up front);
- no ``Allow`` and ``Vary`` defaults on every response (the pages set their
  own ``Vary``; a 405 gets ``Allow`` from the exception handler);
- devpi's ``PUSH`` method is a method like the others (``def push``).
"""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import MethodNotAllowed
from .authentication import AUTHENTICATORS
from .negotiation import DevpiNegotiation
from .parsers import JSON_PARSERS
from .renderers import JSON_RENDERERS

_NEGOTIATOR = DevpiNegotiation()
NO_HEADERS: dict = {}


class DevpiView(APIView):
    renderers: tuple = JSON_RENDERERS
    parsers: tuple = JSON_PARSERS
    authenticators: tuple = AUTHENTICATORS
    permission_classes: tuple = ()
    throttle_classes: tuple = ()
    http_method_names = [*APIView.http_method_names, "push"]

    def get_renderers(self):
        return self.renderers

    def get_parsers(self):
        return self.parsers

    def get_authenticators(self):
        return self.authenticators

    def get_content_negotiator(self):
        return _NEGOTIATOR

    def get_permissions(self):
        return ()

    def get_throttles(self):
        return ()

    def perform_authentication(self, request):
        """Lazy: ``request.user`` authenticates on first use."""

    @property
    def default_response_headers(self):
        return NO_HEADERS

    def finalize_response(self, request, response, *args, **kwargs):
        """A ``Response`` gets its renderer; a ready ``HttpResponse`` (a cached
        page's stored bytes, a file) goes out as it is."""
        if isinstance(response, Response):
            return super().finalize_response(request, response, *args, **kwargs)
        return response

    def options(self, request, *args, **kwargs):
        raise MethodNotAllowed(f"method {request.method} not allowed here")


class SimplePageView(DevpiView):
    """A view that answers with simple pages (and, where the URL serves
    browsers too, more renderers listed after them)."""

    authenticators: tuple = ()
