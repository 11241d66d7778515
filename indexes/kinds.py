"""Index kinds: the explicit extension point through which the ``mirror``
app plugs into the index core (``indexes`` never imports ``mirror``).

A stage index's files are rows of ``ReleaseFile``; a mirror index's files
come from its kind, registered by ``mirror.apps`` at start-up.
"""

from __future__ import annotations

from typing import Protocol

from .simple.data import KindPage


class IndexKind(Protocol):
    def project_page(self, index, project: str) -> KindPage | None:
        """The project's files, or None when the index does not have it.
        Raises ``indexes.errors.BadGateway`` when it cannot tell."""

    def project_names(self, index) -> tuple[list[str], bool]:
        """Known project names and whether the list is complete."""

    def serve_file(self, request, index, path: str):
        """An HTTP response for ``+f/<path>`` on this index."""

    def serve_external_file(self, request, index, path: str):
        """An HTTP response for ``+e/<path>``: a file whose upstream link
        carries no hash (devpi's URL for those)."""

    def invalidate(self, index, project: str) -> None:
        """Forget what is cached of ``project`` (devpi's refresh)."""

    def status(self, index) -> dict:
        """Status figures for ``/+status``."""

    def refresh(self, index, project: str) -> str:
        """Renew the cached page of ``project`` from upstream, on a worker when
        there is one (``manage.py devpi refresh``); a word for what happened."""

    def prefetch(self, index, requirement: str) -> list[str]:
        """Fetch the newest files matching ``requirement`` into the cache
        (``manage.py devpi prefetch``); the filenames now cached."""


_KINDS: dict[str, IndexKind] = {}


def register_kind(index_type: str, kind: IndexKind) -> None:
    _KINDS[index_type] = kind


def kind_for(index) -> IndexKind | None:
    return _KINDS.get(index.type)


def kind_page(index, project: str) -> tuple[KindPage | None, Exception | None]:
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
