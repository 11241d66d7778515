"""Reads: users, indexes and releases in devpi's JSON shapes."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from . import permissions, registry
from .distribution.hashpath import file_path, parse_hash_path
from .distribution.names import normalize_name
from .distribution.redact import redact_text
from .distribution.versions import sorted_versions
from .errors import BadGateway, Forbidden, Gone, NotFound
from .kinds import kind_for, kind_page
from .models import DocZip, Index, Project, Release, ReleaseFile, RemovedFile, UserProfile
from .resolution import project_candidates
from .simple.data import KindPage
from .storage import blob_storage, doc_key

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def user_get(username: str) -> User:
    user = (
        get_user_model().objects.filter(username=username).select_related("devpi_profile").first()
    )
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


def index_get(username: str, name: str) -> Index:
    index = (
        Index.objects.filter(owner__username=username, name=name).select_related("owner").first()
    )
    if index is None:
        raise NotFound(f"The stage {username}/{name} could not be found.")
    return index


def index_get_by_fullname(fullname: str) -> Index:
    user, _, name = fullname.strip("/").partition("/")
    return index_get(user, name)


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def index_config(index: Index, *, viewer: User | None = None) -> dict:
    """devpi's indexconfig. Credentials in ``mirror_url`` are masked unless
    ``viewer`` is the owner or root."""
    config = {"type": index.type, **index.config}
    if "mirror_url" in config and not permissions.may_see_index_secrets(viewer, index):
        config["mirror_url"] = redact_text(config["mirror_url"])
    return config


def user_public_keys(user: User, profile: UserProfile | None) -> dict:
    """devpi's public user keys: email, title, description, custom_data."""
    data: dict = {}
    if user.email:
        data["email"] = user.email
    if profile is not None:
        for key in ("title", "description"):
            if getattr(profile, key):
                data[key] = getattr(profile, key)
        if profile.custom_data is not None:
            data["custom_data"] = profile.custom_data
    return data


EVERYTHING = object()  # a reader who sees every index (the server's own commands)


def user_config(
    user: User,
    indexes: list[Index] | None = None,
    *,
    viewer: User | None = None,
    reader: Any = EVERYTHING,
) -> dict:
    """devpi's userconfig. ``reader``: the identity the listing is for; its
    ``indexes`` hold only the indexes ``reader`` may read
    (``permissions.may_read``), so a listing never names a private index.
    ``viewer``: who sees it (credentials in mirror URLs are masked unless the
    viewer is the owner or root)."""
    profile = getattr(user, "devpi_profile", None)
    data: dict = {"username": user.username, **user_public_keys(user, profile)}
    if profile is not None:
        data["created"] = _iso(profile.created)
        if profile.modified:
            data["modified"] = _iso(profile.modified)
    if indexes is None:
        indexes = list(Index.objects.filter(owner=user).select_related("owner"))
        if reader is not EVERYTHING:
            readable = {
                ix.id
                for ix in permissions.readable_indexes(
                    reader, Index.objects.select_related("owner")
                )
            }
            indexes = [ix for ix in indexes if ix.id in readable]
    data["indexes"] = {ix.name: index_config(ix, viewer=viewer) for ix in indexes}
    return data


def users_configs(reader: Any = EVERYTHING, *, viewer: User | None = None) -> dict[str, dict]:
    """Every user's userconfig; with ``reader``, only the indexes it may read."""
    users = list(
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("devpi_profile")
        .order_by("username")
    )
    by_owner = defaultdict(list)
    indexes = list(Index.objects.select_related("owner").order_by("name"))
    if reader is not EVERYTHING:
        indexes = permissions.readable_indexes(reader, indexes)
    for ix in indexes:
        by_owner[ix.owner_id].append(ix)
    return {u.username: user_config(u, by_owner[u.id], viewer=viewer) for u in users}


def index_project_names(index: Index) -> list[str]:
    """The index's own projects (not its bases'); a mirror's are what its
    kind knows of the upstream's list, as devpi lists them."""
    kind = kind_for(index) if index.is_mirror else None
    if kind is not None:
        return sorted(kind.project_names(index)[0])
    return sorted(Project.objects.filter(index=index).values_list("name", flat=True))


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


def release_get(index: Index, project: str, version: str) -> Release:
    release = (
        Release.objects.filter(
            project__index=index, project__name=normalize_name(project), version=version
        )
        .select_related("project")
        .first()
    )
    if release is None:
        raise NotFound(
            f"The version {version} of project {project} does not exist on "
            f"stage {index.fullname!r}."
        )
    return release


def release_file_by_path(index: Index, hash_path: str) -> ReleaseFile:
    """A release file of ``index`` by its ``h[:3]/h[3:16]/filename`` path."""
    parsed = parse_hash_path(hash_path)
    if parsed is None:
        raise NotFound(f"no such file {hash_path!r}")
    wanted = {"index": index, "filename": parsed.filename, "sha256__startswith": parsed.prefix}
    file = ReleaseFile.objects.filter(**wanted).first()
    if file is None:
        if RemovedFile.objects.filter(**wanted).exists():
            raise Gone(f"file {hash_path!r} existed, deleted in later serial")
        raise NotFound(f"no such file {hash_path!r}")
    return file


def doczip_by_path(index: Index, hash_path: str) -> DocZip | None:
    """The doczip of ``index`` at ``h[:3]/h[3:16]/<project>-<version>.doc.zip``."""
    parsed = parse_hash_path(hash_path)
    if parsed is None:
        return None
    return DocZip.objects.filter(
        index=index, filename=parsed.filename, sha256__startswith=parsed.prefix
    ).first()


DOC_ALIASES = ("latest", "stable")


def doczip_for_docs(
    index: Index, project: str, version: str, *, with_file: str | None = "index.html"
) -> DocZip:
    """The doczip whose pages ``/<index>/<project>/<version>/+doc/`` shows, as
    devpi-web: a version of this index (not its bases), or ``latest`` (the
    newest version with documentation) or ``stable`` (the newest such that
    is not a pre-release). With ``with_file``, an alias only picks a version
    whose documentation has that file."""
    name = normalize_name(project)
    doczips = {
        d.release.version: d
        for d in DocZip.objects.filter(index=index, release__project__name=name).select_related(
            "release"
        )
    }
    if version in DOC_ALIASES:
        candidates = sorted_versions(doczips, stable=version == "stable")
        storage = blob_storage()
        for candidate in candidates:
            doczip = doczips[candidate]
            if with_file is None or storage.exists(doc_key(doczip.sha256, with_file)):
                return doczip
        if version == "stable":
            raise NotFound("No stable documentation available.")
        raise NotFound("No documentation available.")
    found = doczips.get(version)
    if found is None:
        raise NotFound("No documentation available.")
    return found


def mirror_statuses(reader: Any = EVERYTHING, *, viewer: User | None = None) -> dict[str, dict]:
    """/+status figures of every mirror index (that ``reader`` may read),
    from its kind; credentials in its upstream URL and last error masked
    unless ``viewer`` is the owner or root."""
    result = {}
    mirrors = list(Index.objects.filter(type=Index.MIRROR).select_related("owner"))
    if reader is not EVERYTHING and any(ix.config.get("acl_read") is not None for ix in mirrors):
        readable = {
            ix.id
            for ix in permissions.readable_indexes(reader, Index.objects.select_related("owner"))
        }
        mirrors = [ix for ix in mirrors if ix.id in readable]
    for index in mirrors:
        kind = kind_for(index)
        status = (
            kind.status(index) if kind is not None else {"upstream": index.config.get("mirror_url")}
        )
        if not permissions.may_see_index_secrets(viewer, index):
            status = {
                key: redact_text(value) if isinstance(value, str) else value
                for key, value in status.items()
            }
        result[index.fullname] = status
    return result


def index_readable(index: Index, reader: Any = EVERYTHING) -> Index:
    """``index``, when ``reader`` (the acting user; ``EVERYTHING`` reads all)
    may read it (``permissions.may_read``); else ``Forbidden``. The read
    check of ``manage.py devpi``'s reading verbs."""
    if reader is not EVERYTHING and not permissions.may_read(reader, index):
        raise Forbidden(f"user {permissions.who(reader)!r} may not read {index.fullname}")
    return index
