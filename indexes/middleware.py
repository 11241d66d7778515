"""Headers every devpi reply carries, domain errors turned into replies, and
the audit context of each request."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.handlers.exception import response_for_exception
from django.http import HttpResponsePermanentRedirect
from django.http.response import ResponseHeaders
from django.utils.cache import patch_cache_control, patch_vary_headers

from devpi_django import __version__

from .audit import ANONYMOUS, AuditContext, audit_record, context_enter, context_exit
from .errors import DevpiError
from .serverstate import API_VERSION, DEVPI_SERVER_COMPAT_VERSION, server_state
from .wire import add_server_headers, error_response, request_state

READ_METHODS = ("GET", "HEAD", "OPTIONS")
UNHEADED_PREFIXES = ("/+static/", "/+admin/", "/+health/", "/+metrics")


def header_entries(*pairs: tuple[str, str]) -> tuple[tuple[str, tuple[str, str]], ...]:
    """``(name, value)`` pairs made ready for ``set_headers``, checked once
    (ASCII, one line) as Django checks every header it is given."""
    for name, value in pairs:
        if not (name.isascii() and value.isascii()) or "\n" in value or "\r" in value:
            raise ValueError(f"header {name!r} is not plain ASCII on one line")
    return tuple((name.lower(), (name, value)) for name, value in pairs)


def set_headers(response, entries) -> None:
    """Set headers prepared by ``header_entries`` (or known to be plain ASCII
    on one line). Django's ``response[name] = value`` encodes and checks both
    on every call: for the constant headers of every reply, that work is done
    once, at start-up, and the entries go straight into the response's
    header store."""
    store = getattr(response.headers, "_store", None)
    if store is None:  # not Django's ResponseHeaders: the ordinary way
        for _key, (name, value) in entries:
            response[name] = value
    else:
        store.update(entries)


class _QuickHeaders(ResponseHeaders):
    """Django's response headers, quicker for what a cached page's reply
    meets on its way out through the middlewares (security headers,
    X-Frame-Options, request id): a plain ASCII one-line ``str`` name and
    value are stored as they are, which is all Django's check would do with
    them (anything else goes through that check); a missing header is looked
    up without raising and catching a ``KeyError``."""

    def __setitem__(self, key, value):
        if (
            type(key) is str
            and type(value) is str
            and key.isascii()
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
            and "\n" not in key
            and "\r" not in key
        ):
            self._store[key.lower()] = (key, value)
        else:
            super().__setitem__(key, value)

    def __contains__(self, key):
        return key.lower() in self._store

    def get(self, key, default=None):
        entry = self._store.get(key.lower())
        return default if entry is None else entry[1]


def quick_headers(response):
    """Give ``response`` (a Django response just made) the quicker headers."""
    if type(response.headers) is ResponseHeaders:
        response.headers.__class__ = _QuickHeaders
    return response


SERVER_HEADERS = header_entries(
    ("X-Devpi-Api-Version", API_VERSION),
    ("X-Devpi-Server-Version", DEVPI_SERVER_COMPAT_VERSION),
    ("X-Devpi-Django-Version", __version__),
)


def _add_server_headers(response, uuid: str, serial: int) -> None:
    """``wire.add_server_headers``, with the constant three prepared."""
    if not (uuid.isascii() and uuid.isalnum()):
        add_server_headers(response, uuid, serial)
        return
    set_headers(response, SERVER_HEADERS)
    set_headers(
        response,
        (
            ("x-devpi-uuid", ("X-Devpi-Uuid", uuid)),
            ("x-devpi-serial", ("X-Devpi-Serial", str(int(serial)))),
        ),
    )


# The web UI needs nothing but its own static files: no inline scripts or
# styles, no images, fonts or frames from other hosts. Responses that set
# their own policy (documentation pages: a sandbox) keep it.
CONTENT_SECURITY_POLICY = "; ".join(
    [
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
    ]
)


CSP_HEADER = header_entries(("Content-Security-Policy", CONTENT_SECURITY_POLICY))


class ResponseHeadersMiddleware:
    """The headers of every reply, in one layer where there were three
    (devpi's, the policy, Django's ``SecurityMiddleware``), with the same
    headers in the same order. Around the request: the audit context and
    Django's https redirect (``SECURE_SSL_REDIRECT``). On the reply: Django's
    security headers from the ``SECURE_*`` settings (HSTS on secure requests,
    nosniff, Referrer-Policy, Cross-Origin-Opener-Policy), then the
    Content-Security-Policy, each only if the reply has none; devpi's
    ``X-Devpi-*`` headers; ``Cache-Control: private`` for an index not
    everyone may read. The constant headers are checked once, at start-up,
    and stored the quick way (``set_headers``). Django ran each of the three
    in its exception handler: the one step that can raise in between (the
    redirect asks for the request's host) is handled as that did."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Django's SecurityMiddleware reads these once, at start-up, too
        self.redirect = settings.SECURE_SSL_REDIRECT
        self.redirect_host = settings.SECURE_SSL_HOST
        self.redirect_exempt = [re.compile(r) for r in settings.SECURE_REDIRECT_EXEMPT]
        self.sts_seconds = settings.SECURE_HSTS_SECONDS
        sts = f"max-age={self.sts_seconds}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            sts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            sts += "; preload"
        self.sts_header = header_entries(("Strict-Transport-Security", sts))[0]
        defaults = []
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            defaults.append(("X-Content-Type-Options", "nosniff"))
        policy = settings.SECURE_REFERRER_POLICY
        if policy:
            defaults.append(
                (
                    "Referrer-Policy",
                    ",".join(
                        [v.strip() for v in policy.split(",")]
                        if isinstance(policy, str)
                        else policy
                    ),
                )
            )
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            defaults.append(
                ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)
            )
        # each set only when the reply has none: SecurityMiddleware's
        # setdefault, then the policy
        self.defaults = header_entries(*defaults) + CSP_HEADER

    def __call__(self, request):
        context = context_enter(AuditContext(request=request))
        try:
            response = self._secured(request)
            if request.method not in READ_METHODS:
                record_credential_failure(request)
        finally:
            context_exit(context)
        # health and metrics answer even when the database does not
        if not request.path.startswith(UNHEADED_PREFIXES):
            if request.method in READ_METHODS:
                uuid, serial = request_state(request)
            else:  # a write changed the serial after the view read it
                uuid, serial = server_state()
            _add_server_headers(response, uuid, serial)
        if getattr(request, "_devpi_private", False):
            # a reply from an index that not everyone may read (acl_read)
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ("Authorization", "X-Devpi-Auth", "Cookie"))
        return response

    def _secured(self, request):
        """The reply with Django's security headers and the policy."""
        response = None
        if self.redirect:
            try:
                response = self._https_redirect(request)
            except Exception as exc:
                # as Django's handler around SecurityMiddleware did: the
                # error's reply gets the policy, not the security headers
                response = response_for_exception(request, exc)
                if "Content-Security-Policy" not in response:
                    set_headers(response, CSP_HEADER)
                return response
        if response is None:
            response = self.get_response(request)
        headers = response.headers
        store = getattr(headers, "_store", None)
        if store is None:  # not Django's ResponseHeaders: the ordinary way
            if (
                self.sts_seconds
                and request.is_secure()
                and "Strict-Transport-Security" not in response
            ):
                response.headers["Strict-Transport-Security"] = self.sts_header[1][1]
            for _key, (name, value) in self.defaults:
                if name not in response:
                    response.headers[name] = value
            return response
        if self.sts_seconds and request.is_secure() and "strict-transport-security" not in store:
            store["strict-transport-security"] = self.sts_header[1]
        for key, entry in self.defaults:
            if key not in store:
                store[key] = entry
        return response

    def _https_redirect(self, request):
        """Django's ``SecurityMiddleware.process_request``."""
        path = request.path.lstrip("/")
        if not request.is_secure() and not any(
            pattern.search(path) for pattern in self.redirect_exempt
        ):
            host = self.redirect_host or request.get_host()
            return HttpResponsePermanentRedirect(f"https://{host}{request.get_full_path()}")
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, DevpiError):
            return error_response(request, exception)
        return None


def presented_username(request) -> tuple[str, str] | None:
    """(user name, kind) of the credentials a request carried, if any."""
    from .auth import _decode_pair
    from .tokens import looks_like_token

    for header, kind in (("X-Devpi-Auth", "login token"), ("Authorization", "password")):
        value = request.headers.get(header)
        if not value:
            continue
        if header == "Authorization":
            scheme, _, value = value.partition(" ")
            if scheme.lower() != "basic":
                continue
        pair = _decode_pair(value)
        if pair:
            username, secret = pair
            return username[:150], "token" if looks_like_token(secret) else kind
    return None


def record_credential_failure(request) -> None:
    """A write request whose credentials did not authenticate: a
    ``login.failure``. Reads never record (they stay anonymous, as in
    devpi), so simple pages and files cost no audit write."""
    if getattr(request, "_devpi_user", True) is not None:
        return  # never looked at, or authenticated
    presented = presented_username(request)
    if presented is None:
        return
    username, kind = presented
    audit_record(
        "login.failure",
        target=username,
        actor=ANONYMOUS,
        via=kind,
        detail={"method": request.method, "path": request.path[:300]},
    )
