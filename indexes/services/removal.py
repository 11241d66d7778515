"""Removing projects, versions and files from an index.

As devpi does, removing the last file of a version removes the version, and
removing the last version removes the project. Blobs are shared by content
across indexes, so rows are removed here and blobs that no row points to any
more are left for a clean-up.

Given an ``actor`` (the acting user), each removal refuses what that user
may not remove (``check_removal``); without one the server acts for itself
(the caller checked, or it is the admin).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .. import permissions
from ..audit import audit_record
from ..distribution.hashpath import file_path
from ..distribution.names import normalize_name
from ..errors import Forbidden, NotFound
from ..models import Index, Project, Release, ReleaseFile, RemovedFile
from ..permissions import SERVER, Actor, who
from ..serverstate import serial_bump


def _tombstones(index: Index, files: Iterable[ReleaseFile]) -> None:
    RemovedFile.objects.bulk_create(
        [RemovedFile(index=index, filename=f.filename, sha256=f.sha256) for f in files]
    )


def check_removal(*, actor: Actor, index: Index, force: bool) -> None:
    """No delete right (acl_upload, the owner, root), or a non-volatile index
    without ``force``, or ``force`` by someone who is neither the owner nor
    root: refused."""
    if actor is SERVER:
        return
    if not permissions.may_delete_entries(actor, index):
        raise Forbidden(f"user {who(actor)!r} may not remove releases from {index.fullname}")
    if index.volatile:
        return
    if not force:
        raise Forbidden(
            f"cannot delete on non-volatile index {index.fullname} "
            "(the owner or root may use -f/--force)"
        )
    if who(actor) not in ("root", index.owner.username) and (
        actor is None or not actor.is_superuser
    ):
        raise Forbidden(
            f"only the owner or root may force removal on non-volatile index {index.fullname}"
        )


def check_volatile(index: Index, force: bool, what: str) -> None:
    """devpi's refusal on a non-volatile index without ``force``, naming
    ``what`` (the HTTP API's wording; ``check_removal`` words it for the
    command line)."""
    if not index.volatile and not force:
        raise Forbidden(f"cannot delete {what} on non-volatile index {index.fullname}")


def _project(index: Index, project: str) -> Project:
    row = Project.objects.filter(index=index, name=normalize_name(project)).first()
    if row is None:
        raise NotFound(f"project {normalize_name(project)!r} not found on stage {index.fullname!r}")
    return row


def project_delete(
    *, index: Index, project: str, force: bool = False, actor: Actor = SERVER
) -> None:
    check_removal(actor=actor, index=index, force=force)
    check_volatile(index, force, "project")
    with transaction.atomic():
        row = _project(index, project)
        _tombstones(
            index, ReleaseFile.objects.filter(release__project=row).only("filename", "sha256")
        )
        row.delete()
        audit_record(
            "release.remove",
            target=f"{index.fullname}/{row.name}",
            index=index.fullname,
            detail={"project": row.name, "force": force},
        )
        serial_bump(index.id)


def release_delete(
    *, index: Index, project: str, version: str, force: bool = False, actor: Actor = SERVER
) -> None:
    check_removal(actor=actor, index=index, force=force)
    check_volatile(index, force, "version")
    with transaction.atomic():
        row = _project(index, project)
        _tombstones(
            index,
            ReleaseFile.objects.filter(release__project=row, release__version=version).only(
                "filename", "sha256"
            ),
        )
        deleted, _ = Release.objects.filter(project=row, version=version).delete()
        if not deleted:
            raise NotFound(
                f"version {version!r} of project {row.name!r} not found on stage {index.fullname!r}"
            )
        if not Release.objects.filter(project=row).exists():
            row.delete()
        audit_record(
            "release.remove",
            target=f"{index.fullname}/{row.name}/{version}",
            index=index.fullname,
            detail={"project": row.name, "version": version, "force": force},
        )
        serial_bump(index.id)


def release_file_delete(
    *, index: Index, file: ReleaseFile, force: bool = False, actor: Actor = SERVER
) -> None:
    check_removal(actor=actor, index=index, force=force)
    check_volatile(index, force, "file")
    with transaction.atomic():
        release = file.release
        _tombstones(index, [file])
        ReleaseFile.objects.filter(pk=file.pk, index=index).delete()
        if not release.files.exists():
            project = release.project
            release.delete()
            if not Release.objects.filter(project=project).exists():
                project.delete()
        audit_record(
            "release.remove",
            target=file_path(index.fullname, file.sha256, file.filename),
            index=index.fullname,
            detail={"file": file.filename, "sha256": file.sha256, "force": force},
        )
        serial_bump(index.id)
