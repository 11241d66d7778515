"""Users: create, modify, delete; their devpi keys live in ``UserProfile``.

Given an ``actor`` (the acting user), each write refuses what that user may
not do (``indexes.permissions``); without one the server acts for itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import permissions
from ..audit import audit_record
from ..distribution.names import is_valid_user_or_index_name, name_skeleton
from ..errors import Conflict, Forbidden, Invalid
from ..models import Index, UserProfile
from ..permissions import SERVER, Actor, who
from ..serverstate import serial_bump

if TYPE_CHECKING:
    from django.contrib.auth.models import User

USER_KEYS = ("password", "email", "title", "description", "custom_data")


def _check_keys(data: dict) -> dict:
    if not isinstance(data, dict):
        raise Invalid("user config must be a JSON object")
    data = {
        k: v for k, v in data.items() if k not in ("username", "indexes", "created", "modified")
    }
    unknown = sorted(set(data) - set(USER_KEYS))
    if unknown:
        raise Invalid("Unknown keys in user config: " + ", ".join(unknown))
    for key in ("password", "email", "title", "description"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise Invalid(f"user config key {key!r} must be a string")
    return data


def _snapshot(user: User, profile: UserProfile) -> dict:
    return {
        "email": user.email or "",
        "title": profile.title,
        "description": profile.description,
        "custom_data": profile.custom_data,
    }


def _detail(old: dict, new: dict, data: dict) -> dict:
    """What changed, for the audit trail: a changed password is named, its
    value never shown."""
    from ..audit import MASK, config_changes

    detail = config_changes(old, new)
    if data.get("password") is not None:
        detail["password"] = MASK
    return detail


def _apply(user: User, profile: UserProfile, data: dict) -> None:
    if data.get("password") is not None:
        user.set_password(data["password"])
    if "email" in data:
        user.email = (data["email"] or "").strip()
    for key in ("title", "description"):
        if key in data:
            setattr(profile, key, data[key] or "")
    if "custom_data" in data:
        profile.custom_data = data["custom_data"]


def _refuse_look_alike(User: type[User], username: str) -> None:
    """A new user name may not look like an existing one (``rооt`` with
    Cyrillic o's next to ``root``): same confusable skeleton, refused."""
    skeleton = name_skeleton(username)
    for other in User.objects.values_list("username", flat=True).iterator():
        if name_skeleton(other) == skeleton:
            raise Conflict(f"username {username!r} looks like the existing user {other!r}")


def check_user_create(*, actor: Actor) -> None:
    if actor is not SERVER and not permissions.may_create_user(actor):
        raise Forbidden(f"user {who(actor)!r} may not create users")


def check_user_modify(*, actor: Actor, username: str, data: dict) -> None:
    """Changing only one's own password is allowed even where other changes
    are restricted (``DEVPI_RESTRICT_MODIFY``)."""
    password_only = isinstance(data, dict) and set(data) == {"password"}
    if actor is not SERVER and not permissions.may_modify_user(
        actor, username, password_only=password_only
    ):
        raise Forbidden(f"user {who(actor)!r} may not modify user {username!r}")


def check_user_delete(*, actor: Actor, username: str) -> None:
    if actor is not SERVER and not permissions.may_delete_user(actor, username):
        raise Forbidden(f"user {who(actor)!r} may not delete user {username!r}")


def user_create(
    *, username: str, data: dict, superuser: bool = False, actor: Actor = SERVER
) -> User:
    check_user_create(actor=actor)
    if not is_valid_user_or_index_name(username):
        raise Invalid(
            f"username '{username}' will not be accepted as username: it contains "
            "characters that are not allowed"
        )
    data = _check_keys(data)
    if data.get("password") is None:
        raise Invalid("password needs to be set")
    User = get_user_model()
    try:
        with transaction.atomic():
            if User.objects.filter(username=username).exists():
                raise Conflict("user already exists")
            _refuse_look_alike(User, username)
            user = User(username=username, is_superuser=superuser, is_staff=superuser)
            profile = UserProfile(user=user)
            _apply(user, profile, data)
            user.save()
            profile.user = user
            profile.save()
            audit_record(
                "user.create", target=username, detail=_detail({}, _snapshot(user, profile), data)
            )
            serial_bump()
    except IntegrityError:
        raise Conflict("user already exists") from None
    return user


def user_modify(*, user: User, data: dict, actor: Actor = SERVER) -> bool:
    """Returns True when the password changed."""
    check_user_modify(actor=actor, username=user.username, data=data)
    data = _check_keys(data)
    with transaction.atomic():
        profile, _ = UserProfile.objects.get_or_create(user=user)
        old = _snapshot(user, profile)
        _apply(user, profile, data)
        profile.modified = timezone.now()
        user.save()
        profile.save()
        audit_record(
            "user.modify", target=user.username, detail=_detail(old, _snapshot(user, profile), data)
        )
        serial_bump()
    return data.get("password") is not None


def user_delete(*, user: User, actor: Actor = SERVER) -> None:
    check_user_delete(actor=actor, username=user.username)
    if user.username == "root":
        raise Forbidden("root user cannot be deleted")
    with transaction.atomic():
        for ix in Index.objects.filter(owner=user):
            if not ix.volatile:
                raise Forbidden(f"user {user.username!r} has non-volatile index: {ix.name}")
        audit_record("user.delete", target=user.username)
        user.delete()
        serial_bump()
