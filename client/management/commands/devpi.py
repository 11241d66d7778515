"""``manage.py devpi <verb>``: devpi-client's verbs, acting directly on this
server's database as ``--as USER`` (default root). ``install`` and ``test``
talk HTTP to the running server with a short-lived token of that user.

A dispatcher: the verbs (arguments and handlers) are the modules of
``client.verbs``; this builds one subcommand per registered verb, runs the
chosen one in an audit context and turns domain errors into ``CommandError``.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from client.console import Console
from client.verbs import REGISTRY
from indexes.audit import AuditContext, audit_context
from indexes.errors import DevpiError

VERBS = {verb.name: verb.summary for verb in REGISTRY}


class Command(BaseCommand):
    help = (
        "devpi-client's verbs run on the server itself. Commands act on the database as "
        "--as USER (default root); 'install' and 'test' talk HTTP to the server at "
        "DEVPI_OUTSIDE_URL, else http://DEVPI_HOST:DEVPI_PORT, with a short-lived token of "
        "that user. The current index ('use') is kept in the data dir; --index overrides "
        "it per command."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as",
            dest="acting_user",
            default=None,
            metavar="USER",
            help="the user who acts (default: root); also accepted after the verb",
        )
        # a CommandParser like the subparsers it is a parent of (argparse
        # only copies its arguments)
        common = CommandParser(add_help=False)
        common.add_argument(
            "--as",
            dest="acting_user",
            default=argparse.SUPPRESS,
            metavar="USER",
            help="the user who acts (default: root)",
        )
        verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True, title="verbs")
        for verb in REGISTRY:
            verb.add_arguments(
                verbs.add_parser(
                    verb.name, parents=[common], help=verb.summary, description=verb.description
                )
            )

    def handle(self, *args: Any, **options: Any) -> None:
        run = {verb.name: verb.run for verb in REGISTRY}[options["verb"]]
        # an unreachable upstream is reported once, as the command's error line;
        # the mirror's own warnings show with -v 2
        mirror_log = logging.getLogger("mirror")
        level = mirror_log.level
        if options.get("verbosity", 1) < 2:
            mirror_log.setLevel(logging.ERROR)
        acting = options.get("acting_user") or "root"
        try:
            with audit_context(AuditContext(actor=acting, via="manage.py")):
                run(Console(options, stdout=self.stdout, stderr=self.stderr), options)
        except DevpiError as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:  # a file or directory the command could not use
            raise CommandError(str(exc)) from None
        finally:
            mirror_log.setLevel(level)
