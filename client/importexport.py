"""``import`` and ``export``: devpi-export's format, both ways, through
the ``importexport`` app, with a progress bar and a summary line."""

from __future__ import annotations

from django.core.management.base import CommandError

from devpi_django.progress import Progress
from importexport.rights import check_whole_server

from .console import Console


def run_importexport(out: Console, function: str, directory: str) -> None:
    """``function``: ``devpi_import`` or ``devpi_export`` of the ``importexport`` app."""
    from importexport.errors import ImportExportError
    from importexport.exporter import devpi_export
    from importexport.importer import devpi_import

    actor = out.actor()
    check_whole_server(actor)  # before the progress bar; the functions check it again
    counter = Progress(function.removeprefix("devpi_"), out=out.stdout, err=out.stderr)
    try:
        run = devpi_import if function == "devpi_import" else devpi_export
        report = run(directory, progress=counter.line, counter=counter, actor=actor)
    except ImportExportError as exc:
        raise CommandError(exc.message) from None
    finally:
        counter.close()
    for text in report.lines():
        out.line(text)
    out.line(counter.summary())
