"""Who may do what: devpi's rules, as plain functions of the acting user.

``DEVPI_RESTRICT_MODIFY`` unset: anyone may create a user, users manage
themselves and their own indexes, root manages everything. Set: only the
listed users may create, modify and delete users and indexes (root only if
listed), and everyone may still change their own password.

A request authenticated by an API token (``indexes.tokens``) has its owner's
rights narrowed by ``token_allows`` for uploads and tox results, and none of
the managing rights (users, indexes, tokens, deletions): ``_full`` below.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, TypeAlias

from django.conf import settings

from .config import ANONYMOUS, AUTHENTICATED
from .tokens import api_token_of, token_allows

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import Index


class _Server(enum.Enum):
    """The server acting for itself: bootstrap, admin actions, import, and
    callers that checked the permission already. A service given no
    ``actor`` checks nothing; given one (``manage.py devpi`` passes its
    ``--as`` user), it refuses what that user may not do.

    A one-member enum, so that ``actor is SERVER`` narrows an ``Actor`` to
    the user (or None) for the type checker."""

    SERVER = "SERVER"

    @property
    def username(self) -> None:
        return None

    def __repr__(self) -> str:
        return "SERVER"

    __str__ = __repr__


SERVER = _Server.SERVER

# what a write service's ``actor`` may be: a user (None when anonymous) or SERVER
Actor: TypeAlias = "User | None | _Server"


def who(actor: Actor) -> str | None:
    """The name a refusal shows for ``actor`` (None when anonymous)."""
    return getattr(actor, "username", None)


def restrict_modify() -> list[str] | None:
    return settings.DEVPI["RESTRICT_MODIFY"]


def principals(user: User | None) -> set[str]:
    result = {ANONYMOUS}
    if user is not None:
        result.add(AUTHENTICATED)
        result.add(user.username)
        for name in _group_names(user):
            result.update(_group_forms(name))
    return result


def _group_forms(name: str) -> tuple[str, str]:
    """How a group is named in ACLs and DEVPI_RESTRICT_MODIFY: ``:name:``, or
    devpi's ``:name``. A bare name is always a user: a group called "alice"
    must not pass for the user alice."""
    return f":{name}:", f":{name}"


def _group_names(user: User) -> list[str]:
    cached = getattr(user, "_devpi_group_names", None)
    if cached is None:
        cached = list(user.groups.values_list("name", flat=True)) if user.pk else []
        user._devpi_group_names = cached  # type: ignore[attr-defined]  # per-request memo
    return cached


def _is(user: User | None, names: Collection[str]) -> bool:
    if user is None:
        return False
    if user.username in names:
        return True
    return (
        any(form in names for g in _group_names(user) for form in _group_forms(g))
        if names
        else False
    )


def _full(user: User | None) -> User | None:
    """The user, unless it acts through an API token (then None: a token
    never manages anything)."""
    return None if api_token_of(user) is not None else user


def _modifiers(owner_name: str | None) -> list[str]:
    restricted = restrict_modify()
    if restricted is not None:
        return restricted
    return ["root"] + ([owner_name] if owner_name else [])


def may_create_user(user: User | None) -> bool:
    user = _full(user)
    restricted = restrict_modify()
    return restricted is None or _is(user, restricted)


def may_modify_user(user: User | None, target_name: str, *, password_only: bool = False) -> bool:
    user = _full(user)
    if password_only and user is not None and user.username == target_name:
        return True
    return _is(user, _modifiers(target_name))


def may_delete_user(user: User | None, target_name: str) -> bool:
    user = _full(user)
    if target_name == "root":
        return False
    restricted = restrict_modify()
    if restricted is not None:
        return user is not None and _is(user, restricted) and user.username != target_name
    return _is(user, ["root", target_name])


def may_create_index(user: User | None, owner_name: str) -> bool:
    return _is(_full(user), _modifiers(owner_name))


def may_modify_index(user: User | None, index: Index) -> bool:
    return _is(_full(user), _modifiers(index.owner.username))


def may_upload(user: User | None, index: Index) -> bool:
    if index.is_mirror or not token_allows(user, index, "upload"):
        return False
    return bool(principals(user) & set(index.config.get("acl_upload", [])))


def may_upload_toxresult(user: User | None, index: Index) -> bool:
    if index.is_mirror or not token_allows(user, index, "toxresult"):
        return False
    return bool(principals(user) & set(index.config.get("acl_toxresult_upload", [ANONYMOUS])))


def may_delete_entries(user: User | None, index: Index) -> bool:
    """Removing projects, versions and files: acl_upload, the owner, root."""
    user = _full(user)
    if user is None:
        return False
    allowed = set(_modifiers(index.owner.username)) | set(index.config.get("acl_upload", []))
    return bool(principals(user) & allowed)


def may_see_index_secrets(user: User | None, index: Index) -> bool:
    """Credentials in an index's config (``mirror_url``): its owner and root."""
    if user is None:
        return False
    return user.username == "root" or user.is_superuser or user.pk == index.owner_id


def may_manage_tokens(user: User | None, owner_name: str) -> bool:
    """Listing and revoking a user's API tokens: the user or root, never
    through a token. Creating one: the user alone (``may_create_token``)."""
    user = _full(user)
    return user is not None and (user.username == owner_name or _is_root(user))


def may_create_token(user: User | None, owner_name: str) -> bool:
    user = _full(user)
    return user is not None and user.username == owner_name


def may_read_audit(user: User | None, index: Index | None = None) -> bool:
    """The whole audit trail: root; an index's: its owner and root."""
    user = _full(user)
    if user is None:
        return False
    return _is_root(user) or (index is not None and user.username == index.owner.username)


def _is_root(user: User) -> bool:
    return user.username == "root" or bool(getattr(user, "is_superuser", False))


# -- reading: acl_read ----------------------------------------------------------


def is_root(user: User | None) -> bool:
    return user is not None and (
        user.username == "root" or bool(getattr(user, "is_superuser", False))
    )


def _may_read_one(user: User | None, index: Index) -> bool:
    """``user`` is among the readers of ``index`` itself (not its bases)."""
    acl = index.config.get("acl_read")
    if acl is None or ANONYMOUS in acl:  # absent: everyone, as devpi
        return True
    if user is None:
        return False
    if AUTHENTICATED in acl or user.username in acl:
        return True
    if index.owner_id == user.pk or is_root(user):
        return True
    return any(f":{name}:" in acl for name in _group_names(user))


def is_public(order: Iterable[Index]) -> bool:
    """Everyone reads every index of ``order`` (responses may be cached by
    shared caches)."""
    return all(_may_read_one(None, ix) for ix in order)


def may_read(user: User | None, index: Index, order: list[Index] | None = None) -> bool:
    """THE read check: may ``user`` (the acting identity, None when anonymous)
    read ``index``? Every read path calls this one function.

    The readers of an index are the intersection of ``acl_read`` over its
    whole resolution order (``order``, computed when not given; callers on
    hot paths pass the per-process cached one), so a public child never
    exposes a private base and a page is either whole or refused. On each
    index its owner and root always read. A public order needs no query:
    ``:ANONYMOUS:`` (or no ``acl_read`` at all) is checked first; group
    memberships are looked up only when nothing else decides.
    """
    if order is None:
        from .resolution import resolution_order

        order = resolution_order(index)
    if api_token_of(user) is not None and not token_allows(user, index, "read"):
        # a token without the read scope for this index reads only what
        # everybody reads
        return is_public(order)
    return all(_may_read_one(user, ix) for ix in order)


def readable_indexes(user: User | None, all_indexes: Iterable[Index]) -> list[Index]:
    """Those of ``all_indexes`` (every index, loaded once, owners selected)
    that ``user`` may read, with their orders resolved in memory: for
    listings and search, which must not name what ``user`` cannot read."""
    from .resolution import resolution_order

    indexes = list(all_indexes)
    if not any(
        ix.config.get("acl_read") is not None and ANONYMOUS not in ix.config["acl_read"]
        for ix in indexes
    ):
        return indexes
    by_name = {ix.fullname: ix for ix in indexes}

    def lookup(names: list[str]) -> dict[str, Index]:
        return {name: by_name[name] for name in names if name in by_name}

    return [ix for ix in indexes if may_read(user, ix, resolution_order(ix, lookup))]
