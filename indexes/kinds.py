"""Index kinds: the explicit extension point through which the ``mirror``
app plugs into the index core (``indexes`` never imports ``mirror``).

A stage index's files are rows of ``ReleaseFile``; a mirror index's files
come from its kind, registered by ``mirror.apps`` at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .simple.data import KindPage

if TYPE_CHECKING:
    from .errors import BadGateway
    from .fileserving import Served
    from .models import Index


class IndexKind(Protocol):
    def project_page(self, index: Index, project: str) -> KindPage | None:
        """The project's files, or None when the index does not have it.
        Raises ``indexes.errors.BadGateway`` when it cannot tell."""

    def project_names(self, index: Index) -> tuple[list[str], bool]:
        """Known project names and whether the list is complete."""

    def serve_file(self, index: Index, path: str, *, serial: int, head: bool) -> Served:
        """What to serve for ``+f/<path>`` on this index (``head``: a HEAD
        request, headers only) at the server's ``serial``; the view makes
        the response."""

    def serve_external_file(self, index: Index, path: str, *, head: bool) -> Served:
        """What to serve for ``+e/<path>``: a file whose upstream link
        carries no hash (devpi's URL for those)."""

    def invalidate(self, index: Index, project: str) -> None:
        """Forget what is cached of ``project`` (devpi's refresh)."""

    def status(self, index: Index) -> dict:
        """Status figures for ``/+status``."""

    def refresh(self, index: Index, project: str) -> str:
        """Renew the cached page of ``project`` from upstream, on a worker when
        there is one (``manage.py devpi refresh``); a word for what happened."""

    def prefetch(self, index: Index, requirement: str) -> list[str]:
        """Fetch the newest files matching ``requirement`` into the cache
        (``manage.py devpi prefetch``); the filenames now cached."""

    def default_upstream(self, own_urls: list[str]) -> str:
        """The upstream URL of the index of this kind that ``devpi_init``
        creates (``root/pypi``); ``own_urls`` are this server's own
        addresses, never chosen."""


_KINDS: dict[str, IndexKind] = {}


def register_kind(index_type: str, kind: IndexKind) -> None:
    _KINDS[index_type] = kind


def kind_named(index_type: str) -> IndexKind | None:
    return _KINDS.get(index_type)


def kind_for(index: Index) -> IndexKind | None:
    return _KINDS.get(index.type)


def kind_page(index: Index, project: str) -> tuple[KindPage | None, BadGateway | None]:
    """(page, None), (None, None) when the index lacks the project, or
    (None, error) when its kind could not tell (an unreachable upstream): the
    caller serves what the other indexes have and raises the error only when
    nothing has the project."""
    from .errors import BadGateway

    kind = kind_for(index)
    if kind is None:
        return None, None
    try:
        return kind.project_page(index, project), None
    except BadGateway as exc:
        return None, exc
