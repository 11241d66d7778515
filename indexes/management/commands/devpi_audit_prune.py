"""``manage.py devpi_audit_prune``: delete audit events older than
``DEVPI_AUDIT_RETENTION_DAYS`` (or ``--days``). Without either, nothing is
deleted: the default is to keep everything."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from indexes.audit import audit_prune


class Command(BaseCommand):
    help = (
        "Delete audit trail events older than DEVPI_AUDIT_RETENTION_DAYS days (or --days). "
        "Run it daily from cron, or run Celery beat, which does it when the variable is set."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="keep this many days (default: DEVPI_AUDIT_RETENTION_DAYS)",
        )

    def handle(self, *args, **options):
        days = (
            options["days"]
            if options["days"] is not None
            else settings.DEVPI["AUDIT_RETENTION_DAYS"]
        )
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        if not days:
            self.stdout.write("DEVPI_AUDIT_RETENTION_DAYS is not set: keeping every event")
            return
        deleted = audit_prune(days)
        self.stdout.write(f"deleted {deleted} audit events older than {days} days")
