"""Who is asking: devpi login tokens, ``X-Devpi-Auth`` and HTTP Basic auth.

- ``POST /+login`` hands out a signed, expiring token (devpi's "proxy auth").
- devpi-client sends ``X-Devpi-Auth: base64(user:token)``; twine and pip send
  Basic auth with a password or a token. Invalid credentials count as
  anonymous, as devpi does.
- Checking a password with Django's hasher costs a large fraction of a
  second, and twine sends its password with every file. A verified
  (user, password, stored hash) triple is remembered in the cache under a
  keyed hash for a few minutes (in a cache the workers share), so only the
  first request pays; changing the
  password changes the stored hash and so invalidates the entry.
- Every password check goes through ``check_password_credentials``: Django's
  ``authenticate()`` and its ``AUTHENTICATION_BACKENDS`` (LDAP and others
  can plug in; the default backend uses the cache above), with failed
  attempts counted per user name and client address (``indexes.throttle``).
  Past the limits it raises ``TooManyRequests`` (429), even for a right
  password. Login tokens are not passwords and are not throttled.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from django.conf import settings
from django.contrib import auth as django_auth
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import caches

from .tokens import api_token_user, looks_like_token

TOKEN_SALT = "devpi-django.login-token"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=TOKEN_SALT, sep=".")


def _password_fingerprint(user) -> str:
    """Changes whenever the user's password changes: tokens die with it."""
    return hmac.new(
        settings.SECRET_KEY.encode(), (user.password or "").encode(), hashlib.sha256
    ).hexdigest()[:16]


def token_create(user) -> str:
    return _signer().sign_object([user.username, _password_fingerprint(user)], compress=False)


def token_user(username: str, token: str):
    """The user a token was issued to, or None if invalid or expired."""
    if not token or token.count(".") != 2:
        return None
    try:
        name, fingerprint = _signer().unsign_object(
            token, max_age=settings.DEVPI["LOGIN_EXPIRATION"]
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if name != username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not hmac.compare_digest(fingerprint, _password_fingerprint(user)):
        return None
    return user


def _is_signed_token(secret: str) -> bool:
    """Whether ``secret`` is a login token this server signed, valid or not."""
    if not secret or secret.count(".") != 2:
        return False
    try:
        _signer().unsign_object(secret)
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return True


def password_check(user, password: str) -> bool:
    if not user.password or not user.has_usable_password():
        return False
    key = (
        "devpi-cred:"
        + hmac.new(
            settings.SECRET_KEY.encode(),
            f"{user.username}\0{user.password}\0{password}".encode(),
            hashlib.sha256,
        ).hexdigest()
    )
    cache = caches["credentials"]
    if cache.get(key):
        return True
    if user.check_password(password):
        cache.set(key, True, settings.DEVPI["CREDENTIAL_CACHE_SECONDS"])
        return True
    return False


def check_password_credentials(
    request, username: str, password: str, *, address: str | None = None
):
    """The user a user name and password belong to, or None; through
    Django's ``authenticate()``, throttled. ``TooManyRequests`` when the user
    name or the client's address has too many recent failures."""
    from . import throttle
    from .proxies import client_address

    if address is None:
        address = client_address(request) if request is not None else ""
    throttle.login_allowed(username, address)
    user = django_auth.authenticate(request, username=username, password=password)
    if user is None:
        throttle.login_failed(username, address)
        return None
    throttle.login_succeeded(username)
    return user


def user_by_password(username: str, password: str, *, request=None, address: str | None = None):
    return check_password_credentials(request, username, password, address=address)


def _decode_pair(value: str) -> tuple[str, str] | None:
    try:
        raw = base64.b64decode(value.strip(), validate=False)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if ":" not in text:
        return None
    username, _, secret = text.partition(":")
    return username, secret


def _via(user, via: str):
    if user is not None:
        user.devpi_via = via
    return user


def authenticate(headers, *, request=None) -> object | None:
    """The authenticated user for a request's headers, or None (anonymous:
    wrong credentials count as none, as devpi does; a wrong password does
    count as a failed login). An API token (``indexes.tokens``) is
    recognised by its prefix wherever a login token or password may stand."""
    devpi_auth = headers.get("X-Devpi-Auth")
    if devpi_auth:
        pair = _decode_pair(devpi_auth)
        if pair:
            if looks_like_token(pair[1]):
                user = api_token_user(*pair)
            else:
                user = _via(token_user(*pair), "login token")
            if user is not None:
                return user
    authorization = headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic" and value:
        pair = _decode_pair(value)
        if pair:
            username, secret = pair
            if looks_like_token(secret):
                return api_token_user(username, secret)
            user = token_user(username, secret)
            if user is not None or _is_signed_token(secret):
                # an expired token (or one from before a password change)
                # is not a password guess: neither checked nor counted
                return _via(user, "login token")
            return _via(check_password_credentials(request, username, secret), "password")
    return None
    return None


_UNKNOWN = object()


def request_user(request):
    """The devpi user of an HTTP request (headers only; cached on the request).
    A request with neither header is anonymous without building
    ``request.headers`` (most installer requests). A DRF ``Request`` is
    looked at through its Django request, where ``DevpiAuthentication`` and
    the middleware's ``record_credential_failure`` find the same answer."""
    request = getattr(request, "_request", request)
    # the instance's own dict: a missing attribute would raise and catch an
    # AttributeError on every request's first look
    known = request.__dict__.get("_devpi_user", _UNKNOWN)
    if known is not _UNKNOWN:
        return known
    meta = request.META
    if "HTTP_X_DEVPI_AUTH" in meta or "HTTP_AUTHORIZATION" in meta:
        request._devpi_user = authenticate(request.headers, request=request)
    else:
        request._devpi_user = None
    return request._devpi_user
