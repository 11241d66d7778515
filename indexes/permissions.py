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
        for name in _group_names(user):
            result.update(_group_forms(name))
    return result


def _group_forms(name: str) -> tuple[str, str]:
    """How a group is named in ACLs and DEVPI_RESTRICT_MODIFY: ``:name:``, or
    devpi's ``:name``. A bare name is always a user: a group called "alice"
    must not pass for the user alice."""
    return f":{name}:", f":{name}"


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
    return any(form in names for g in _group_names(user) for form in _group_forms(g)) \
        if names else False


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


def may_see_index_secrets(user, index) -> bool:
    """Credentials in an index's config (``mirror_url``): its owner and root."""
    if user is None:
        return False
    return user.username == "root" or user.is_superuser or user.pk == index.owner_id
