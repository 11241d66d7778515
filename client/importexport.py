"""``import`` and ``export``: devpi-export's format, both ways, through
``indexes.importexport``, with a progress bar and a summary line."""

from __future__ import annotations

from django.core.management.base import CommandError

from devpi_django.progress import Progress
from indexes.errors import Forbidden

from .console import Console


def run_importexport(out: Console, function: str, directory: str) -> None:
    """``function``: ``devpi_import`` or ``devpi_export`` of ``indexes.importexport``."""
    from indexes import importexport

    # the import/export functions leave this check to their callers: it stays here
    if not out.actor().is_superuser:
        raise Forbidden("import and export act on the whole server: root only")
    counter = Progress(function.removeprefix("devpi_"), out=out.stdout, err=out.stderr)
    try:
        report = getattr(importexport, function)(directory, progress=counter.line,
                                                 counter=counter)
    except importexport.ImportExportError as exc:
        raise CommandError(exc.message) from None
    finally:
        counter.close()
    for text in report.lines():
        out.line(text)
    out.line(counter.summary())
