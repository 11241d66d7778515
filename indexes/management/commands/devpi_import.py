"""``manage.py devpi_import DIR``: import a devpi-server export directory."""

from django.core.management.base import BaseCommand, CommandError

from indexes.errors import DevpiError
from indexes.importexport import ImportExportError, devpi_import


class Command(BaseCommand):
    help = ("Import a directory written by devpi-server's devpi-export: users (with their "
            "password hashes), indexes, releases, files (hash-checked), tox results and docs. "
            "Idempotent: what is here already is left as it is; a second run changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("directory", help="the export directory (holds dataindex.json)")

    def handle(self, *args, **options):
        try:
            report = devpi_import(options["directory"], progress=self.stdout.write)
        except (ImportExportError, DevpiError) as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:
            raise CommandError(f"{exc.filename or ''}: {exc.strerror or exc}") from None
        except Exception as exc:  # noqa: BLE001 - a one-line error, never a traceback
            if options.get("traceback"):
                raise
            raise CommandError(f"import failed: {type(exc).__name__}: {exc} "
                               "(--traceback shows where)") from None
        for line in report.lines():
            self.stdout.write(line)
