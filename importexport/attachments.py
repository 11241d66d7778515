"""Files attached to a release besides its release files: tox results and
documentation zips. The apps that store them plug in here (an explicit
registry, as ``indexes.kinds``), so ``indexes`` never imports them.

A handler imports one attached file and lists an index's attached files for
an export. When no handler is registered for a type, an import reports those
files as skipped and an export has none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from indexes.models import Index, Release, ReleaseFile


@dataclass(frozen=True)
class AttachmentIn:
    """An attached file of an export, its hashes verified."""

    index: Index
    release: Release
    release_file: ReleaseFile | None  # the ReleaseFile a tox result is for
    filename: str  # as in the export (tox results: "<file>.toxresult-<ts>-<n>")
    sha256: str
    size: int
    content: BinaryIO
    log: list
    uploaded_at: datetime


@dataclass(frozen=True)
class AttachmentOut:
    """An attached file to write into an export."""

    release: Release
    release_file: ReleaseFile | None  # tox results: the ReleaseFile they are for
    filename: str
    sha256: str
    log: list
    uploaded_at: datetime
    open: Callable[[], IO[bytes]]


class AttachmentHandler(Protocol):
    def import_file(self, item: AttachmentIn) -> bool:
        """Store it; False when it was there already (nothing changed).
        Raise ``indexes.errors.DevpiError`` to have it reported as skipped."""

    def export_files(self, index: Index) -> Iterable[AttachmentOut]:
        """The index's attached files of this type."""


_HANDLERS: dict[str, AttachmentHandler] = {}


def register_attachment(file_type: str, handler: AttachmentHandler) -> None:
    """``file_type``: ``"toxresult"`` or ``"doczip"`` (``layout``)."""
    _HANDLERS[file_type] = handler


def attachment_handler(file_type: str) -> AttachmentHandler | None:
    return _HANDLERS.get(file_type)
