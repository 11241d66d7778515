"""Documentation zips (``:action=doc_upload``, devpi's ``doczip``).

``doczip_upload`` coordinates named steps: check the form, hash and size the
zip, check every entry (``indexes.distribution.doczip``) before anything is
written, store the zip as a blob, unpack its tree into the blob storage, then
record the row. Invalid input is refused with nothing written.

``doczip_store`` records a zip whose blob and tree exist already (push,
import).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..audit import audit_record
from ..distribution.archives import compute_digests
from ..distribution.doczip import READ_ERRORS, DocMember, InvalidDocZip, check_doczip
from ..distribution.hashpath import file_path
from ..distribution.names import is_valid_project_name, normalize_name
from ..distribution.versions import sorted_versions
from ..errors import Conflict, Invalid, NotFound
from ..models import DocZip, Index, Release
from ..serverstate import serial_bump
from ..storage import blob_put, blob_storage, doc_key, doc_marker_key
from .files import log_entry, overwrite_log
from .uploads import UploadForm, _release_for, check_size, upload_permission_check

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEFAULT_MAX_FILES = 10_000
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
SPOOL_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class DocUploadResult:
    doczip: DocZip
    created: bool  # False: identical bytes were there already


def doc_limits() -> tuple[int, int]:
    """(entries, uncompressed bytes) a documentation zip may have."""
    config = settings.DEVPI
    return (
        int(config.get("DOC_MAX_FILES") or DEFAULT_MAX_FILES),
        int(config.get("DOC_MAX_BYTES") or DEFAULT_MAX_BYTES),
    )


def doczip_filename(project: str, version: str) -> str:
    return f"{normalize_name(project)}-{version}.doc.zip"


def check_doczip_content(content: BinaryIO) -> list[DocMember]:
    max_files, max_bytes = doc_limits()
    try:
        return check_doczip(content, max_files=max_files, max_bytes=max_bytes)
    except InvalidDocZip as exc:
        raise Invalid(str(exc)) from None


def _doc_name_and_version(index: Index, form: UploadForm) -> tuple[str, str, bool]:
    """(name, version, version given): as devpi, a missing version means the
    project's latest version on this index."""
    name = (form.get("name") or "").strip()
    if not name:
        raise Invalid("missing 'name' field")
    if not is_valid_project_name(name):
        raise Invalid(f"invalid project name {name!r}")
    version = (form.get("version") or "").strip()
    if version:
        if len(version) > 255 or any(c.isspace() or c in "/\\" for c in version):
            raise Invalid(f"invalid version {version!r}")
        return name, version, True
    versions = Release.objects.filter(
        project__index=index, project__name=normalize_name(name)
    ).values_list("version", flat=True)
    ordered = sorted_versions(versions)
    if not ordered:
        raise Invalid(
            f"doczip has no version and {normalize_name(name)!r} has no releases to derive one from"
        )
    return name, ordered[0], False


def _open_zip(
    content: BinaryIO,
    members: list[DocMember],
) -> contextlib.AbstractContextManager[zipfile.ZipFile | None]:
    """The zip to unpack ``members`` from; an empty file (no members) is not
    opened at all."""
    return zipfile.ZipFile(content) if members else contextlib.nullcontext(None)


def doc_tree_unpack(content: BinaryIO, members: list[DocMember], sha256: str) -> None:
    """Write the checked entries under the tree of ``sha256``, then its
    marker. A tree that is complete already is left alone. On a broken entry
    (a CRC mismatch) what was written is removed and ``Invalid`` raised."""
    storage = blob_storage()
    if storage.exists(doc_marker_key(sha256)):
        return
    written: list[str] = []
    content.seek(0)
    try:
        with _open_zip(content, members) as archive:
            for member in members:
                assert archive is not None  # opened: there are members
                key = doc_key(sha256, member.path)
                with (
                    archive.open(member.info) as source,
                    tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool,
                ):
                    shutil.copyfileobj(source, spool, 1024 * 1024)
                    spool.seek(0)
                    storage.save(key, File(spool, name=key))
                written.append(key)
    except READ_ERRORS as exc:
        for key in written:
            storage.delete(key)
        raise Invalid(f"documentation zip is damaged: {exc}") from None
    with tempfile.SpooledTemporaryFile() as marker:
        marker.write(f"{len(members)}\n".encode())
        marker.seek(0)
        storage.save(doc_marker_key(sha256), File(marker, name=doc_marker_key(sha256)))


def doczip_upload(
    *, index: Index, user: User | None, form: UploadForm, content: BinaryIO
) -> DocUploadResult:
    """``:action=doc_upload``, as ``user`` (``upload_permission_check``)."""
    if index.is_mirror:
        raise NotFound("cannot submit to mirror index")
    upload_permission_check(user=user, index=index)
    name, version, version_given = _doc_name_and_version(index, form)
    digests = compute_digests(content)
    # an empty file is documentation without pages: devpi stores any bytes, and
    # devpi-client's own suite uploads an empty foo-1.0.doc.zip
    check_size(digests.size, allow_empty=True)
    members = check_doczip_content(content) if digests.size else []
    filename = doczip_filename(name, version)
    if len(filename) > 255:
        raise Invalid(f"documentation file name {filename!r} is too long")
    existing = DocZip.objects.filter(index=index, filename=filename).first()
    if existing is not None:
        if existing.sha256 == digests.sha256:
            return DocUploadResult(existing, created=False)
        if not index.volatile:
            raise Conflict(f"{filename} already exists in non-volatile index")
    blob_put(content, digests.sha256)
    doc_tree_unpack(content, members, digests.sha256)
    who = user.username if user is not None else None
    with transaction.atomic():
        if version_given:
            release = _release_for(index, name, version, form)
        else:
            release = Release.objects.get(
                project__index=index, project__name=normalize_name(name), version=version
            )
        row, created = doczip_store(
            index=index,
            release=release,
            sha256=digests.sha256,
            size=digests.size,
            uploaded_at=timezone.now(),
            log=[log_entry("upload", who, dst=index.fullname)],
            uploader=who or "",
        )
        if created:
            audit_record(
                "doc.upload",
                target=file_path(index.fullname, row.sha256, row.filename),
                index=index.fullname,
                detail={
                    "project": release.project.name,
                    "version": release.version,
                    "file": row.filename,
                    "sha256": row.sha256,
                    "size": row.size,
                },
            )
    return DocUploadResult(row, created=created)


def doczip_store(
    *,
    index: Index,
    release: Release,
    sha256: str,
    size: int,
    uploaded_at: datetime,
    log: list,
    uploader: str = "",
) -> tuple[DocZip, bool]:
    """Record ``release``'s doczip on ``index`` (its blob and unpacked tree
    exist). Identical bytes: no change. Other bytes: replaced on a volatile
    index, ``Conflict`` on a non-volatile one."""
    filename = doczip_filename(release.project.name, release.version)
    try:
        with transaction.atomic():
            row = DocZip.objects.select_for_update().filter(release=release).first()
            if row is not None and row.sha256 == sha256:
                return row, False
            if row is not None and not index.volatile:
                raise Conflict(f"{row.filename} already exists in non-volatile index")
            if row is None:
                row = DocZip(release=release, index=index)
            else:
                log = overwrite_log(row.log) + list(log)
            row.filename = filename
            row.sha256 = sha256
            row.size = size
            row.uploaded_at = uploaded_at
            row.uploader = uploader
            row.log = log
            row.save()
            serial_bump(index.id)
    except IntegrityError:
        raise Conflict(f"{filename} was uploaded concurrently, try again") from None
    return row, True
