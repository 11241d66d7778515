"""devpi's versiondata: a project's versions along an index's resolution
order, each with its metadata and ``+links`` (release files, the links other
apps attach to them, the doczip), as ``GET /<user>/<index>/<project>`` and
``devpi getjson`` show them. Reads only, like ``indexes.selectors``, which
passes ``project_versions`` on."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from . import registry
from .distribution.hashpath import file_path
from .distribution.names import normalize_name
from .errors import BadGateway, NotFound
from .kinds import kind_page
from .models import DocZip, Index, Release, ReleaseFile
from .resolution import project_candidates
from .simple.data import KindPage


def file_href(base_url: str, file: ReleaseFile, index_fullname: str) -> str:
    return f"{base_url}/{file_path(index_fullname, file.sha256, file.filename)}"


def _link(base_url: str, file: ReleaseFile, index: Index) -> dict:
    return {
        "rel": "releasefile",
        "href": file_href(base_url, file, index.fullname),
        "hash_spec": f"sha256={file.sha256}",
        "hashes": {"sha256": file.sha256},
        "log": file.log,
    }


def _doczip_link(base_url: str, doczip: DocZip, index: Index) -> dict:
    return {
        "rel": "doczip",
        "href": f"{base_url}/{file_path(index.fullname, doczip.sha256, doczip.filename)}",
        "hash_spec": f"sha256={doczip.sha256}",
        "hashes": {"sha256": doczip.sha256},
        "log": doczip.log,
    }


def version_data(
    release: Release,
    files: list[ReleaseFile],
    index: Index,
    base_url: str,
    *,
    doczip: DocZip | None = None,
    extra_links: dict[int, list[dict]] | None = None,
) -> dict:
    """devpi's versiondata: the metadata and ``+links``: release files, the
    links other apps attach to them (``indexes.registry``: tox results), the
    doczip."""
    data = dict(release.metadata)
    data.setdefault("name", release.project.display_name)
    data["version"] = release.version
    if release.yanked:
        data["yanked"] = release.yanked_reason or True
    links = [_link(base_url, f, index) for f in files]
    if extra_links is None:
        extra_links = registry.extra_links(
            {f.id: file_href(base_url, f, index.fullname) for f in files},
            {f.id: f for f in files},
            base_url,
        )
    for f in files:
        links.extend(extra_links.get(f.id, []))
    if doczip is not None:
        links.append(_doczip_link(base_url, doczip, index))
    data["+links"] = links
    return data


def _mirror_version_data(project: str, page: KindPage, base_url: str) -> dict[str, dict]:
    result: dict[str, dict] = {}
    for f in page.files:
        if not f.version:
            continue
        data = result.setdefault(f.version, {"name": project, "version": f.version, "+links": []})
        href = f.path if f.is_absolute else f"{base_url}/{f.path}"
        link: dict[str, Any] = {"rel": "releasefile", "href": href}
        if f.sha256:
            link.update(hash_spec=f"sha256={f.sha256}", hashes={"sha256": f.sha256})
        data["+links"].append(link)
    return result


def _add_version(result: dict[str, dict], version: str, data: dict) -> None:
    """The first index along the order that has ``version`` provides it; the
    same version on later indexes is listed under ``+shadowing``, as devpi
    does (``devpi list`` shows those files too)."""
    first = result.get(version)
    if first is None:
        result[version] = data
    else:
        first.setdefault("+shadowing", []).append(data)


_StageRows = tuple[dict[int, list[Release]], dict[int, list[ReleaseFile]], dict[int, DocZip]]


def _stage_rows(project_ids: list[int]) -> _StageRows:
    """The releases (by index id), their files (by release id) and doc zips
    (by release id) of the stage projects ``project_ids``."""
    releases: dict[int, list[Release]] = defaultdict(list)
    for release in (
        Release.objects.filter(project_id__in=project_ids)
        .select_related("project")
        .defer("description_html")
    ):
        releases[release.project.index_id].append(release)
    files: dict[int, list[ReleaseFile]] = defaultdict(list)
    for f in ReleaseFile.objects.filter(release__project_id__in=project_ids).defer("core_metadata"):
        files[f.release_id].append(f)
    doczips = (
        {d.release_id: d for d in DocZip.objects.filter(release__project_id__in=project_ids)}
        if project_ids
        else {}
    )
    return releases, files, doczips


def project_versions(
    index: Index, project: str, base_url: str, *, ignore_bases: bool = False
) -> dict[str, dict]:
    """devpi's projectconfig: {version: versiondata}; the first index along
    the resolution order that has a version provides it, the others' copies
    are its ``+shadowing`` list."""
    name = normalize_name(project)
    candidates, projects = project_candidates(index, name, ignore_bases=ignore_bases)
    releases, files, doczips = _stage_rows(list(projects))
    index_names = {ix.id: ix.fullname for ix in candidates}
    all_files = {f.id: f for release_files in files.values() for f in release_files}
    extra = registry.extra_links(
        {
            f.id: file_href(base_url, f, index_names[f.index_id])
            for f in all_files.values()
            if f.index_id in index_names
        },
        all_files,
        base_url,
    )
    result: dict[str, dict] = {}
    found = bool(projects)
    error: BadGateway | None = None
    for ix in candidates:
        if ix.is_mirror:
            page, failure = kind_page(ix, name)
            error = error or failure
            if page is None:
                continue
            found = True
            for version, data in _mirror_version_data(name, page, base_url).items():
                _add_version(result, version, data)
            continue
        for release in releases.get(ix.id, []):
            data = version_data(
                release,
                files[release.id],
                ix,
                base_url,
                doczip=doczips.get(release.id),
                extra_links=extra,
            )
            _add_version(result, release.version, data)
    if not found:
        if error is not None:
            raise error
        if ignore_bases:
            # devpi: a project known through the bases lists no versions here
            project_versions(index, project, base_url)
            return {}
        raise NotFound(f"The project {project} does not exist.")
    return result
