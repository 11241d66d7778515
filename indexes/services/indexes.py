"""Indexes: create, modify (dict merge or devpi-client's key/value
operations), delete. Given an ``actor`` (the acting user), each refuses
what that user may not do (``indexes.permissions``); without one the server
acts for itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from .. import permissions
from ..audit import audit_record, config_changes, mask_secrets
from ..config import apply_operations, build_config, default_config
from ..distribution.names import is_valid_user_or_index_name
from ..errors import Conflict, Forbidden, Invalid
from ..models import Index
from ..permissions import SERVER, Actor, who
from ..serverstate import serial_bump

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _bases_lookup(name: str) -> list[str] | None:
    user, _, index = name.partition("/")
    row = (
        Index.objects.filter(owner__username=user, name=index).values_list("config", "type").first()
    )
    if row is None:
        return None
    config, _type = row
    return list(config.get("bases", []))


def check_index_create(*, actor: Actor, owner_name: str, name: str) -> None:
    if actor is not SERVER and not permissions.may_create_index(actor, owner_name):
        raise Forbidden(f"user {who(actor)!r} may not create index {owner_name}/{name}")


def check_index_modify(*, actor: Actor, index: Index) -> None:
    if actor is not SERVER and not permissions.may_modify_index(actor, index):
        raise Forbidden(f"user {who(actor)!r} may not modify index {index.fullname}")


def check_index_delete(*, actor: Actor, index: Index) -> None:
    if actor is not SERVER and not permissions.may_modify_index(actor, index):
        raise Forbidden(f"user {who(actor)!r} may not delete index {index.fullname}")


def index_create(*, owner: User, name: str, data: dict, actor: Actor = SERVER) -> Index:
    check_index_create(actor=actor, owner_name=owner.username, name=name)
    if not is_valid_user_or_index_name(name):
        raise Invalid(f"indexname '{name}' contains characters that are not allowed")
    if not isinstance(data, dict):
        raise Invalid("index config must be a JSON object")
    index_type = data.get("type", Index.STAGE)
    if index_type not in (Index.STAGE, Index.MIRROR):
        raise Invalid(f"unknown index type {index_type!r}")
    fullname = f"{owner.username}/{name}"
    if Index.objects.filter(owner=owner, name=name).exists():
        raise Conflict(f"index '{fullname}' exists")
    config = build_config(
        index_type=index_type,
        owner=owner.username,
        fullname=fullname,
        current=None,
        requested=data,
        get_bases=_bases_lookup,
    )
    try:
        with transaction.atomic():
            index = Index.objects.create(owner=owner, name=name, type=index_type, config=config)
            audit_record(
                "index.create",
                target=fullname,
                index=fullname,
                detail={"type": index_type, "config": mask_secrets(config)},
            )
            serial_bump()
    except IntegrityError:
        raise Conflict(f"index '{fullname}' exists") from None
    return index


def index_modify(*, index: Index, data: Any, actor: Actor = SERVER) -> Index:
    """``data``: a dict merged over the config, or a list of ``k=v``,
    ``k+=v``, ``k-=v``, ``k-=`` operations (devpi-client's key/value
    parsing); a dropped key goes back to its default."""
    check_index_modify(actor=actor, index=index)
    if isinstance(data, list):
        current = default_config(index.type, index.owner.username)
        requested = apply_operations(index.config, data)
    elif isinstance(data, dict):
        if data.get("type") == "indexconfig" and isinstance(data.get("result"), dict):
            data = data["result"]
        current, requested = index.config, data
    else:
        raise Invalid("index config must be a JSON object or a list of key=value operations")
    config = build_config(
        index_type=index.type,
        owner=index.owner.username,
        fullname=index.fullname,
        current=current,
        requested=requested,
        get_bases=_bases_lookup,
    )
    with transaction.atomic():
        old = index.config
        index.config = config
        index.save(update_fields=["config", "modified"])
        audit_record(
            "index.modify",
            target=index.fullname,
            index=index.fullname,
            detail=config_changes(old, config),
        )
        serial_bump(index.id)
    return index


def index_delete(*, index: Index, force: bool = False, actor: Actor = SERVER) -> None:
    check_index_delete(actor=actor, index=index)
    if not index.volatile and not force:
        raise Forbidden(f"index {index.fullname} non-volatile, cannot delete")
    with transaction.atomic():
        audit_record(
            "index.delete",
            target=index.fullname,
            index=index.fullname,
            detail={"force": force} if force else {},
        )
        index.delete()
        serial_bump()
