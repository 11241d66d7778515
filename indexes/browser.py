"""What only a browser's visit uses: a session, CSRF, the session's user,
messages and ``X-Frame-Options``, as Django's five middlewares do them, in
one layer (``BrowserMiddleware``).

Installers (simple pages, files) send no cookie and never look at a session
or at messages; Django's own middlewares build both on every request. The
session and the messages here are made on first use, and their response
work is skipped when nothing used them, which is exactly what Django's would
have done: with no session cookie sent and the session never touched,
SessionMiddleware neither saves, deletes nor varies; untouched message
storage has nothing to store.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.handlers.exception import response_for_exception
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.functional import SimpleLazyObject, empty

from .middleware import header_entries


def _lazy(func) -> SimpleLazyObject:
    """``SimpleLazyObject(func)``, the same object made without the five
    Python-level calls of its ``__init__`` (through ``LazyObject``'s own
    ``__getattribute__`` and ``__setattr__``): two on every request."""
    value = object.__new__(SimpleLazyObject)
    state = object.__getattribute__(value, "__dict__")
    state["_setupfunc"] = func
    state["_wrapped"] = empty
    return value


def _untouched(value) -> bool:
    return type(value) is SimpleLazyObject and object.__getattribute__(value, "_wrapped") is empty


class LazySessionMiddleware(SessionMiddleware):
    def process_request(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            super().process_request(request)
        else:
            store = self.SessionStore
            request.session = _lazy(lambda: store(None))

    def process_response(self, request, response):
        if _untouched(request.__dict__.get("session")):
            return response
        return super().process_response(request, response)


class LazyMessageMiddleware(MessageMiddleware):
    def process_request(self, request):
        request._messages = _lazy(lambda: default_storage(request))

    def process_response(self, request, response):
        if _untouched(request.__dict__.get("_messages")):
            return response
        return super().process_response(request, response)


class _LazyAuthentication(AuthenticationMiddleware):
    """Django's ``AuthenticationMiddleware.process_request``, with the lazy
    user made by ``_lazy``."""

    def process_request(self, request):
        if not hasattr(request, "session"):
            return super().process_request(request)  # Django's error
        request.user = _lazy(lambda: auth_middleware.get_user(request))
        request.auser = partial(auth_middleware.auser, request)
        return None


def _frame_options_value() -> str:
    """Django's ``XFrameOptionsMiddleware.get_xframe_options_value``."""
    return getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()


class BrowserMiddleware:
    """In one layer, what these five did as five, innermost last:
    ``LazySessionMiddleware``, Django's ``CsrfViewMiddleware`` and
    ``AuthenticationMiddleware``, ``LazyMessageMiddleware`` and Django's
    ``XFrameOptionsMiddleware``. Each one's own methods run in the order
    Django's chain ran them, and each inside Django's exception handler as
    there: an error in one's step becomes the reply the outer ones see. What
    is saved is the chain (four layers and their handlers); the
    ``X-Frame-Options`` header is stored the quick way. ``indexes/checks.py``
    runs Django's checks of these middlewares and their settings for it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.session = LazySessionMiddleware(get_response)
        self.csrf = CsrfViewMiddleware(get_response)
        self.auth = _LazyAuthentication(get_response)
        self.messages = LazyMessageMiddleware(get_response)
        # CSRF checks the view (Django collects process_view from each layer)
        self.process_view = self.csrf.process_view
        value = _frame_options_value()
        self.frame_options = (value, header_entries(("X-Frame-Options", value))[0])

    def __call__(self, request):
        response = self.session.process_request(request)
        if response is None:
            try:  # as in the exception handler around CsrfViewMiddleware
                if settings.CSRF_USE_SESSIONS or settings.CSRF_COOKIE_NAME in request.COOKIES:
                    # without a cookie (installers) it would look for one,
                    # catch the KeyError, and do nothing
                    response = self.csrf.process_request(request)
                if response is None:
                    response = self._user(request)
                response = self.csrf.process_response(request, response)
            except Exception as exc:
                response = response_for_exception(request, exc)
        return self.session.process_response(request, response)

    def _user(self, request):
        """AuthenticationMiddleware (no response step) and the inner two."""
        try:
            response = self.auth.process_request(request)
            if response is None:
                try:  # LazyMessageMiddleware's handler
                    response = self.messages.process_request(request)
                    if response is None:
                        try:  # XFrameOptionsMiddleware's handler
                            response = self._frame_options(self.get_response(request))
                        except Exception as exc:
                            response = response_for_exception(request, exc)
                    response = self.messages.process_response(request, response)
                except Exception as exc:
                    response = response_for_exception(request, exc)
            return response
        except Exception as exc:
            return response_for_exception(request, exc)

    def _frame_options(self, response):
        """Django's ``XFrameOptionsMiddleware.process_response``: the setting's
        value, unless the reply has the header or is exempt
        (``xframe_options_exempt``)."""
        store = getattr(response.headers, "_store", None)
        if store is None:  # not Django's ResponseHeaders: the ordinary way
            if response.get("X-Frame-Options") is None and not getattr(
                response, "xframe_options_exempt", False
            ):
                response.headers["X-Frame-Options"] = _frame_options_value()
            return response
        if "x-frame-options" in store or getattr(response, "xframe_options_exempt", False):
            return response
        value = _frame_options_value()
        if value == self.frame_options[0]:
            key, entry = self.frame_options[1]
            store[key] = entry
        else:  # the setting changed since start-up (tests)
            response.headers["X-Frame-Options"] = value
        return response
