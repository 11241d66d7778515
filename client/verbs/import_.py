"""``manage.py devpi import``: devpi-export's format, read from a directory (root only)."""

from __future__ import annotations

import argparse
from typing import Any

from ..console import Console, Verb
from ..importexport import run_importexport

SUMMARY = "import a directory written by devpi-server's devpi-export (root only)"
DESCRIPTION = (
    "Import a devpi-server export directory: users with their password hashes, "
    "indexes, releases, hash-checked files, tox results, docs. What is here already is "
    "kept; a second run changes nothing."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", help="the export directory (holds dataindex.json)")


def run(out: Console, options: dict[str, Any]) -> None:
    run_importexport(out, "devpi_import", options["directory"])


VERB = Verb("import", SUMMARY, DESCRIPTION, add_arguments, run)
