"""``manage.py devpi_export DIR``: write devpi-server's export format."""

from django.core.management.base import BaseCommand, CommandError

from indexes.errors import DevpiError
from indexes.importexport import ImportExportError, devpi_export


class Command(BaseCommand):
    help = ("Export users, indexes, releases, files, tox results and docs to a new (or empty) "
            "directory in devpi-export's format, which devpi-server's devpi-import and "
            "devpi_import accept.")

    def add_arguments(self, parser):
        parser.add_argument("directory", help="the export directory: must not exist or be empty")

    def handle(self, *args, **options):
        try:
            report = devpi_export(options["directory"], progress=self.stdout.write)
        except (ImportExportError, DevpiError) as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:
            raise CommandError(f"{exc.filename or ''}: {exc.strerror or exc}") from None
        except Exception as exc:  # noqa: BLE001 - a one-line error, never a traceback
            if options.get("traceback"):
                raise
            raise CommandError(f"export failed: {type(exc).__name__}: {exc} "
                               "(--traceback shows where)") from None
        for line in report.lines():
            self.stdout.write(line)
