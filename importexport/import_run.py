"""One import's state, shared by its steps (``import_users``,
``import_indexes``, ``import_files``, ``import_attachments``), and the check
every file of the export passes before anything is stored from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from indexes.models import Index
from indexes.storage import blob_put

from .errors import ImportExportError
from .layout import ExportTree, FileDesc, IndexDump, check_file
from .reader import member_path
from .reports import ImportReport

if TYPE_CHECKING:
    from devpi_django.progress import Progress as Counter

Progress = Callable[[str], None]


@dataclass
class ImportRun:
    tree: ExportTree
    report: ImportReport
    progress: Progress
    fresh: bool  # only root and root/pypi here: root's and root/pypi's settings are taken
    stages: list[tuple[IndexDump, Index]] = field(default_factory=list)
    counter: Counter | None = None  # files of the stage indexes


def member_check(
    run: ImportRun, dump: IndexDump, desc: FileDesc, *, store: bool = True
) -> tuple[str, int, Path] | None:
    """(sha256, size, path) of a file whose recorded hashes match (and,
    with ``store``, whose blob is stored); None (reported) otherwise."""
    what = desc.relpath
    try:
        path = member_path(run.tree, desc.relpath)
    except ImportExportError as exc:
        run.report.skip(what, exc.message)
        return None
    if not path.is_file():
        run.report.skip(what, "the file is missing from the export")
        return None
    with path.open("rb") as f:
        check = check_file(f, desc.hashes)
        if check.error:
            run.report.skip(what, f"hash mismatch: {check.error}")
            return None
        if not desc.hashes:
            run.report.notes.append(f"{what}: the export records no hash; stored unverified")
        if store:
            blob_put(f, check.sha256)
    return check.sha256, check.size, path
