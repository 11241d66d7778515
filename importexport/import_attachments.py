"""Tox results and documentation zips of an export, handed to the handler
their app registered (``attachments``); reported as skipped when no app
stores them or the release (or release file) they belong to is not here."""

from __future__ import annotations

from django.utils import timezone

from indexes.errors import DevpiError
from indexes.models import ReleaseFile

from . import mapping
from .attachments import AttachmentIn, attachment_handler
from .import_run import ImportRun, member_check
from .layout import TOXRESULT, FileDesc


def attachment_import(run: ImportRun, dump, index, project, releases, desc: FileDesc) -> None:
    kind = "tox results" if desc.type == TOXRESULT else "doc zips"
    what = desc.relpath
    handler = attachment_handler(desc.type)
    if handler is None:
        run.report.skip(what, f"this server does not store {kind} (yet)")
        return
    release = releases.get(desc.version or "")
    if release is None:
        run.report.skip(what, f"no release {desc.version} of {project.name} here")
        return
    release_file = None
    if desc.type == TOXRESULT:
        release_file = ReleaseFile.objects.filter(
            index=index, release=release, filename=desc.for_basename or ""
        ).first()
        if release_file is None:
            run.report.skip(what, f"the file it is for ({desc.for_basename}) is not here")
            return
    checked = member_check(run, dump, desc, store=False)
    if checked is None:
        return
    sha256, size, path = checked
    log = desc.log if desc.log is not None else [mapping.import_log_entry(dump.name)]
    with open(path, "rb") as f:
        item = AttachmentIn(
            index=index,
            release=release,
            release_file=release_file,
            filename=desc.basename,
            sha256=sha256,
            size=size,
            content=f,
            log=log,
            uploaded_at=mapping.parse_http_date(desc.last_modified)
            or mapping.log_time(log)
            or timezone.now(),
        )
        try:
            created = handler.import_file(item)
        except DevpiError as exc:
            run.report.skip(what, exc.message)
            return
    if created:
        run.report.created[kind] += 1
        run.progress(f"{dump.name}: {desc.basename}: imported")
    else:
        run.report.unchanged[kind] += 1
