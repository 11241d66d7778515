"""Reads: users, indexes and releases in devpi's JSON shapes (a project's
versions: ``indexes.versiondata``, passed on here as ``project_versions``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from . import permissions
from .distribution.hashpath import parse_hash_path
from .distribution.names import normalize_name
from .distribution.redact import redact_text
from .distribution.versions import sorted_versions
from .errors import Forbidden, Gone, NotFound
from .kinds import kind_for
from .lookups import index_get as index_get
from .lookups import index_get_by_fullname as index_get_by_fullname
from .models import DocZip, Index, Project, Release, ReleaseFile, RemovedFile, UserProfile
from .storage import blob_storage, doc_key
from .versiondata import project_versions as project_versions

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def user_get(username: str) -> User:
    user = (
        get_user_model().objects.filter(username=username).select_related("devpi_profile").first()
    )
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


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
