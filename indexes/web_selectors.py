"""Reads for the web UI's pages: plain values the templates show.

The JSON API's selectors (``indexes.selectors``) give devpi's shapes; these
add what a person wants to see: the latest version and summary of each
project, which index along the bases each version and file comes from, file
sizes, uploaders and tox results.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models.fields.json import KT

from . import registry
from .distribution.hashpath import split_file_url
from .distribution.names import normalize_name
from .distribution.redact import redact_text
from .distribution.versions import version_key
from .models import Index, Project, Release, ReleaseFile
from .resolution import project_candidates

log = logging.getLogger(__name__)

PROJECTS_PER_PAGE = 100


@dataclass(frozen=True)
class LatestRelease:
    version: str
    summary: str
    yanked: bool


def latest_releases(project_ids: list[int]) -> dict[int, LatestRelease]:
    """Per project id, its highest version (not yanked, if it has any such)
    and that version's summary. One query, without the long descriptions."""
    rows = Release.objects.filter(project_id__in=project_ids).values(
        "project_id", "version", "yanked", summary=KT("metadata__summary")
    )
    best: dict[int, tuple] = {}
    for row in rows:
        key = (not row["yanked"], version_key(row["version"]))
        current = best.get(row["project_id"])
        if current is None or key > current[0]:
            best[row["project_id"]] = (key, row)
    return {
        pid: LatestRelease(row["version"], row["summary"] or "", row["yanked"])
        for pid, (_key, row) in best.items()
    }


@dataclass(frozen=True)
class ProjectRow:
    name: str
    display_name: str
    version: str
    summary: str


def index_projects(
    index: Index, *, page: int | str | None = 1, per_page: int = PROJECTS_PER_PAGE
) -> Page:
    """A page of the index's own projects by name (``ProjectRow``)."""
    projects = (
        Project.objects.filter(index=index).order_by("name").values("id", "name", "display_name")
    )
    result: Page[Any] = Paginator(projects, per_page).get_page(page)
    rows = list(result.object_list)
    latest = latest_releases([row["id"] for row in rows])
    empty = LatestRelease("", "", False)
    result.object_list = [
        ProjectRow(
            row["name"],
            row["display_name"],
            latest.get(row["id"], empty).version,
            latest.get(row["id"], empty).summary,
        )
        for row in rows
    ]
    return result


@dataclass(frozen=True)
class VersionRow:
    version: str
    summary: str
    index: str  # the index the version comes from
    yanked: bool
    also_on: list[str] = field(default_factory=list)  # later indexes that it shadows


def project_version_rows(index: Index, project: str, versions: dict[str, dict]) -> list[VersionRow]:
    """The versions the index shows (devpi's projectconfig ``versions``),
    newest first, each with the index along the resolution order that
    provides it: the first stage index that has it, else a mirror."""
    name = normalize_name(project)
    candidates, projects = project_candidates(index, name)
    by_id = {ix.id: ix for ix in candidates}
    index_of_project = {pid: p.index_id for pid, p in projects.items()}
    position = {ix.id: n for n, ix in enumerate(candidates)}
    holders: dict[str, list[Index]] = {}
    for row in Release.objects.filter(project_id__in=list(projects)).values(
        "project_id", "version"
    ):
        holders.setdefault(row["version"], []).append(by_id[index_of_project[row["project_id"]]])
    mirror = next((ix for ix in candidates if ix.is_mirror), None)
    result = []
    for version, data in versions.items():
        found = sorted(holders.get(version, []), key=lambda ix: position[ix.id])
        if found:
            source, others = found[0].fullname, [ix.fullname for ix in found[1:]]
        else:
            source, others = (mirror or index).fullname, []
        result.append(
            VersionRow(
                version, str(data.get("summary") or ""), source, bool(data.get("yanked")), others
            )
        )
    result.sort(key=lambda row: version_key(row.version), reverse=True)
    return result


@dataclass
class FileRow:
    filename: str
    href: str
    sha256: str
    index: str
    size: int | None = None
    packagetype: str = ""
    pyversion: str = ""
    requires_python: str = ""
    uploaded_at: datetime | None = None
    uploader: str = ""
    file_id: int | None = None  # the ReleaseFile row, for files on stage indexes
    toxresults: list = field(default_factory=list)


def version_files(data: dict, source: str) -> list[FileRow]:
    """The release files of a versiondata's ``+links``, with their rows'
    size, upload time and uploader where the file is on a stage index."""
    links = [link for link in data.get("+links", []) if link.get("rel") == "releasefile"]
    rows: list[FileRow] = []
    wanted: dict[tuple[str, str, str], FileRow] = {}
    for link in links:
        href = link.get("href", "")
        sha256 = (link.get("hashes") or {}).get("sha256", "")
        split = split_file_url(href)
        index_name = split[0] if split else source
        row = FileRow(
            filename=href.rsplit("/", 1)[-1].split("#", 1)[0],
            href=href,
            sha256=sha256,
            index=index_name,
        )
        rows.append(row)
        if split and sha256:
            wanted[(index_name, row.filename, sha256)] = row
    if wanted:
        files = (
            ReleaseFile.objects.filter(
                filename__in={key[1] for key in wanted},
                sha256__in={key[2] for key in wanted},
            )
            .select_related("index__owner")
            .defer("core_metadata", "log")
        )
        for f in files:
            match = wanted.get((f.index.fullname, f.filename, f.sha256))
            if match is None:
                continue
            match.size = f.size
            match.packagetype = f.packagetype
            match.pyversion = f.pyversion
            match.requires_python = f.requires_python
            match.uploaded_at = f.uploaded_at
            match.uploader = f.uploader
            match.file_id = f.id
    return rows


# -- tox results (the toxresults app; optional) ------------------------------


def attach_toxresults(rows: list[FileRow]) -> None:
    """Fill ``FileRow.toxresults`` from the registered status providers (the
    ``toxresults`` app); the page works without them."""
    ids = [row.file_id for row in rows if row.file_id is not None]
    if not ids:
        return
    try:
        by_file = registry.file_status_summaries(ids)
    except Exception:  # a page must not fail because of an optional part
        log.exception("tox results could not be read")
        return
    for row in rows:
        if row.file_id is not None:
            row.toxresults = list(by_file.get(row.file_id, []))


# -- mirror status -------------------------------------------------------------


@dataclass
class MirrorStatusRow:
    index: str
    config: dict
    status: dict[str, Any]
    last_contact: datetime | str | None = None
    last_error_at: datetime | str | None = None


def _when(value):
    if not value or not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value


def mirror_status_rows(mirrors: dict[str, dict]) -> list[MirrorStatusRow]:
    """/+status's ``mirrors`` mapping (already limited to what the reader may
    read) with each mirror index's config."""
    indexes = {
        ix.fullname: ix for ix in Index.objects.filter(type=Index.MIRROR).select_related("owner")
    }
    rows = []
    for name in sorted(mirrors):
        status = dict(mirrors.get(name) or {})
        ix = indexes.get(name)
        # the config as index_config shows it: credentials masked (the
        # statuses came from selectors.mirror_statuses, masked already)
        config = {
            key: redact_text(value) if isinstance(value, str) else value
            for key, value in (ix.config if ix is not None else {}).items()
        }
        rows.append(
            MirrorStatusRow(
                name,
                config,
                status,
                _when(status.get("last_contact")),
                _when(status.get("last_error_at")),
            )
        )
    return rows


def version_description_html(index_fullname: str, project: str, version: str) -> str:
    """The stored HTML of a release's long description (rendered when the
    release was stored; ``indexes.readme``). Empty when the version comes
    from a mirror, which keeps no descriptions."""
    from .readme import release_description_html

    owner, _, name = index_fullname.partition("/")
    release = (
        Release.objects.filter(
            project__index__owner__username=owner,
            project__index__name=name,
            project__name=normalize_name(project),
            version=version,
        )
        .only("id", "description_html")
        .first()
    )
    return release_description_html(release) if release is not None else ""
