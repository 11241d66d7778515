"""``DevpiView``: DRF's ``APIView`` as devpi's wire needs it, and as cheap as
a cached simple page allows.

What DRF does per request and what this class changes:
- renderers, parsers and authenticators are stateless singletons of the
  class (DRF builds new instances per request);
- authentication is lazy: ``request.user`` is worked out when a view asks
  (DRF authenticates every request up front);
- no ``Allow`` and ``Vary`` defaults on every response (the pages set their
  own ``Vary``; a 405 gets ``Allow`` from the exception handler);
- devpi's ``PUSH`` method is a method like the others (``def push``);
- the request cycle is cut to what devpi's views use (a cached simple page
  goes through it thousands of times a second): ``DevpiRequest`` is DRF's
  ``Request`` with its per-request set-up done once in the class, and
  ``META`` and ``method`` at hand instead of proxied through ``__getattr__``;
  negotiation is cached (``negotiation``); no format suffixes, versioning
  is looked at only where a view sets a versioning class, permissions and
  throttles only where a view lists them; no ``csrf_exempt`` wrapper call
  (the view function is marked exempt itself, as DRF means it to be).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Empty, ForcedAuthentication, Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import MethodNotAllowed
from .authentication import AUTHENTICATORS
from .negotiation import DevpiNegotiation
from .parsers import JSON_PARSERS
from .renderers import JSON_RENDERERS

_NEGOTIATOR = DevpiNegotiation()
NO_HEADERS: dict = {}


class DevpiRequest(Request):
    """DRF's ``Request`` for ``DevpiView``: what ``Request.__init__`` sets up
    for every request is a class default here (nothing parsed yet) or made
    when first used (``parser_context``); the Django request's ``META`` and
    ``method`` are plain attributes (DRF would reach them through
    ``__getattr__``, an ``AttributeError`` each time)."""

    _data = _files = _full_data = _content_type = _stream = Empty
    version = versioning_scheme = None

    def __init__(self, request, view: DevpiView) -> None:
        self._request = request
        self._view = view
        self.META = request.META
        self.method = request.method
        self.parsers = view.parsers
        self.authenticators = view.authenticators
        self.negotiator = _NEGOTIATOR
        forced = request.__dict__  # APIRequestFactory's force_authenticate
        if "_force_auth_user" in forced or "_force_auth_token" in forced:
            user, token = forced.get("_force_auth_user"), forced.get("_force_auth_token")
            if user is not None or token is not None:
                self.authenticators = (ForcedAuthentication(user, token),)

    @property
    def parser_context(self) -> dict:
        context = self.__dict__.get("_parser_context")
        if context is None:
            context = self._view.get_parser_context(self._request)
            context["request"] = self
            context["encoding"] = self._request.encoding or settings.DEFAULT_CHARSET
            self._parser_context = context
        return context

    @parser_context.setter
    def parser_context(self, value: dict) -> None:
        self._parser_context = value


class DevpiView(APIView):
    """Views set the class attributes ``renderers``, ``parsers`` and
    ``authenticators`` (the ``get_*`` methods only return them)."""

    renderers: tuple = JSON_RENDERERS
    parsers: tuple = JSON_PARSERS
    authenticators: tuple = AUTHENTICATORS
    permission_classes: tuple = ()
    throttle_classes: tuple = ()
    http_method_names = [*APIView.http_method_names, "push"]

    @classmethod
    def as_view(cls, **initkwargs):
        """DRF's view function (its checks, its attributes), without the
        ``csrf_exempt`` wrapper (the function carries the flag itself) and
        without ``View.setup`` (``dispatch`` sets what it set)."""
        drf_view = super().as_view(**initkwargs).__wrapped__
        if initkwargs:
            drf_view.csrf_exempt = True
            return drf_view
        head_is_get = hasattr(cls, "get") and not hasattr(cls, "head")

        def view(request, *args, **kwargs):
            self = cls()
            if head_is_get:
                self.head = self.get
            return self.dispatch(request, *args, **kwargs)

        view.__dict__.update(drf_view.__dict__)
        view.__name__, view.__qualname__ = drf_view.__name__, drf_view.__qualname__
        view.__module__, view.__doc__ = drf_view.__module__, drf_view.__doc__
        view.csrf_exempt = True
        return view

    def initialize_request(self, request, *args, **kwargs):
        return DevpiRequest(request, self)

    def dispatch(self, request, *args, **kwargs):
        """DRF's ``dispatch`` minus what devpi's views never use."""
        self.args = args
        self.kwargs = kwargs
        request = self.request = DevpiRequest(request, self)
        self.headers = NO_HEADERS
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = (
                getattr(self, method, self.http_method_not_allowed)
                if method in self.http_method_names
                else self.http_method_not_allowed
            )
            response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        if isinstance(response, Response):
            response = self.finalize_response(request, response, *args, **kwargs)
        self.response = response
        return response

    def initial(self, request, *args, **kwargs):
        """Negotiation; versioning, permissions and throttles only where a
        view sets them; authentication when ``request.user`` is first used."""
        self.format_kwarg = None  # devpi's URLs have no format suffixes
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
            request
        )
        if self.versioning_class is not None:
            request.version, request.versioning_scheme = self.determine_version(
                request, *args, **kwargs
            )
        if self.permission_classes:
            self.check_permissions(request)
        if self.throttle_classes:
            self.check_throttles(request)

    def perform_content_negotiation(self, request, force=False):
        try:
            return _NEGOTIATOR.select_renderer(request, self.renderers)
        except Exception:
            if force:
                return (self.renderers[0], self.renderers[0].media_type)
            raise

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

    @property
    def allowed_methods(self):
        """What ``Allow`` lists on a 405: not OPTIONS, which devpi refuses."""
        return [method for method in super().allowed_methods if method != "OPTIONS"]


class SimplePageView(DevpiView):
    """A view that answers with simple pages (and, where the URL serves
    browsers too, more renderers listed after them)."""

    authenticators: tuple = ()
