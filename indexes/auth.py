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
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import caches

from .tokens import api_token_user, looks_like_token

TOKEN_SALT = "devpi-django.login-token"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=TOKEN_SALT, sep=".")


def _password_fingerprint(user) -> str:
    """Changes whenever the user's password changes: tokens die with it."""
    return hmac.new(settings.SECRET_KEY.encode(), (user.password or "").encode(),
                    hashlib.sha256).hexdigest()[:16]


def token_create(user) -> str:
    return _signer().sign_object([user.username, _password_fingerprint(user)], compress=False)


def token_user(username: str, token: str):
    """The user a token was issued to, or None if invalid or expired."""
    if not token or token.count(".") != 2:
        return None
    try:
        name, fingerprint = _signer().unsign_object(
            token, max_age=settings.DEVPI["LOGIN_EXPIRATION"])
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if name != username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not hmac.compare_digest(fingerprint, _password_fingerprint(user)):
        return None
    return user


def password_check(user, password: str) -> bool:
    if not user.password or not user.has_usable_password():
        return False
    key = "devpi-cred:" + hmac.new(
        settings.SECRET_KEY.encode(),
        f"{user.username}\0{user.password}\0{password}".encode(),
        hashlib.sha256).hexdigest()
    cache = caches["credentials"]
    if cache.get(key):
        return True
    if user.check_password(password):
        cache.set(key, True, settings.DEVPI["CREDENTIAL_CACHE_SECONDS"])
        return True
    return False


def user_by_password(username: str, password: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is not None and password_check(user, password):
        return user
    return None


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


def authenticate(headers) -> object | None:
    """The authenticated user for a request's headers, or None (anonymous).
    An API token (``indexes.tokens``) is recognised by its prefix wherever a
    login token or password may stand."""
    devpi_auth = headers.get("X-Devpi-Auth")
    if devpi_auth:
        pair = _decode_pair(devpi_auth)
        if pair:
            user = api_token_user(*pair) if looks_like_token(pair[1]) else token_user(*pair)
            if user is not None:
                return _via(user, "login token")
    authorization = headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic" and value:
        pair = _decode_pair(value)
        if pair:
            username, secret = pair
            if looks_like_token(secret):
                return api_token_user(username, secret)
            return (_via(token_user(username, secret), "login token")
                    or _via(user_by_password(username, secret), "password"))
    return None


def request_user(request):
    """The devpi user of an HTTP request (headers only; cached on the request)."""
    try:
        return request._devpi_user
    except AttributeError:
        request._devpi_user = authenticate(request.headers)
        return request._devpi_user
