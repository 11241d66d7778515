"""``list``: the release files an index shows for a project, per version
(newest first) and, within a version, per index along the resolution order,
so a file shadowed by a child index is listed under the child's copy."""

from __future__ import annotations

from dataclasses import dataclass

from indexes import registry
from indexes.errors import NotFound
from indexes.kinds import kind_page
from indexes.models import Index, ReleaseFile
from indexes.resolution import project_candidates

from .specs import Spec, newest_first

SHOWN_VERSIONS = 3  # devpi-client shows the newest three unless --all


@dataclass(frozen=True)
class ListedFile:
    version: str
    index_name: str
    url: str
    file: ReleaseFile | None  # None for a mirror's file


def project_files(
    index: Index, spec: Spec, base_url: str, *, ignore_bases: bool = False
) -> list[tuple[str, list[ListedFile]]]:
    """[(version, files)] of the versions matching ``spec``, newest first."""
    name = spec.project
    candidates, projects = project_candidates(index, name, ignore_bases=ignore_bases)
    by_index = {p.index_id: p.id for p in projects.values()}
    rows: dict[int, list[ReleaseFile]] = {}
    for f in (
        ReleaseFile.objects.filter(release__project_id__in=list(projects))
        .select_related("release")
        .defer("core_metadata")
        .order_by("filename")
    ):
        rows.setdefault(f.release.project_id, []).append(f)
    found = bool(projects)
    error = None
    per_version: dict[str, list[ListedFile]] = {}
    for ix in candidates:
        if ix.id in by_index:
            listed = [
                ListedFile(
                    f.release.version, ix.fullname, f"{base_url}/{ix.fullname}/+f/{f.hash_path}", f
                )
                for f in rows.get(by_index[ix.id], [])
            ]
        else:
            page, failure = kind_page(ix, name)
            error = error or failure
            if page is None:
                continue
            found = True
            listed = [
                ListedFile(
                    f.version,
                    ix.fullname,
                    f.path if f.is_absolute else f"{base_url}/{f.path}",
                    None,
                )
                for f in sorted(page.files, key=lambda f: f.filename)
                if f.version
            ]
        for item in listed:
            per_version.setdefault(item.version, []).append(item)
    if not found:
        if error is not None:
            raise error
        raise NotFound(f"The project {spec.name} does not exist on {index.fullname}.")
    return [(v, per_version[v]) for v in newest_first(per_version) if spec.matches(v)]


def limit_versions(rows: list, show_all: bool) -> tuple[list, int]:
    """The versions to show and how many older ones are left out."""
    if show_all or len(rows) <= SHOWN_VERSIONS:
        return rows, 0
    return rows[:SHOWN_VERSIONS], len(rows) - SHOWN_VERSIONS


def toxresult_lines(file: ReleaseFile | None) -> list[str]:
    """Tox result lines of a release file, from the registered status
    providers (the ``toxresults`` app); none otherwise."""
    if file is None:
        return []
    return registry.file_status_lines(file)
