"""What a push takes from its source: a release's files and doczip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ... import permissions
from ...distribution.names import normalize_name
from ...errors import Forbidden, Invalid, NotFound, Unauthorized
from ...models import DocZip, Index, Release, ReleaseFile
from ...selectors import index_get
from .options import docs_selection_check

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class ReleaseContent:
    release: Release
    files: list[ReleaseFile]
    doczip: DocZip | None


def index_of(value: Index | str, what: str) -> Index:
    """An index, or the one a ``user/index`` name names."""
    if isinstance(value, Index):
        return value
    parts = str(value).split("/")
    if len(parts) != 2 or not all(parts):
        raise Invalid(f"{what} not in format user/index")
    return index_get(*parts)


def source_read_check(user: User | None, source: Index) -> None:
    """A push copies what its pusher reads: ``permissions.may_read`` on the
    source (its whole resolution order), 401 anonymous, 403 otherwise, as
    the read of the index would answer."""
    if permissions.may_read(user, source):
        return
    if user is None:
        raise Unauthorized(f"authentication required to read {source.fullname}")
    raise Forbidden(f"user {user.username!r} may not read {source.fullname}")


def release_content(
    *, source: Index, project: str, version: str, no_docs: bool = False, only_docs: bool = False
) -> ReleaseContent:
    """The release files (sorted by name) and doczip a push copies, or
    ``NotFound`` when there are none."""
    docs_selection_check(no_docs=no_docs, only_docs=only_docs)
    if source.is_mirror:
        raise Invalid(f"pushing from mirror index {source.fullname} is not supported")
    release = (
        Release.objects.filter(
            project__index=source, project__name=normalize_name(project), version=version
        )
        .select_related("project")
        .first()
    )
    if release is None:
        raise NotFound(f"there are no files for {project} {version} on stage {source.fullname}")
    files = (
        []
        if only_docs
        else list(ReleaseFile.objects.filter(release=release, index=source).order_by("filename"))
    )
    doczip = None if no_docs else DocZip.objects.filter(release=release).first()
    if not files and doczip is None:
        raise NotFound(f"no release/files found for {project} {version}")
    return ReleaseContent(release, files, doczip)
