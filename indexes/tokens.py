"""Scoped API tokens: what a token is, how a request presents one, and what
it allows.

- A token is ``devpi_`` followed by 43 random URL-safe characters (256 bits),
  so secret scanners can recognise it. Only its sha256 is stored: the secret
  has enough entropy that a slow, salted hash would add cost (on every
  request) and no safety.
- It is sent as an HTTP Basic password (user name: the owner's name or
  ``__token__``, as on PyPI) or in devpi-client's ``X-Devpi-Auth`` header;
  ``POST /+login`` with a token as password hands back the same token.
- An authenticated token makes the request act as its owner, with the token
  attached to the user object (``api_token_of``). Every permission check
  still applies the owner's rights at the time of use, and ``token_allows``
  narrows them to the token's indexes and scopes. Anything that is not
  reading, uploading or posting tox results (managing users, indexes,
  tokens; deleting) is refused to a token.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import ApiToken, Index

PREFIX = "devpi_"
TOKEN_USERNAME = "__token__"
SCOPES = ("read", "upload", "toxresult")
SECRET_BYTES = 32
# the longest secret we look up: anything longer is not one of ours
MAX_TOKEN_LENGTH = len(PREFIX) + 64


def token_generate() -> str:
    return PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like_token(secret: str) -> bool:
    return secret.startswith(PREFIX) and len(secret) <= MAX_TOKEN_LENGTH


def api_token_user(username: str, secret: str) -> User | None:
    """The owner of a valid (not revoked, not expired) token, with the token
    attached (``api_token_of``), or None."""
    from .models import ApiToken

    if not looks_like_token(secret):
        return None
    token = ApiToken.objects.select_related("owner").filter(key_hash=token_hash(secret)).first()
    if token is None or token.revoked is not None:
        return None
    if token.expires is not None and token.expires <= timezone.now():
        return None
    user = token.owner
    if not user.is_active or username not in (user.username, TOKEN_USERNAME):
        return None
    user.devpi_api_token = token  # type: ignore[attr-defined]  # read by api_token_of
    return user


def api_token_of(identity: User | None) -> ApiToken | None:
    """The API token a request's user authenticated with, or None."""
    return getattr(identity, "devpi_api_token", None)


def token_allows(identity: User | None, index: Index, scope: str) -> bool:
    """Whether the token behind ``identity`` (if any) covers ``scope`` on
    ``index``. True for identities that are not tokens (passwords, login
    tokens, sessions): their rights are the owner's alone. The one scope
    check that the permission checks (upload, tox results, read) call."""
    token = api_token_of(identity)
    if token is None:
        return True
    if scope not in token.scopes:
        return False
    return token.indexes is None or index.fullname in token.indexes


def via_of(identity: User | None) -> str:
    """How ``identity`` authenticated, for the audit trail."""
    token = api_token_of(identity)
    if token is not None:
        return f"token:{token.public_id}"
    return getattr(identity, "devpi_via", "") or ""
