"""API tokens: create (the secret returned once), list, revoke. One code path
for the JSON API, the web UI and ``manage.py devpi token``. Given an
``actor`` (the acting user), each refuses what that user may not do
(``permissions.may_create_token``, ``may_manage_tokens``); without one the
caller has checked."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .. import permissions
from ..audit import audit_record
from ..errors import Forbidden, Invalid, NotFound
from ..models import ApiToken, Index
from ..permissions import SERVER, Actor, who
from ..tokens import SCOPES, token_generate, token_hash

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TOKEN_KEYS = ("description", "indexes", "scopes", "expires")
MAX_DESCRIPTION = 200
MAX_INDEXES = 100
MAX_EXPIRES = 10 * 365 * 24 * 3600  # ten years
MAX_ACTIVE_TOKENS = 100  # per user


@dataclass(frozen=True)
class TokenRequest:
    description: str
    indexes: list[str] | None
    scopes: list[str]
    expires: int | None


def token_request(data: Any) -> TokenRequest:
    """Validate a token request (JSON body, form or command arguments)."""
    if not isinstance(data, dict):
        raise Invalid("token request must be a JSON object")
    unknown = sorted(set(data) - set(TOKEN_KEYS))
    if unknown:
        raise Invalid(
            "unknown keys in token request: "
            + ", ".join(map(str, unknown))
            + "; allowed: "
            + ", ".join(TOKEN_KEYS)
        )
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise Invalid("'description' must be a string")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"'description' is too long ({MAX_DESCRIPTION} characters at most)")
    scopes = data.get("scopes")
    if not isinstance(scopes, list) or not scopes:
        raise Invalid("'scopes' must be a non-empty list of: " + ", ".join(SCOPES))
    bad = [s for s in scopes if s not in SCOPES]
    if bad:
        raise Invalid(f"unknown scope {str(bad[0])[:50]!r}; scopes are: " + ", ".join(SCOPES))
    indexes = data.get("indexes")
    if indexes is not None:
        if not isinstance(indexes, list) or not all(isinstance(i, str) for i in indexes):
            raise Invalid("'indexes' must be a list of index names USER/NAME")
        if not indexes:
            raise Invalid("'indexes' must not be empty (leave it out for every index)")
        if len(indexes) > MAX_INDEXES:
            raise Invalid(f"'indexes' may name {MAX_INDEXES} indexes at most")
        indexes = sorted({i.strip("/") for i in indexes})
    expires = data.get("expires")
    if expires is not None:
        if isinstance(expires, bool) or not isinstance(expires, int):
            raise Invalid("'expires' must be a whole number of seconds")
        if not 0 < expires <= MAX_EXPIRES:
            raise Invalid(f"'expires' must be between 1 and {MAX_EXPIRES} seconds")
    return TokenRequest(
        description=description,
        indexes=indexes,
        scopes=[s for s in SCOPES if s in scopes],
        expires=expires,
    )


def _check_indexes(names: list[str] | None) -> None:
    for name in names or ():
        user, _, index = name.partition("/")
        if (
            not user
            or not index
            or "/" in index
            or not Index.objects.filter(owner__username=user, name=index).exists()
        ):
            raise Invalid(f"index {name[:200]!r} does not exist")


def token_summary(token: ApiToken) -> dict:
    """A token as listed: everything but the secret (never stored)."""
    now = timezone.now()
    if token.revoked is not None:
        state = "revoked"
    elif token.expires is not None and token.expires <= now:
        state = "expired"
    else:
        state = "active"
    return {
        "id": token.public_id,
        "user": token.owner.username,
        "description": token.description,
        "indexes": token.indexes,
        "scopes": token.scopes,
        "created": token.created.isoformat(timespec="seconds"),
        "expires": token.expires.isoformat(timespec="seconds") if token.expires else None,
        "revoked": token.revoked.isoformat(timespec="seconds") if token.revoked else None,
        "state": state,
    }


def check_token_create(*, actor: Actor, owner_name: str) -> None:
    if actor is not SERVER and not permissions.may_create_token(actor, owner_name):
        raise Forbidden(f"user {who(actor)!r} may not create tokens for {owner_name!r}")


def check_token_manage(*, actor: Actor, owner_name: str) -> None:
    if actor is not SERVER and not permissions.may_manage_tokens(actor, owner_name):
        raise Forbidden(f"user {who(actor)!r} may not manage the tokens of {owner_name!r}")


def api_token_create(*, owner: User, data: Any, actor: Actor = SERVER) -> tuple[ApiToken, str]:
    """A new token of ``owner``: (the row, the secret). The secret is
    returned here only and never stored."""
    check_token_create(actor=actor, owner_name=owner.username)
    request = token_request(data)
    _check_indexes(request.indexes)
    secret = token_generate()
    now = timezone.now()
    with transaction.atomic():
        active = (
            ApiToken.objects.filter(owner=owner, revoked__isnull=True)
            .exclude(expires__lte=now)
            .count()
        )
        if active >= MAX_ACTIVE_TOKENS:
            raise Invalid(
                f"user {owner.username} has {MAX_ACTIVE_TOKENS} active tokens; revoke some first"
            )
        token = ApiToken.objects.create(
            public_id=secrets.token_hex(6),
            owner=owner,
            key_hash=token_hash(secret),
            description=request.description,
            indexes=request.indexes,
            scopes=request.scopes,
            expires=now + timedelta(seconds=request.expires) if request.expires else None,
        )
        audit_record(
            "token.create",
            target=f"{owner.username}/{token.public_id}",
            detail={
                "description": token.description,
                "indexes": token.indexes,
                "scopes": token.scopes,
                "expires": request.expires,
            },
        )
    return token, secret


def api_tokens_list(*, owner: User, actor: Actor = SERVER) -> list[dict]:
    check_token_manage(actor=actor, owner_name=owner.username)
    return [token_summary(t) for t in ApiToken.objects.filter(owner=owner).select_related("owner")]


def api_token_get(*, owner: User, token_id: str) -> ApiToken:
    token = (
        ApiToken.objects.select_related("owner")
        .filter(owner=owner, public_id=str(token_id)[:32])
        .first()
    )
    if token is None:
        raise NotFound(f"token {str(token_id)[:40]!r} of user {owner.username} not found")
    return token


def api_token_revoke(*, owner: User, token_id: str, actor: Actor = SERVER) -> ApiToken:
    """Revoke a token; revoking it again changes nothing."""
    check_token_manage(actor=actor, owner_name=owner.username)
    with transaction.atomic():
        token = api_token_get(owner=owner, token_id=token_id)
        if token.revoked is None:
            token.revoked = timezone.now()
            token.save(update_fields=["revoked"])
            audit_record(
                "token.revoke",
                target=f"{owner.username}/{token.public_id}",
                detail={"description": token.description},
            )
    return token
