"""Who may do what: devpi's rules, as plain functions of the acting user.

``DEVPI_RESTRICT_MODIFY`` unset: anyone may create a user, users manage
themselves and their own indexes, root manages everything. Set: only the
listed users may create, modify and delete users and indexes (root only if
listed), and everyone may still change their own password.
"""

from __future__ import annotations

from django.conf import settings

from .config import ANONYMOUS, AUTHENTICATED


def restrict_modify() -> list[str] | None:
    return settings.DEVPI["RESTRICT_MODIFY"]


def principals(user) -> set[str]:
    result = {ANONYMOUS}
    if user is not None:
        result.add(AUTHENTICATED)
        result.add(user.username)
        result.update(f":{name}:" for name in _group_names(user))
    return result


def _group_names(user) -> list[str]:
    cached = getattr(user, "_devpi_group_names", None)
    if cached is None:
        cached = list(user.groups.values_list("name", flat=True)) if user.pk else []
        user._devpi_group_names = cached
    return cached


def _is(user, names) -> bool:
    if user is None:
        return False
    if user.username in names:
        return True
    return any(f":{g}:" in names or g in names for g in _group_names(user)) if names else False


def _modifiers(owner_name: str | None) -> list[str]:
    restricted = restrict_modify()
    if restricted is not None:
        return restricted
    return ["root"] + ([owner_name] if owner_name else [])


def may_create_user(user) -> bool:
    restricted = restrict_modify()
    return restricted is None or _is(user, restricted)


def may_modify_user(user, target_name: str, *, password_only: bool = False) -> bool:
    if password_only and user is not None and user.username == target_name:
        return True
    return _is(user, _modifiers(target_name))


def may_delete_user(user, target_name: str) -> bool:
    if target_name == "root":
        return False
    restricted = restrict_modify()
    if restricted is not None:
        return _is(user, restricted) and user.username != target_name
    return _is(user, ["root", target_name])


def may_create_index(user, owner_name: str) -> bool:
    return _is(user, _modifiers(owner_name))


def may_modify_index(user, index) -> bool:
    return _is(user, _modifiers(index.owner.username))


def may_upload(user, index) -> bool:
    if index.is_mirror:
        return False
    return bool(principals(user) & set(index.config.get("acl_upload", [])))


def may_upload_toxresult(user, index) -> bool:
    if index.is_mirror:
        return False
    return bool(principals(user) & set(index.config.get("acl_toxresult_upload", [ANONYMOUS])))


def may_delete_entries(user, index) -> bool:
    """Removing projects, versions and files: acl_upload, the owner, root."""
    if user is None:
        return False
    allowed = set(_modifiers(index.owner.username)) | set(index.config.get("acl_upload", []))
    return bool(principals(user) & allowed)


# -- reading: acl_read ----------------------------------------------------------

def is_root(user) -> bool:
    return user is not None and (user.username == "root" or bool(getattr(user, "is_superuser",
                                                                           False)))


def _may_read_one(user, index) -> bool:
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


def is_public(order) -> bool:
    """Everyone reads every index of ``order`` (responses may be cached by
    shared caches)."""
    return all(_may_read_one(None, ix) for ix in order)


def may_read(user, index, order=None) -> bool:
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
    return all(_may_read_one(user, ix) for ix in order)


def readable_indexes(user, all_indexes) -> list:
    """Those of ``all_indexes`` (every index, loaded once, owners selected)
    that ``user`` may read, with their orders resolved in memory: for
    listings and search, which must not name what ``user`` cannot read."""
    from .resolution import resolution_order

    all_indexes = list(all_indexes)
    if not any(ix.config.get("acl_read") is not None
               and ANONYMOUS not in ix.config["acl_read"] for ix in all_indexes):
        return all_indexes
    by_name = {ix.fullname: ix for ix in all_indexes}

    def lookup(names):
        return {name: by_name[name] for name in names if name in by_name}

    return [ix for ix in all_indexes if may_read(user, ix, resolution_order(ix, lookup))]
