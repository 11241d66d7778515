"""Simple pages as plain data, built from the resolution of an index."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone

from ..models import Index, Project, Release, ReleaseFile
from ..resolution import project_sources, resolution_order


@dataclass(frozen=True)
class SimpleFile:
    filename: str
    path: str  # from the server root: "user/index/+f/abc/def.../name.whl"
    sha256: str
    size: int
    upload_time: str
    requires_python: str = ""
    yanked: bool = False
    yanked_reason: str = ""
    core_metadata_sha256: str = ""


@dataclass(frozen=True)
class SimpleProjectPage:
    name: str  # normalised
    files: list[SimpleFile]
    versions: list[str] = field(default_factory=list)


def _upload_time(dt) -> str:
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}Z"


def project_page(index: Index, project: str) -> SimpleProjectPage | None:
    """The files ``index`` shows for the normalised ``project``; None if none
    of its indexes knows the project. The first file per filename wins."""
    sources = project_sources(index, project)
    if not sources:
        return None
    rank = {p.id: n for n, (_, p) in enumerate(sources)}
    index_name = {p.id: ix.fullname for ix, p in sources}
    rows = (ReleaseFile.objects
            .filter(release__project_id__in=list(rank))
            .values_list("filename", "sha256", "size", "uploaded_at", "requires_python",
                         "core_metadata_sha256", "release__project_id",
                         "release__yanked", "release__yanked_reason"))
    files: dict[str, SimpleFile] = {}
    for (filename, sha256, size, uploaded_at, requires_python, cm_sha256, project_id,
         yanked, yanked_reason) in sorted(rows, key=lambda r: (rank[r[6]], r[0])):
        if filename in files:
            continue
        files[filename] = SimpleFile(
            filename=filename,
            path=f"{index_name[project_id]}/+f/{sha256[:3]}/{sha256[3:16]}/{filename}",
            sha256=sha256, size=size, upload_time=_upload_time(uploaded_at),
            requires_python=requires_python, yanked=yanked, yanked_reason=yanked_reason,
            core_metadata_sha256=cm_sha256)
    versions = sorted(set(Release.objects.filter(project_id__in=list(rank))
                          .values_list("version", flat=True)))
    return SimpleProjectPage(name=project, files=sorted(files.values(), key=lambda f: f.filename),
                             versions=versions)


def project_names(index: Index) -> list[str]:
    """Every project name ``index`` shows (its own and its bases')."""
    ids = [ix.id for ix in resolution_order(index)]
    return sorted(set(Project.objects.filter(index_id__in=ids).values_list("name", flat=True)))
