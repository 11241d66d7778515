"""Uploads through the legacy upload API (twine, devpi-client, setuptools).

``release_file_upload`` coordinates named steps, each testable alone:
check the uploader's permission, parse the filename, check it against the
form, verify digests and the archive, store the blob, then record the rows
in one transaction (the release file row through ``files.release_file_create``).
Nothing becomes visible unless every step passed.

The upload services (file, metadata, documentation) enforce upload
permission themselves (``upload_permission_check``), so the HTTP API and
``manage.py devpi`` refuse the same users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ops import metrics

from .. import permissions
from ..audit import audit_record
from ..distribution.archives import (
    ArchiveLimits,
    Digests,
    InvalidArchive,
    compute_digests,
    inspect_archive,
    parse_core_metadata,
)
from ..distribution.filenames import DistFilename, InvalidFilename, parse_filename, versions_equal
from ..distribution.names import is_valid_project_name, normalize_name
from ..errors import Conflict, Forbidden, Invalid, NotFound, TooLarge, Unauthorized
from ..models import Index, Project, Release, ReleaseFile
from ..project_status import check_upload
from ..readme import description_schedule
from ..serverstate import serial_bump
from ..storage import blob_put
from .files import (
    FileFacts,
    log_entry,
    overwrite_check,
    release_file_create,
    release_file_locked,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class UploadForm:
    """The fields of an upload request, independent of Django's QueryDict."""

    fields: dict[str, list[str]]

    def get(self, key: str, default: Any = None) -> Any:
        values = self.fields.get(key)
        return values[-1] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(self.fields.get(key, []))

    @property
    def keys(self) -> set[str]:
        return set(self.fields)


@dataclass(frozen=True)
class UploadResult:
    file: ReleaseFile
    created: bool  # False: identical bytes were there already


def check_name_and_version(form: UploadForm) -> tuple[str, str]:
    name = (form.get("name") or "").strip()
    version = (form.get("version") or "").strip()
    if not name:
        raise Invalid("missing 'name' field")
    if not is_valid_project_name(name):
        raise Invalid(f"invalid project name {name!r}")
    if not version:
        raise Invalid("missing 'version' field")
    if len(version) > 255 or any(c.isspace() or c in "/\\" for c in version):
        raise Invalid(f"invalid version {version!r}")
    return name, version


def check_filename(filename: str, name: str, version: str) -> DistFilename:
    try:
        dist = parse_filename(filename, version_hint=version)
    except InvalidFilename as exc:
        raise Invalid(str(exc)) from None
    if dist.project != normalize_name(name):
        raise Invalid(f"filename {filename!r} does not match project name {name!r}")
    if not versions_equal(dist.version, version):
        raise Invalid(f"filename {filename!r} does not contain version {version!r}")
    return dist


def check_digests(form: UploadForm, digests: Digests) -> None:
    for field, actual in (
        ("sha256_digest", digests.sha256),
        ("blake2_256_digest", digests.blake2_256),
        ("md5_digest", digests.md5),
    ):
        sent = (form.get(field) or "").strip().lower()
        if sent and sent != actual:
            raise Invalid(f"{field} does not match the uploaded content")


def archive_limits() -> ArchiveLimits:
    """The bounds of archive inspection (``DEVPI_ARCHIVE_MAX_MEMBERS``)."""
    return ArchiveLimits(
        max_members=int(settings.DEVPI.get("ARCHIVE_MAX_MEMBERS") or ArchiveLimits.max_members)
    )


def check_size(size: int, *, allow_empty: bool = False) -> None:
    limit = settings.DEVPI["MAX_UPLOAD_BYTES"]
    if size > limit:
        raise TooLarge(f"file of {size} bytes is larger than the limit of {limit} bytes")
    if size == 0 and not allow_empty:
        raise Invalid("uploaded file is empty")


def _metadata(form: UploadForm, *, only_present: bool) -> dict:
    from ..distribution.metadata import metadata_from_form

    return metadata_from_form(form.get, form.getlist, form.keys, only_present=only_present)


def _release_for(index: Index, name: str, version: str, form: UploadForm) -> Release:
    """Project and release rows, creating or updating the registered metadata."""
    project, _ = Project.objects.get_or_create(
        index=index, name=normalize_name(name), defaults={"display_name": name}
    )
    release = Release.objects.select_for_update().filter(project=project, version=version).first()
    if release is None:
        release = Release.objects.create(
            project=project, version=version, metadata=_metadata(form, only_present=False)
        )
        description_schedule(release)
    else:
        update = _metadata(form, only_present=True)
        if update:
            release.metadata = {**release.metadata, **update}
            release.save(update_fields=["metadata", "modified"])
            description_schedule(release)
    return release


def upload_permission_check(*, user: User | None, index: Index) -> None:
    """Refuse ``user`` an upload of any kind (files, docs, metadata) to
    ``index`` unless ``acl_upload`` (and a token's scope) allows it: a bare
    401 "Unauthorized" for an anonymous user, as devpi answers (twine then
    asks for credentials; devpi-client prints the reason after logoff), a 403
    for a user without the right. The upload services call it themselves;
    the upload view calls it early too, to refuse before reading the body."""
    if permissions.may_upload(user, index):
        return
    if user is None:
        raise Unauthorized("Unauthorized")
    raise Forbidden("no permission to submit")


def release_register(*, index: Index, user: User | None, form: UploadForm) -> Release:
    """``:action=submit``: register or overwrite a release's metadata."""
    if index.is_mirror:
        raise NotFound("cannot submit to mirror index")
    upload_permission_check(user=user, index=index)
    name, version = check_name_and_version(form)
    check_upload(index, name)
    with transaction.atomic():
        release = _release_for(index, name, version, form)
        release.metadata = {**release.metadata, **_metadata(form, only_present=False)}
        release.save(update_fields=["metadata", "modified"])
        description_schedule(release)
        serial_bump(index.id)
    return release


@dataclass(frozen=True)
class _CheckedUpload:
    """An upload whose form, name, size and digests passed."""

    name: str
    version: str
    dist: DistFilename
    digests: Digests


def _upload_check(
    index: Index, form: UploadForm, filename: str, content: BinaryIO
) -> _CheckedUpload:
    name, version = check_name_and_version(form)
    check_upload(index, name)
    dist = check_filename(filename, name, version)
    digests = compute_digests(content)
    check_size(digests.size)
    check_digests(form, digests)
    return _CheckedUpload(name, version, dist, digests)


def _file_facts(
    form: UploadForm, filename: str, upload: _CheckedUpload, content: BinaryIO
) -> FileFacts:
    """What the row records: the archive inspected (a wheel's METADATA) and
    Requires-Python from the form or, failing that, the metadata."""
    try:
        core_metadata = inspect_archive(content, upload.dist, archive_limits())
    except InvalidArchive as exc:
        raise Invalid(str(exc)) from None
    requires_python = (form.get("requires_python") or "").strip()
    if core_metadata is not None and not requires_python:
        value = parse_core_metadata(core_metadata).get("requires-python", "")
        requires_python = value if isinstance(value, str) else ""
    return FileFacts(
        filename=filename,
        sha256=upload.digests.sha256,
        size=upload.digests.size,
        packagetype=upload.dist.packagetype,
        pyversion=form.get("pyversion") or upload.dist.pyversion,
        requires_python=requires_python,
        core_metadata=core_metadata,
    )


def release_file_upload(
    *, index: Index, user: User | None, form: UploadForm, filename: str, content: BinaryIO
) -> UploadResult:
    """``:action=file_upload``, as ``user`` (``upload_permission_check``)."""
    if index.is_mirror:
        raise NotFound("cannot submit to mirror index")
    upload_permission_check(user=user, index=index)
    upload = _upload_check(index, form, filename, content)
    existing = ReleaseFile.objects.filter(index=index, filename=filename).only("sha256").first()
    if existing is not None:
        if existing.sha256 == upload.digests.sha256:
            return UploadResult(ReleaseFile.objects.get(pk=existing.pk), created=False)
        overwrite_check(index, filename)
    facts = _file_facts(form, filename, upload, content)
    blob_put(content, facts.sha256)
    who = user.username if user is not None else None
    try:
        with transaction.atomic():
            release = _release_for(index, upload.name, upload.version, form)
            row = release_file_locked(index=index, filename=filename)
            if row is not None and row.sha256 == facts.sha256:
                return UploadResult(row, created=False)
            row = release_file_create(
                index=index,
                release=release,
                facts=facts,
                history=[],
                entry=log_entry("upload", who, dst=index.fullname),
                uploaded_at=timezone.now(),
                uploader=who or "",
                replacing=row,
                keep_attached=True,
            )
            audit_record(
                "file.upload",
                target=f"{index.fullname}/+f/{row.hash_path}",
                index=index.fullname,
                detail={
                    "project": release.project.name,
                    "version": upload.version,
                    "file": filename,
                    "sha256": row.sha256,
                    "size": row.size,
                },
            )
            serial_bump(index.id)
    except IntegrityError:
        raise Conflict(f"{filename} was uploaded concurrently, try again") from None
    metrics.upload(facts.size)
    return UploadResult(row, created=True)
