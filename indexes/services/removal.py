"""Removing projects, versions and files from an index.

Blobs are shared by content across indexes, so rows are removed here and
blobs no row points to are left for ``manage.py devpi_gc``.
"""

from __future__ import annotations

from django.db import transaction

from ..distribution.names import normalize_name
from ..errors import Forbidden, NotFound
from ..models import Index, Project, Release, ReleaseFile
from ..wire import serial_bump


def _check_volatile(index: Index, force: bool, what: str) -> None:
    if not index.volatile and not force:
        raise Forbidden(f"cannot delete {what} on non-volatile index {index.fullname}")


def project_delete(*, index: Index, project: str, force: bool = False) -> None:
    name = normalize_name(project)
    _check_volatile(index, force, "project")
    with transaction.atomic():
        deleted, _ = Project.objects.filter(index=index, name=name).delete()
        if not deleted:
            raise NotFound(f"project {project!r} not found on {index.fullname}")
        serial_bump(index.id)


def release_delete(*, index: Index, project: str, version: str, force: bool = False) -> None:
    _check_volatile(index, force, "version")
    with transaction.atomic():
        deleted, _ = Release.objects.filter(
            project__index=index, project__name=normalize_name(project), version=version
        ).delete()
        if not deleted:
            raise NotFound(f"project {project!r} has no version {version!r} on {index.fullname}")
        serial_bump(index.id)


def release_file_delete(*, index: Index, file: ReleaseFile, force: bool = False) -> None:
    _check_volatile(index, force, "file")
    with transaction.atomic():
        ReleaseFile.objects.filter(pk=file.pk, index=index).delete()
        serial_bump(index.id)
