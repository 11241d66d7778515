"""A push to another index of this server: rows copied, never bytes.

Blobs are stored by content, so a pushed file keeps its sha256 and with it
its ``+f`` hash path under the target. Apps attached to release files
(``indexes.registry`` push hooks: tox results) copy their rows in the same
transaction. The whole push is one transaction: a refusal part way (a
non-volatile target that has one of the files) leaves the target as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from ... import permissions, registry
from ...audit import audit_record
from ...errors import Conflict, Invalid, Unauthorized
from ...models import DocZip, Index, Project, Release, ReleaseFile
from ...project_status import check_upload
from ...readme import description_schedule
from ...serverstate import serial_bump
from ..docs import doczip_store
from ..files import FileFacts, log_entry, release_file_create, release_file_locked
from .content import ReleaseContent, index_of, release_content, source_read_check

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


def _check_non_volatile(target: Index, content: ReleaseContent) -> None:
    """As devpi: a non-volatile target refuses a file it has under the same
    name, even with identical bytes."""
    if target.volatile:
        return
    names = [f.filename for f in content.files]
    clash = (
        ReleaseFile.objects.filter(index=target, filename__in=names)
        .order_by("filename")
        .values_list("filename", flat=True)
        .first()
    )
    if clash is not None:
        raise Conflict(f"{clash} already exists in non-volatile index")
    if content.doczip is not None:
        existing = DocZip.objects.filter(
            index=target,
            release__project__name=content.release.project.name,
            release__version=content.release.version,
        ).first()
        if existing is not None:
            raise Conflict(f"{existing.filename} already exists in non-volatile index")


def _register(target: Index, release: Release) -> Release:
    """The target's release with the source's metadata (devpi overwrites)."""
    project, _ = Project.objects.get_or_create(
        index=target,
        name=release.project.name,
        defaults={"display_name": release.project.display_name},
    )
    row, created = Release.objects.get_or_create(
        project=project,
        version=release.version,
        defaults={"metadata": dict(release.metadata), "description_html": release.description_html},
    )
    if not created and row.metadata != release.metadata:
        row.metadata = dict(release.metadata)
        row.description_html = release.description_html  # the same metadata: the same HTML
        row.save(update_fields=["metadata", "description_html", "modified"])
    if row.description_html is None:
        description_schedule(row)
    return row


def _copy_file(
    file: ReleaseFile, *, source: Index, target: Index, release: Release, who: str | None
) -> ReleaseFile:
    """The target's link to the same stored bytes, its history the source's
    (without its overwrites) and this push."""
    facts = FileFacts(
        filename=file.filename,
        sha256=file.sha256,
        size=file.size,
        packagetype=file.packagetype,
        pyversion=file.pyversion,
        requires_python=file.requires_python,
        core_metadata=file.core_metadata,
    )
    return release_file_create(
        index=target,
        release=release,
        facts=facts,
        history=[entry for entry in file.log if entry.get("what") != "overwrite"],
        entry=log_entry("push", who, src=source.fullname, dst=target.fullname),
        uploaded_at=file.uploaded_at,
        uploader=file.uploader,
        replacing=release_file_locked(index=target, filename=file.filename),
    )


def _copy_doczip(
    doczip: DocZip, *, source: Index, target: Index, release: Release, who: str | None
) -> list:
    """The target's docs of ``release``: the source's stored zip, its history
    and this push. Returns the actionlog entry."""
    log = list(doczip.log) + [log_entry("push", who, src=source.fullname, dst=target.fullname)]
    new_doc, _ = doczip_store(
        index=target,
        release=release,
        sha256=doczip.sha256,
        size=doczip.size,
        uploaded_at=doczip.uploaded_at,
        log=log,
        uploader=doczip.uploader,
    )
    return [200, "store_doczip", f"{target.fullname}/+f/{new_doc.hash_path}"]


def _copy_content(
    content: ReleaseContent, *, source: Index, target: Index, user: User | None
) -> list:
    """The copy itself, inside the push's transaction: the release, its files
    with the rows of their push hooks, its docs. Returns the actionlog."""
    who = _username(user)
    actionlog: list = []
    release = _register(target, content.release)
    for file in content.files:
        new = _copy_file(file, source=source, target=target, release=release, who=who)
        actionlog.append([200, "store_releasefile", f"{target.fullname}/+f/{new.hash_path}"])
        actionlog.extend(registry.run_push_hooks(source_file=file, target_file=new, user=user))
    if content.doczip is not None:
        actionlog.append(
            _copy_doczip(content.doczip, source=source, target=target, release=release, who=who)
        )
    audit_record(
        "release.push",
        target=f"{target.fullname}/{content.release.project.name}/{content.release.version}",
        index=target.fullname,
        detail={
            "source": source.fullname,
            "files": len(content.files),
            "docs": content.doczip is not None,
        },
    )
    serial_bump(target.id)
    return actionlog


def release_push(
    *,
    source: Index | str,
    project: str,
    version: str,
    target: Index | str,
    user: User | None,
    no_docs: bool = False,
    only_docs: bool = False,
) -> list:
    """Copy ``project`` ``version`` with its files, their tox results and its
    docs from ``source`` to ``target`` as ``user`` (who needs upload rights
    on the target). Returns devpi's actionlog."""
    source = index_of(source, "source index")
    target = index_of(target, "targetindex")
    source_read_check(user, source)
    content = release_content(
        source=source, project=project, version=version, no_docs=no_docs, only_docs=only_docs
    )
    who = _username(user)
    if not permissions.may_upload(user, target):
        raise Unauthorized(f"user {who!r} cannot upload to {target.fullname!r}")
    if target.pk == source.pk:
        raise Invalid(f"cannot push {project} {version} to its own index {source.fullname}")
    check_upload(target, project)
    _check_non_volatile(target, content)
    actionlog: list = [[200, "register", project, version, "->", target.fullname]]
    try:
        with transaction.atomic():
            actionlog.extend(_copy_content(content, source=source, target=target, user=user))
    except IntegrityError:
        raise Conflict(
            f"{project} {version} was changed on {target.fullname} concurrently, try again"
        ) from None
    return actionlog
