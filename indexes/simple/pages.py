"""Simple pages as plain data, built from the resolution of an index."""

from __future__ import annotations

from datetime import UTC

from django.db import connection

from ..distribution.hashpath import file_path
from ..errors import BadGateway
from ..filelookup import as_datetime
from ..kinds import kind_for, kind_page
from ..models import Index, Project, Release, ReleaseFile
from ..project_status import effective, statuses_along
from ..resolution import project_candidates, resolution_order
from .data import SimpleFile, SimpleProjectPage


def upload_time(dt) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}Z"


def _in(ids: list[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def _file_rows(project_ids: list[int]) -> list[tuple]:
    """The simple page's facts of every file of the projects, by filename:
    one plain statement (the ORM's compilation of this join cost more than
    the query; a first page of a project paid it on every request)."""
    files, releases = ReleaseFile._meta.db_table, Release._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f.filename, f.sha256, f.size, f.uploaded_at, f.requires_python, "
            "f.core_metadata_sha256, r.project_id, r.version, r.yanked, r.yanked_reason "
            f"FROM {files} f INNER JOIN {releases} r ON f.release_id = r.id "
            f"WHERE r.project_id IN ({_in(project_ids)}) ORDER BY f.filename ASC",
            project_ids,
        )
        return cursor.fetchall()


def _versions(project_ids: list[int]) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT version FROM {Release._meta.db_table} "
            f"WHERE project_id IN ({_in(project_ids)})",
            project_ids,
        )
        return {row[0] for row in cursor.fetchall()}


def _stage_files(
    projects: dict[int, Project], index_names: dict[int, str]
) -> tuple[dict[int, list[SimpleFile]], set[str]]:
    """Files per project id, and all versions, of stage projects (two queries)."""
    if not projects:
        return {}, set()
    ids = list(projects)
    files: dict[int, list[SimpleFile]] = {pid: [] for pid in projects}
    for (
        filename,
        sha256,
        size,
        uploaded_at,
        requires_python,
        cm_sha256,
        project_id,
        version,
        yanked,
        yanked_reason,
    ) in _file_rows(ids):
        index_name = index_names[projects[project_id].index_id]
        files[project_id].append(
            SimpleFile(
                filename=filename,
                path=file_path(index_name, sha256, filename),
                sha256=sha256,
                size=size,
                upload_time=upload_time(as_datetime(uploaded_at)),
                requires_python=requires_python,
                yanked=bool(yanked),
                yanked_reason=yanked_reason,
                core_metadata_sha256=cm_sha256,
                version=version,
            )
        )
    return files, _versions(ids)


def project_page(
    index: Index, project: str, order: list[Index] | None = None, serial: int | None = None
) -> SimpleProjectPage | None:
    """The files ``index`` shows for the normalised ``project``; None if none
    of its indexes has the project. The first file per filename wins.

    A failing mirror is skipped when other indexes have the project; with
    nothing else to show its ``BadGateway`` propagates.
    """
    order = order if order is not None else resolution_order(index)
    candidates, projects = project_candidates(index, project, order=order)
    statuses = statuses_along(order, project, serial)
    status = effective(order, statuses, {ix.id for ix in candidates}) if statuses else None
    if status is not None and status.status == "quarantined":
        # no files, no upstream contact: the whole point is not to fetch them
        return SimpleProjectPage(
            name=project, files=[], versions=[], status=status.status, status_reason=status.reason
        )
    index_names = {ix.id: ix.fullname for ix in candidates}
    stage_files, versions = _stage_files(projects, index_names)
    by_index = {p.index_id: p.id for p in projects.values()}
    files: dict[str, SimpleFile] = {}
    found = bool(projects)
    stale = False
    mirror_expiry: int | None = None
    error: BadGateway | None = None
    for ix in candidates:
        if ix.id in by_index:
            contributed = stage_files[by_index[ix.id]]
        else:
            page, failure = kind_page(ix, project)
            error = error or failure
            if page is None:
                continue
            found = True
            stale = stale or page.stale
            expiry = int(ix.config.get("mirror_cache_expiry", 1800))
            mirror_expiry = expiry if mirror_expiry is None else min(mirror_expiry, expiry)
            versions.update(page.versions)
            contributed = page.files
        for f in sorted(contributed, key=lambda f: f.filename):
            files.setdefault(f.filename, f)
    if not found:
        if error is not None:
            raise error
        return None
    return SimpleProjectPage(
        name=project,
        files=sorted(files.values(), key=lambda f: f.filename),
        versions=sorted(versions),
        stale=stale,
        mirror_expiry=mirror_expiry,
        status=status.status if status else "",
        status_reason=status.reason if status else "",
    )


def project_names(index: Index, order: list[Index] | None = None) -> tuple[list[str], bool]:
    """Every project name ``index`` shows (its own and its bases'), and
    whether the list is complete (a mirror's upstream list may not be)."""
    order = order if order is not None else resolution_order(index)
    stage_ids = [ix.id for ix in order if not ix.is_mirror]
    names = set(Project.objects.filter(index_id__in=stage_ids).values_list("name", flat=True))
    complete = True
    for ix in order:
        kind = kind_for(ix) if ix.is_mirror else None
        if kind is not None:
            mirror_names, mirror_complete = kind.project_names(ix)
            names.update(mirror_names)
            complete = complete and mirror_complete
    return sorted(names), complete
