"""Uploads through the legacy upload API (twine, devpi-client, setuptools).

``release_file_upload`` coordinates named steps, each testable alone:
parse the filename, check it against the form, verify digests and the
archive, store the blob, then record the rows in one transaction. Nothing
becomes visible unless every step passed.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ops import metrics

from ..audit import audit_record
from ..distribution.archives import (
    ArchiveLimits, Digests, InvalidArchive, compute_digests, inspect_archive, parse_core_metadata,
)
from ..distribution.filenames import DistFilename, InvalidFilename, parse_filename, versions_equal
from ..distribution.names import is_valid_project_name, normalize_name
from ..errors import Conflict, Invalid, NotFound, TooLarge
from ..models import Index, Project, Release, ReleaseFile
from ..readme import description_schedule
from ..project_status import check_upload
from ..storage import blob_put
from ..wire import serial_bump


@dataclass(frozen=True)
class UploadForm:
    """The fields of an upload request, independent of Django's QueryDict."""

    fields: dict[str, list[str]]

    def get(self, key: str, default: Any = None):
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


def log_entry(what: str, who: str | None, **extra) -> dict:
    """One entry of a link's history, as devpi keeps it: what happened (upload,
    push, overwrite), who did it, when (UTC, ``[Y, M, D, h, m, s]``) and
    from/to which index (``src``, ``dst``)."""
    entry = {"what": what, "who": who, "when": list(time.gmtime()[:6])}
    entry.update(extra)
    return entry


def overwrite_log(previous: list) -> list:
    """The start of the history of a link that replaces one of the same name
    (on a volatile index): an ``overwrite`` entry counting the replacements
    so far, as devpi writes it. The replaced link's other entries go."""
    count = sum(entry.get("count", 0) for entry in previous
                if isinstance(entry, dict) and entry.get("what") == "overwrite")
    return [log_entry("overwrite", None, count=count + 1)]


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
    for field, actual in (("sha256_digest", digests.sha256),
                          ("blake2_256_digest", digests.blake2_256),
                          ("md5_digest", digests.md5)):
        sent = (form.get(field) or "").strip().lower()
        if sent and sent != actual:
            raise Invalid(f"{field} does not match the uploaded content")


def archive_limits() -> ArchiveLimits:
    """The bounds of archive inspection (``DEVPI_ARCHIVE_MAX_MEMBERS``)."""
    return ArchiveLimits(max_members=int(settings.DEVPI.get("ARCHIVE_MAX_MEMBERS")
                                         or ArchiveLimits.max_members))


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
        index=index, name=normalize_name(name), defaults={"display_name": name})
    release = Release.objects.select_for_update().filter(project=project, version=version).first()
    if release is None:
        release = Release.objects.create(project=project, version=version,
                                         metadata=_metadata(form, only_present=False))
        description_schedule(release)
    else:
        update = _metadata(form, only_present=True)
        if update:
            release.metadata = {**release.metadata, **update}
            release.save(update_fields=["metadata", "modified"])
            description_schedule(release)
    return release


def release_register(*, index: Index, form: UploadForm) -> Release:
    """``:action=submit``: register or overwrite a release's metadata."""
    if index.is_mirror:
        raise NotFound("cannot submit to mirror index")
    name, version = check_name_and_version(form)
    check_upload(index, name)
    with transaction.atomic():
        release = _release_for(index, name, version, form)
        release.metadata = {**release.metadata, **_metadata(form, only_present=False)}
        release.save(update_fields=["metadata", "modified"])
        description_schedule(release)
        serial_bump(index.id)
    return release


def release_file_upload(*, index: Index, user, form: UploadForm, filename: str,
                        content: BinaryIO) -> UploadResult:
    """``:action=file_upload``. Permission checks are the caller's."""
    if index.is_mirror:
        raise NotFound("cannot submit to mirror index")
    name, version = check_name_and_version(form)
    check_upload(index, name)
    dist = check_filename(filename, name, version)
    digests = compute_digests(content)
    check_size(digests.size)
    check_digests(form, digests)
    existing = ReleaseFile.objects.filter(index=index, filename=filename).only("sha256").first()
    if existing is not None:
        if existing.sha256 == digests.sha256:
            return UploadResult(ReleaseFile.objects.get(pk=existing.pk), created=False)
        if not index.volatile:
            raise Conflict(f"{filename} already exists in non-volatile index")
    try:
        core_metadata = inspect_archive(content, dist, archive_limits())
    except InvalidArchive as exc:
        raise Invalid(str(exc)) from None
    requires_python = (form.get("requires_python") or "").strip()
    if core_metadata is not None and not requires_python:
        value = parse_core_metadata(core_metadata).get("requires-python", "")
        requires_python = value if isinstance(value, str) else ""
    blob_put(content, digests.sha256)
    who = user.username if user is not None else None
    try:
        with transaction.atomic():
            release = _release_for(index, name, version, form)
            row = ReleaseFile.objects.select_for_update().filter(
                index=index, filename=filename).first()
            if row is not None and row.sha256 == digests.sha256:
                return UploadResult(row, created=False)
            if row is not None and not index.volatile:
                raise Conflict(f"{filename} already exists in non-volatile index")
            history = []
            if row is None:
                row = ReleaseFile(index=index, filename=filename)
            else:
                history = overwrite_log(row.log)
            row.release = release
            row.sha256 = digests.sha256
            row.size = digests.size
            row.packagetype = dist.packagetype
            row.pyversion = (form.get("pyversion") or dist.pyversion)[:64]
            row.requires_python = requires_python[:255]
            row.core_metadata = core_metadata
            row.core_metadata_sha256 = (
                hashlib.sha256(core_metadata).hexdigest() if core_metadata is not None else "")
            row.uploaded_at = timezone.now()
            row.uploader = who or ""
            row.log = history + [log_entry("upload", who, dst=index.fullname)]
            row.save()
            audit_record("file.upload", target=f"{index.fullname}/+f/{row.hash_path}",
                         index=index.fullname,
                         detail={"project": release.project.name, "version": version,
                                 "file": filename, "sha256": row.sha256, "size": row.size})
            serial_bump(index.id)
    except IntegrityError:
        raise Conflict(f"{filename} was uploaded concurrently, try again") from None
    metrics.upload(digests.size)
    return UploadResult(row, created=True)
