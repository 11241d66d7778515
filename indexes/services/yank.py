"""PEP 592 yanking of a release on a private index (devpi has no such API).

Given an ``actor`` (the acting user), a yank refuses what that user may not
do: yanking takes the right to delete releases (``acl_upload``, the owner,
root); without one the server acts for itself."""

from __future__ import annotations

from django.db import transaction

from .. import permissions
from ..audit import audit_record
from ..errors import Forbidden, Invalid
from ..models import Release
from ..permissions import SERVER, Actor
from ..serverstate import serial_bump


def check_yank(*, actor: Actor, release: Release) -> None:
    index = release.project.index
    if actor is not SERVER and not permissions.may_delete_entries(actor, index):
        raise Forbidden(
            f"no permission to modify {release.project.name} {release.version} on {index.fullname}"
        )


def release_yank(*, release: Release, yanked: str | bool | None, actor: Actor = SERVER) -> Release:
    """``yanked``: a reason string (may be empty) or True to yank, False to un-yank."""
    check_yank(actor=actor, release=release)
    if yanked is False or yanked is None:
        release.yanked, release.yanked_reason = False, ""
    elif yanked is True:
        release.yanked, release.yanked_reason = True, ""
    elif isinstance(yanked, str):
        if len(yanked) > 1000:
            raise Invalid("yank reason is too long (1000 characters at most)")
        release.yanked, release.yanked_reason = True, yanked
    else:
        raise Invalid("'yanked' must be a reason string, true or false")
    with transaction.atomic():
        release.save(update_fields=["yanked", "yanked_reason", "modified"])
        index = release.project.index
        audit_record(
            "release.yank",
            target=f"{index.fullname}/{release.project.name}/{release.version}",
            index=index.fullname,
            detail={"yanked": release.yanked, "reason": release.yanked_reason},
        )
        serial_bump(release.project.index_id)
    return release
