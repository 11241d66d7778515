"""``devpi_import``: a devpi-server export directory into this server.

The import adds what is missing and never overwrites what is here: a user,
index, release or file that exists already is left as it is (and listed
when it differs from the export), so a second run changes nothing. One
exception, as devpi-import: on a fresh server (only ``root`` and
``root/pypi``), root's password and profile and root/pypi's config are
taken from the export.

Every file's recorded hashes are checked before it is stored; a mismatch
skips that file. Blobs are written before the rows that point to them; each
project's rows are written in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

from indexes.models import Index
from indexes.permissions import SERVER

from .import_files import index_data_import
from .import_indexes import index_import
from .import_run import ImportRun, Progress
from .import_users import user_import
from .layout import ExportTree, IndexDump
from .reader import read_export
from .reports import ImportReport
from .rights import check_whole_server

if TYPE_CHECKING:
    from devpi_django.progress import Progress as Counter
    from indexes.permissions import Actor


def devpi_import(
    path,
    *,
    progress: Progress | None = None,
    counter: Counter | None = None,
    actor: Actor = SERVER,
) -> ImportReport:
    """Import the devpi export in directory ``path``.

    Raises ``ImportExportError`` (a one-line message) when ``path`` is not a
    devpi export; everything else that cannot be imported is listed in the
    returned report's ``skipped``, with the reason.
    """
    check_whole_server(actor)
    progress = progress or (lambda line: None)
    tree = read_export(path)
    report = ImportReport(
        path=str(path), dumpversion=tree.dumpversion, source_version=tree.devpi_server
    )
    _header(tree, progress)
    fresh = _server_is_fresh()
    run = ImportRun(tree, report, progress, fresh)
    for name, userconfig in tree.users.items():
        user_import(run, name, userconfig)
    for dump in _creation_order(tree.indexes):
        index_import(run, dump)
    if counter is not None:  # devpi_django.progress.Progress: files of the stage indexes
        counter.start(sum(len(dump.files) for dump, _ in run.stages))
        run.counter = counter
    for dump, index in run.stages:
        index_data_import(run, dump, index)
    return report


def _header(tree: ExportTree, progress: Progress) -> None:
    source = f"devpi-server {tree.devpi_server}" if tree.devpi_server else "devpi-server"
    files = sum(len(d.files) for d in tree.indexes.values())
    progress(
        f"reading {tree.path}: {source} export, dumpversion {tree.dumpversion}, "
        f"{len(tree.users)} users, {len(tree.indexes)} indexes, {files} files"
    )


def _server_is_fresh() -> bool:
    """devpi-import's test: no users but root, no index but root/pypi."""
    names = set(get_user_model().objects.values_list("username", flat=True)[:2])
    if names - {"root"}:
        return False
    return not Index.objects.exclude(owner__username="root", name="pypi").exists()


def _creation_order(indexes: dict[str, IndexDump]) -> list[IndexDump]:
    """Bases before the indexes that use them; indexes in a cycle last."""
    pending = dict(indexes)
    order: list[IndexDump] = []
    while pending:
        ready = [
            d for d in pending.values() if not any(b in pending and b != d.name for b in d.bases)
        ]
        if not ready:  # a cycle: devpi refuses it too; the bases are checked later
            ready = list(pending.values())[:1]
        for dump in ready:
            order.append(pending.pop(dump.name))
    return order
