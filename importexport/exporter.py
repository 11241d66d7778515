"""``devpi_export``: this server's users, indexes, releases, files, tox
results and docs as a devpi-export directory that devpi-server's
``devpi-import`` (and ``devpi_import`` here) accepts.

Mirror indexes are exported with their config only, as devpi-export does
without ``--include-mirrored-files``. Password hashes go along when
devpi-server can verify them (argon2); other users are listed in the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

from devpi_django import __version__
from indexes.models import Index, Release, ReleaseFile, UserProfile
from indexes.permissions import SERVER
from indexes.selectors import user_public_keys
from indexes.serverstate import DEVPI_SERVER_COMPAT_VERSION
from indexes.storage import blob_open

from . import mapping
from .attachments import AttachmentOut, attachment_handler
from .errors import ImportExportError
from .layout import (
    DOCZIP,
    RELEASEFILE,
    TOXRESULT,
    doczip_relpath,
    entrypath,
    releasefile_relpath,
    toxresult_relpath,
)
from .reports import ExportReport, Skipped
from .rights import check_whole_server
from .writer import ExportWriteError, ExportWriter

if TYPE_CHECKING:
    from devpi_django.progress import Progress as Counter
    from indexes.permissions import Actor

Progress = Callable[[str], None]


def devpi_export(
    path,
    *,
    progress: Progress | None = None,
    counter: Counter | None = None,
    actor: Actor = SERVER,
) -> ExportReport:
    """Export everything to directory ``path``, which must not exist or be
    empty. Raises ``ImportExportError`` (a one-line message) when it cannot
    write there; files it cannot read are listed in the report's ``skipped``."""
    check_whole_server(actor)
    progress = progress or (lambda line: None)
    writer = ExportWriter(
        path, devpi_server_version=DEVPI_SERVER_COMPAT_VERSION, extra={"devpi_django": __version__}
    )
    report = ExportReport(path=str(path))
    progress(f"creating {path}")
    _export_users(writer, report, progress)
    if counter is not None:  # devpi_django.progress.Progress: release files
        counter.start(
            ReleaseFile.objects.filter(index__owner__is_active=True)
            .exclude(index__type=Index.MIRROR)
            .count()
        )
    for index in Index.objects.select_related("owner").order_by("owner__username", "name"):
        if not index.owner.is_active:
            report.skip(f"index {index.fullname}", "its owner is inactive here")
            continue
        _export_index(writer, report, progress, index, counter)
    writer.finish()
    progress(f"wrote {writer.path / 'dataindex.json'}")
    return report


def _export_users(writer: ExportWriter, report: ExportReport, progress: Progress) -> None:
    profiles = {p.user_id: p for p in UserProfile.objects.all()}
    for user in get_user_model().objects.order_by("username"):
        if not user.is_active:
            report.skip(f"user {user.username}", "inactive here (devpi has no inactive users)")
            continue
        profile = profiles.get(user.id)
        config: dict = user_public_keys(user, profile)
        config["created"] = mapping.iso(profile.created if profile else user.date_joined)
        if profile is not None and profile.modified:
            config["modified"] = mapping.iso(profile.modified)
        password, problem = mapping.password_to_devpi(user.password)
        config.update(password)
        if problem:
            report.password_resets.append(Skipped(f"user {user.username}", problem))
        writer.user(user.username, config)
        report.exported["users"] += 1
        progress(f"user {user.username}")


def _export_index(
    writer: ExportWriter,
    report: ExportReport,
    progress: Progress,
    index: Index,
    counter: Counter | None = None,
) -> None:
    name = index.fullname
    writer.index(
        name, mapping.index_config_to_devpi(index.type, index.config), with_data=not index.is_mirror
    )
    report.exported["indexes"] += 1
    if index.is_mirror:
        progress(f"index {name} (mirror: config only)")
        return
    releases = _export_releases(writer, report, index)
    exported_files = _export_release_files(writer, report, index, counter)
    _export_attachments(writer, report, index, exported_files)
    progress(f"index {name}: {len(releases)} releases, {len(exported_files)} files")


def _export_releases(writer: ExportWriter, report: ExportReport, index: Index) -> list[Release]:
    name = index.fullname
    releases = list(
        Release.objects.filter(project__index=index)
        .select_related("project")
        .order_by("project__name", "id")
    )
    for release in releases:
        project = release.project
        writer.version(
            name,
            project.name,
            release.version,
            mapping.release_to_devpi(
                display_name=project.display_name,
                version=release.version,
                metadata=release.metadata,
                yanked=release.yanked,
                yanked_reason=release.yanked_reason,
            ),
        )
        report.exported["releases"] += 1
    report.exported["projects"] += len({r.project_id for r in releases})
    return releases


def _export_release_files(
    writer: ExportWriter, report: ExportReport, index: Index, counter: Counter | None
) -> set[int]:
    """The index's release files; returns the ids of those exported."""
    name = index.fullname
    exported_files: set[int] = set()
    files = (
        ReleaseFile.objects.filter(index=index)
        .select_related("release__project")
        .defer("core_metadata")
        .order_by("release__project__name", "release_id", "filename")
    )
    for f in files:
        project = f.release.project.name
        relpath = releasefile_relpath(name, project, f.release.version, f.filename)
        if _copy(
            writer,
            report,
            name,
            relpath,
            f.sha256,
            lambda f=f: blob_open(f.sha256),
            type=RELEASEFILE,
            project=project,
            version=f.release.version,
            last_modified=mapping.http_date(f.uploaded_at),
            log=f.log,
        ):
            exported_files.add(f.id)
            report.exported["release files"] += 1
        if counter is not None:
            counter.advance()
    return exported_files


def _export_attachments(writer, report, index: Index, exported_files: set[int]) -> None:
    name = index.fullname
    handler = attachment_handler(TOXRESULT)
    for item in handler.export_files(index) if handler else ():
        release_file = item.release_file
        project = item.release.project.name
        if release_file is None or release_file.id not in exported_files:
            report.skip(f"{name}: {item.filename}", "the file it is for was not exported")
            continue
        if _copy(
            writer,
            report,
            name,
            toxresult_relpath(name, project, release_file.sha256, item.filename),
            item.sha256,
            item.open,
            type=TOXRESULT,
            project=project,
            version=item.release.version,
            last_modified=mapping.http_date(item.uploaded_at),
            log=item.log,
            for_entrypath=entrypath(name, release_file.sha256, release_file.filename),
        ):
            report.exported["tox results"] += 1
    handler = attachment_handler(DOCZIP)
    newest: dict[int, AttachmentOut] = {}
    for item in handler.export_files(index) if handler else ():
        current = newest.get(item.release.id)
        if current is None or item.uploaded_at >= current.uploaded_at:
            newest[item.release.id] = item  # devpi keeps one doc zip per version
    for item in newest.values():
        project = item.release.project.name
        if _copy(
            writer,
            report,
            name,
            doczip_relpath(name, project, item.release.version),
            item.sha256,
            item.open,
            type=DOCZIP,
            project=project,
            version=item.release.version,
            last_modified=mapping.http_date(item.uploaded_at),
            log=item.log,
        ):
            report.exported["doc zips"] += 1


def _copy(
    writer: ExportWriter,
    report: ExportReport,
    index: str,
    relpath: str,
    sha256: str,
    opener,
    **desc,
) -> bool:
    try:
        with opener() as content:
            writer.file(index, relpath=relpath, content=content, sha256=sha256, **desc)
    except ExportWriteError:
        raise
    except ImportExportError as exc:
        reason = exc.message
    except Exception as exc:
        reason = f"cannot read its stored bytes: {type(exc).__name__}: {exc}"
    else:
        return True
    report.skip(f"{index}: {relpath.rsplit('/', 1)[-1]}", reason)
    return False
