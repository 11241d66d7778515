"""Projects, releases and release files of a stage index in an export.

Every file's recorded hashes are checked and its blob stored before the
rows that point to it (``member_check``); each project's rows are written in
one transaction, the release files through ``indexes.services.files``. A
file that is here already, or was removed here after an earlier import, is
left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from indexes.distribution.archives import InvalidArchive, inspect_archive, parse_core_metadata
from indexes.distribution.filenames import (
    DistFilename,
    InvalidFilename,
    check_plain_filename,
    parse_filename,
)
from indexes.distribution.names import normalize_name
from indexes.models import Index, Project, Release, ReleaseFile, RemovedFile
from indexes.readme import description_schedule
from indexes.serverstate import serial_bump
from indexes.services.files import FileFacts, release_file_create
from indexes.services.uploads import archive_limits

from . import mapping
from .import_attachments import attachment_import
from .import_run import ImportRun, member_check
from .layout import DOCZIP, RELEASEFILE, TOXRESULT, FileDesc, IndexDump
from .reports import Skipped


@dataclass
class _VerifiedFile:
    desc: FileDesc
    path: Path
    sha256: str
    size: int


def index_data_import(run: ImportRun, dump: IndexDump, index: Index) -> None:
    by_project: dict[str, list[FileDesc]] = {}
    for desc in dump.files:
        by_project.setdefault(normalize_name(desc.project), []).append(desc)
    names = list(dump.projects) + [p for p in by_project if p not in dump.projects]
    before = (sum(run.report.created.values()), sum(run.report.unchanged.values()))
    for name in names:
        _project_import(
            run, dump, index, name, dump.projects.get(name, {}), by_project.get(name, [])
        )
    created = sum(run.report.created.values()) - before[0]
    unchanged = sum(run.report.unchanged.values()) - before[1]
    run.progress(
        f"index {dump.name}: {len(names)} projects, {created} objects created, "
        f"{unchanged} already there"
    )


def _project_import(
    run: ImportRun,
    dump: IndexDump,
    index: Index,
    name: str,
    versions: dict[str, dict],
    descs: list[FileDesc],
) -> None:
    report = run.report
    releasefiles = [d for d in descs if d.type == RELEASEFILE]
    attached = [d for d in descs if d.type in (TOXRESULT, DOCZIP)]
    for desc in descs:
        if desc.type not in (RELEASEFILE, TOXRESULT, DOCZIP):
            report.skip(f"{dump.name}: {desc.relpath}", f"unknown file type {desc.type!r}")
    verified = [v for v in (_verify(run, dump, index, d) for d in releasefiles) if v]
    display = _display_name(name, versions)
    before = sum(report.created.values())
    with transaction.atomic():
        project, created = Project.objects.get_or_create(
            index=index, name=name, defaults={"display_name": display}
        )
        (report.created if created else report.unchanged)["projects"] += 1
        releases = {r.version: r for r in Release.objects.filter(project=project)}
        for version, versiondata in versions.items():
            _release(run, dump, project, releases, version, versiondata)
        for item in verified:
            _release_file(run, dump, index, project, releases, item)
        if sum(report.created.values()) != before:
            serial_bump(index.id)
    for desc in attached:
        attachment_import(run, dump, index, project, releases, desc)
    if run.counter is not None:
        run.counter.advance(len(descs))


def _release(run: ImportRun, dump, project, releases, version, versiondata) -> Release:
    data = mapping.release_from_devpi(versiondata, project=project.display_name, version=version)
    release = releases.get(version)
    if release is None:
        release = Release.objects.create(
            project=project,
            version=version,
            metadata=data.metadata,
            yanked=data.yanked,
            yanked_reason=data.yanked_reason,
        )
        description_schedule(release)
        releases[version] = release
        run.report.created["releases"] += 1
        return release
    run.report.unchanged["releases"] += 1
    if (release.metadata, release.yanked, release.yanked_reason) != (
        data.metadata,
        data.yanked,
        data.yanked_reason,
    ):
        run.report.kept.append(
            Skipped(f"{dump.name}: {project.name} {version}", "release metadata differs")
        )
    return release


def _release_for_file(run: ImportRun, dump, project, releases, desc) -> Release:
    version = desc.version
    if (
        version not in releases
        and version
        and "_" in version
        and version.replace("_", "-") in releases
    ):
        version = version.replace("_", "-")  # as devpi-import guesses
    release = releases.get(version)
    if release is None:
        run.report.notes.append(
            f"{dump.name}: {desc.basename}: no metadata for version "
            f"{version} in the export; registered name and version"
        )
        release = _release(
            run,
            dump,
            project,
            releases,
            version,
            {"name": project.display_name, "version": version},
        )
    return release


def _verify(run: ImportRun, dump: IndexDump, index: Index, desc: FileDesc) -> _VerifiedFile | None:
    """Hash-check a release file and store its blob; None: skipped or
    already here."""
    what = f"{dump.name}: {desc.basename}"
    try:
        check_plain_filename(desc.basename)
    except InvalidFilename as exc:
        run.report.skip(what, str(exc))
        return None
    if not desc.version:
        run.report.skip(what, "the export gives no version for it")
        return None
    recorded = desc.hashes.get("sha256")
    existing = (
        ReleaseFile.objects.filter(index=index, filename=desc.basename).only("sha256").first()
    )
    if existing is not None and recorded and existing.sha256 == recorded:
        run.report.unchanged["release files"] += 1
        return None
    if (
        recorded
        and RemovedFile.objects.filter(
            index=index, filename=desc.basename, sha256=recorded
        ).exists()
    ):
        run.report.skip(what, "it was removed here after an earlier import")
        return None
    checked = member_check(run, dump, desc)
    if checked is None:
        return None
    sha256, size, path = checked
    if existing is not None:
        if existing.sha256 == sha256:
            run.report.unchanged["release files"] += 1
        else:
            run.report.kept.append(Skipped(what, "a file with other content has this name here"))
        return None
    return _VerifiedFile(desc, path, sha256, size)


def _release_file(
    run: ImportRun,
    dump: IndexDump,
    index: Index,
    project: Project,
    releases: dict[str, Release],
    item: _VerifiedFile,
) -> None:
    desc = item.desc
    release = _release_for_file(run, dump, project, releases, desc)
    dist, core_metadata = _inspect(run, dump, item, release.version)
    requires_python = release.metadata.get("requires_python") or ""
    if not requires_python and core_metadata is not None:
        value = parse_core_metadata(core_metadata).get("requires-python", "")
        requires_python = value if isinstance(value, str) else ""
    log = desc.log if desc.log is not None else [mapping.import_log_entry(dump.name)]
    facts = FileFacts(
        filename=desc.basename,
        sha256=item.sha256,
        size=item.size,
        packagetype=dist.packagetype if dist else "",
        pyversion=dist.pyversion if dist else "",
        requires_python=str(requires_python),
        core_metadata=core_metadata,
    )
    release_file_create(
        index=index,
        release=release,
        facts=facts,
        history=log,
        entry=None,
        uploaded_at=(
            mapping.parse_http_date(desc.last_modified) or mapping.log_time(log) or timezone.now()
        ),
        uploader=mapping.log_who(log),
    )
    run.report.created["release files"] += 1
    run.progress(f"{dump.name}: {desc.basename}: imported")


def _inspect(
    run: ImportRun, dump, item: _VerifiedFile, version: str
) -> tuple[DistFilename | None, bytes | None]:
    try:
        dist = parse_filename(item.desc.basename, version_hint=version)
    except InvalidFilename as exc:
        run.report.notes.append(
            f"{dump.name}: {item.desc.basename}: {exc}; imported without a package type"
        )
        return None, None
    if dist.packagetype != "bdist_wheel":
        return dist, None
    with open(item.path, "rb") as f:
        try:
            return dist, inspect_archive(f, dist, archive_limits())
        except InvalidArchive as exc:
            run.report.notes.append(
                f"{dump.name}: {item.desc.basename}: {exc}; imported without core metadata"
            )
            return dist, None


def _display_name(name: str, versions: dict[str, dict]) -> str:
    for data in versions.values():
        value = data.get("name")
        if isinstance(value, str) and value and normalize_name(value) == name:
            return value
    return name
